"""The platform's own look at its cameras: the periodic RTSP probe of the points due (each kind's policy says how
often), recorded through the health state machine, and a snapshot grabbed on demand.

Neither holds a transaction while a camera answers (seconds): the probe job records each result in its own short
transaction as it comes, and a snapshot is stored by `snapshot_store` once the frame is in hand.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xiangzhi.core.scoping import require

from .. import conf, probing
from .. import permissions as perms
from ..models import Point, Snapshot
from .health import point_probe_result, policies_by_kind
from .points import snapshot_store


def probe_detail_text(detail: str) -> str:
    """The prober's detail (English, fixed phrases) as the duty officer reads it."""
    seconds = re.fullmatch(r"no (answer|video) within ([\d.]+) s( \(hung\))?", detail)
    if seconds and seconds.group(1) == "answer":
        return _("no answer within %(s)s s") % {"s": seconds.group(2)}
    if seconds:
        return _("no video within %(s)s s") % {"s": seconds.group(2)}
    known = {
        "connection refused": _("connection refused"),
        "the camera refused the credentials (401 Unauthorized)": _(
            "the camera refused the username or password (401)"
        ),
        "not an RTSP stream (invalid data in the answer)": _(
            "not an RTSP stream (invalid data in the answer)"
        ),
        "no video stream in the camera's answer": _("no video stream in the camera's answer"),
        "the prober crashed on this stream": _("the stream crashed the prober"),
    }
    return known.get(detail, detail)


def points_due_for_probe(*, now: datetime.datetime | None = None) -> list[Point]:
    """Cameras (any kind whose policy probes) with a stream whose last probe is older than the probe interval."""
    now = now or timezone.now()
    points = Point.objects.unrestricted("the probe job checks every town's cameras")
    due: list[Point] = []
    for town_id in points.values_list("town_id", flat=True).distinct().order_by():
        for kind, policy in policies_by_kind(town_id).items():
            if not policy.probe_seconds:
                continue
            cutoff = now - datetime.timedelta(seconds=policy.probe_seconds)
            due += (
                points.filter(town_id=town_id, kind=kind)
                .exclude(stream_main_url="", stream_sub_url="")
                .filter(Q(last_probe_at__isnull=True) | Q(last_probe_at__lte=cutoff))
            )
    return due


def points_probe(*, now: datetime.datetime | None = None) -> int:
    """Probe the cameras due, all at once (bounded by XIANGZHI_PROBE_CONCURRENCY), and record each result as it
    comes. Returns how many were probed."""
    due = {p.stream_url_with_credentials(): p for p in points_due_for_probe(now=now)}
    count = 0
    for url, result in probing.probe_many(
        list(due), concurrency=conf.probe_concurrency(), timeout=conf.probe_timeout()
    ):
        detail = f"{result.codec.upper()} {result.width}×{result.height}" if result.ok else result.detail
        point_probe_result(point=due[url], ok=result.ok, detail=probe_detail_text(detail))
        count += 1
    return count


def point_snapshot_take(*, actor, point: Point) -> Snapshot:
    """Grab one frame from the point's camera now and keep it (at most XIANGZHI_SNAPSHOT_MAX_BYTES; shrunk until
    it fits). Raises ValidationError saying why there is no frame."""
    require(actor, perms.SNAPSHOT, point)
    url = point.stream_url_with_credentials()
    if not url:
        raise ValidationError(_("This point has no stream to take a snapshot from."))
    try:
        jpeg = probing.snapshot(url, timeout=conf.probe_timeout(), max_bytes=conf.snapshot_max_bytes())
    except probing.SnapshotError as error:
        raise ValidationError(
            _("The camera gave no picture: %(why)s") % {"why": probe_detail_text(str(error))}
        ) from error
    width, height = probing.jpeg_size(jpeg)
    return snapshot_store(actor=actor, point=point, image=jpeg, width=width, height=height)
