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


# --- the map and the live view (docs/architecture.md, "The map and charts") ---

_GCJ02_HOSTS = ("autonavi.com", "amap.com", "gtimg.com", "map.qq.com", "tencent")


def map_tiles() -> str:
    """The base map's tile URL template ({z}/{x}/{y}, {s} for a subdomain), such as 天地图's
    `https://t{s}.tianditu.gov.cn/vec_w/wmts?…&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY` or an intranet tile
    server's `http://10.0.0.5/tiles/{z}/{x}/{y}.png`. Empty (the default): no base map, the villages' outlines on a
    plain background."""
    return getattr(settings, "XIANGZHI_MAP_TILES", os.environ.get("XIANGZHI_MAP_TILES", ""))


def map_tiles_gcj02() -> bool:
    """Whether the base map is drawn in GCJ-02 (Gaode/Amap, Tencent): then points and outlines are shifted for
    display. Set XIANGZHI_MAP_TILES_GCJ02 to say so; unset, it is guessed from the tile server's name. 天地图
    (CGCS2000 ≈ WGS-84) and an intranet server of WGS-84 tiles need no shift."""
    value = getattr(settings, "XIANGZHI_MAP_TILES_GCJ02", os.environ.get("XIANGZHI_MAP_TILES_GCJ02", ""))
    if isinstance(value, bool):
        return value
    if value:
        return value.lower() in ("1", "true", "yes")
    return any(host in map_tiles() for host in _GCJ02_HOSTS)


def map_subdomains() -> str:
    """What {s} in the tile URL takes (天地图: 01234567)."""
    return getattr(settings, "XIANGZHI_MAP_SUBDOMAINS", os.environ.get("XIANGZHI_MAP_SUBDOMAINS", "abc"))


def map_attribution() -> str:
    return getattr(settings, "XIANGZHI_MAP_ATTRIBUTION", os.environ.get("XIANGZHI_MAP_ATTRIBUTION", ""))


def media_url_template() -> str:
    """The town's media server's live-view URL for a point, `{code}` standing for the point's code: an HLS or
    WebRTC relay such as `https://media.town.example/live/{code}/index.m3u8` (MediaMTX, ZLMediaKit, SRS). Empty:
    the live-view link is the camera's RTSP URL, without its credentials."""
    return getattr(settings, "XIANGZHI_MEDIA_URL", os.environ.get("XIANGZHI_MEDIA_URL", ""))
