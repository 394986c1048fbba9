"""What the monitoring pages read, always through `restrict()`: the point list, one point with its history and
latest readings, the health page's figures (a few grouped queries whatever the number of points)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from xiangzhi.areas.models import Village

from . import permissions as perms
from .choices import PointCategory, PointStatus
from .models import Point, PointStatusChange, Reading, Reservoir, Snapshot


def points(*, user, action: str = perms.VIEW):
    return Point.objects.restrict(user, action).select_related("village", "reservoir")


def point_get(*, user, pk: int, action: str = perms.VIEW) -> Point:
    return points(user=user, action=action).select_related("responsible").get(pk=pk)


def reservoirs(*, user, action: str = perms.VIEW):
    return Reservoir.objects.restrict(user, action).select_related("village")


def reservoir_get(*, user, pk: int, action: str = perms.VIEW) -> Reservoir:
    return reservoirs(user=user, action=action).get(pk=pk)


def status_history(*, user, point: Point, limit: int = 50) -> list[PointStatusChange]:
    return list(
        PointStatusChange.objects.restrict(user, perms.VIEW)
        .filter(point=point)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


def latest_readings(*, user, point: Point, limit: int = 30) -> list[Reading]:
    return list(
        Reading.objects.restrict(user, perms.VIEW).filter(point=point).order_by("-at", "quantity")[:limit]
    )


def latest_snapshot(*, user, point: Point) -> Snapshot | None:
    return (
        Snapshot.objects.restrict(user, perms.VIEW).filter(point=point).order_by("-taken_at", "-id").first()
    )


def snapshot_get(*, user, pk: int) -> Snapshot:
    return Snapshot.objects.restrict(user, perms.VIEW).get(pk=pk)


@dataclass
class Ratio:
    key: object  # the category's code or the village's id (None: town-wide)
    label: str
    total: int
    online: int
    offline: int
    never_seen: int

    @property
    def percent(self) -> int:
        """Online among the points that ever reported (a camera never seen is counted apart)."""
        seen = self.online + self.offline
        return round(100 * self.online / seen) if seen else 0


_COUNTS = {
    "total": Count("pk"),
    "online": Count("pk", filter=Q(status=PointStatus.ONLINE)),
    "offline": Count("pk", filter=Q(status=PointStatus.OFFLINE)),
    "never_seen": Count("pk", filter=Q(status=PointStatus.NEVER_SEEN)),
}


@dataclass
class Health:
    overall: Ratio
    by_category: list[Ratio]
    by_village: list[Ratio]
    longest_offline: list[Point]
    never_seen: list[Point]
    now: datetime.datetime


def health(*, user, village_id: int | None = None, kind: str | None = None, limit: int = 30) -> Health:
    """The health page: online ratios by category and by village, the points offline longest, those never
    seen — four queries (and one for the villages' names)."""
    qs = Point.objects.restrict(user, perms.VIEW)
    if village_id:
        qs = qs.filter(village_id=village_id)
    if kind:
        qs = qs.filter(kind=kind)
    labels = dict(PointCategory.choices)
    by_category = [
        Ratio(row["category"], str(labels.get(row["category"], row["category"])), *(row[k] for k in _COUNTS))
        for row in qs.order_by().values("category").annotate(**_COUNTS)
    ]
    order = list(PointCategory.values)
    by_category.sort(key=lambda r: order.index(str(r.key)) if r.key in order else len(order))
    village_rows = list(qs.order_by().values("village_id").annotate(**_COUNTS))
    names = dict(
        Village.objects.restrict(user, perms.VIEW)
        .filter(pk__in=[r["village_id"] for r in village_rows if r["village_id"]])
        .values_list("pk", "name")
    )
    from django.utils.translation import gettext

    by_village = sorted(
        (
            Ratio(
                row["village_id"],
                names.get(row["village_id"], "") if row["village_id"] else gettext("town-wide"),
                *(row[k] for k in _COUNTS),
            )
            for row in village_rows
        ),
        key=lambda r: (r.key is not None, r.label),
    )
    overall = Ratio(
        None,
        "",
        *(sum(getattr(r, k) for r in by_category) for k in ("total", "online", "offline", "never_seen")),
    )
    longest = list(
        qs.filter(status=PointStatus.OFFLINE).select_related("village").order_by("status_since", "pk")[:limit]
    )
    never = list(
        qs.filter(status=PointStatus.NEVER_SEEN)
        .select_related("village")
        .order_by("created_at", "pk")[:limit]
    )
    return Health(overall, by_category, by_village, longest, never, timezone.now())
