"""The monitoring network's scheduled jobs: the health sweep, the camera probes, the rollups, raw-data retention, the daily summary."""

import datetime

from django.utils import timezone

from xiangzhi.core.background import periodic
from xiangzhi.core.models import Town

from . import services


@periodic(every=datetime.timedelta(seconds=30))
def health_sweep() -> None:
    """Points silent past their kind's policy go offline (every town, a few statements)."""
    services.points_sweep()


@periodic(every=datetime.timedelta(seconds=30))
def cameras_probe() -> None:
    """The cameras whose probe interval has passed (per kind's policy), probed at once over RTSP."""
    services.points_probe()


@periodic(every=datetime.timedelta(minutes=5))
def rollups_refresh() -> None:
    """The hourly and daily rollups of the last two hours, recomputed from the raw readings."""
    now = timezone.now()
    services.rollups_refresh(since=now - datetime.timedelta(hours=2), until=now)


@periodic(every=datetime.timedelta(hours=6))
def readings_purge() -> None:
    services.readings_purge()


@periodic(every=datetime.timedelta(hours=1))
def daily_summaries() -> None:
    """Each responsible person's summary, once a day from the summary hour (the outbox key keeps it once)."""
    for town in Town.objects.unrestricted("the summary goes out in every town"):
        services.daily_summaries_send(town=town)


@periodic(every=datetime.timedelta(minutes=10))
def signatures_purge() -> None:
    """Forget accepted request signatures older than the replay window."""
    services.signatures_purge()
