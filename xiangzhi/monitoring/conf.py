"""The monitoring app's settings, each with its default here (a deployment overrides them in its settings or
through the environment), so the app needs no line in the project's settings module."""

import datetime
import os

from django.conf import settings


def reading_retention() -> datetime.timedelta:
    """How long raw readings are kept; the hourly and daily rollups stay."""
    default = datetime.timedelta(days=int(os.environ.get("XIANGZHI_READING_RETENTION_DAYS", "400")))
    return getattr(settings, "XIANGZHI_READING_RETENTION", default)


def snapshot_max_bytes() -> int:
    """The largest snapshot stored (a 1080p JPEG is about 300 KB)."""
    return int(
        getattr(
            settings, "XIANGZHI_SNAPSHOT_MAX_BYTES", os.environ.get("XIANGZHI_SNAPSHOT_MAX_BYTES", 2_000_000)
        )
    )


def summary_hour() -> int:
    """The local hour from which the day's summary goes to each responsible person."""
    return int(getattr(settings, "XIANGZHI_MONITORING_SUMMARY_HOUR", 8))


def probe_timeout() -> float:
    """Seconds a camera has to answer a probe or give a snapshot frame before it counts as down."""
    return float(getattr(settings, "XIANGZHI_PROBE_TIMEOUT", os.environ.get("XIANGZHI_PROBE_TIMEOUT", 10)))


def probe_concurrency() -> int:
    """Probes under way at once (bench/probe.py: 1,000 cameras in about 15 s at 200)."""
    return int(
        getattr(settings, "XIANGZHI_PROBE_CONCURRENCY", os.environ.get("XIANGZHI_PROBE_CONCURRENCY", 200))
    )
