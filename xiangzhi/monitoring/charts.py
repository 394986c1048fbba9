"""A point's charts (24 h, 7 days, 90 days per quantity), read from the rollups the readings service keeps: the
last 24 hours from the raw readings while they are few (a 1-minute gauge: 1,440), else from the hourly buckets;
7 days from the hourly buckets (168); 90 days from the daily ones (90). Each is one indexed range query on
(point, quantity, bucket), so a chart costs the same in a town and in a county.

A series is `{"x": [unix seconds…], "y": […], "min": […], "max": […]}`: `y` is the bucket's mean for a level
(water level, pH…) or its sum for rainfall, `min`/`max` the band around it (absent for raw readings).
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import permissions as perms
from .choices import CUMULATIVE, UNITS, PointKind, Quantity
from .models import Point, Reading, ReadingDaily, ReadingHourly

RANGES: dict[str, datetime.timedelta] = {
    "24h": datetime.timedelta(hours=24),
    "7d": datetime.timedelta(days=7),
    "90d": datetime.timedelta(days=90),
}
RANGE_LABELS = {"24h": _("24 hours"), "7d": _("7 days"), "90d": _("90 days")}
# Above this many raw readings in 24 hours, the day is drawn from its hourly buckets instead.
RAW_LIMIT = 3000

# What a point of each kind measures before any reading has arrived (so its page says what it will chart).
KIND_QUANTITIES: dict[str, list[str]] = {
    PointKind.WATER_LEVEL: [Quantity.WATER_LEVEL],
    PointKind.RAIN: [Quantity.RAINFALL],
    PointKind.WATER_QUALITY: [Quantity.PH, Quantity.TURBIDITY, Quantity.DISSOLVED_OXYGEN],
}


def chart_quantities(*, user, point: Point) -> list[str]:
    """The quantities the point has daily rollups of, and those its kind measures; one query."""
    found = set(
        ReadingDaily.objects.restrict(user, perms.VIEW)
        .filter(point=point)
        .order_by()
        .values_list("quantity", flat=True)
        .distinct()
    )
    found.update(KIND_QUANTITIES.get(point.kind, []))
    return [q for q in Quantity.values if q in found]


def reservoir_levels(point: Point) -> list[dict]:
    """The characteristic levels drawn across a reservoir's water-level chart (the point's reservoir is already
    loaded with it)."""
    reservoir = point.reservoir
    if reservoir is None:
        return []
    levels = [
        ("flood_limit", _("flood-season limit level"), reservoir.flood_limit_level),
        ("normal_pool", _("normal pool level"), reservoir.normal_pool_level),
        ("design_flood", _("design flood level"), reservoir.design_flood_level),
        ("dam_crest", _("dam crest"), reservoir.dam_crest_elevation),
    ]
    return [
        {"code": code, "label": str(label), "value": float(v)} for code, label, v in levels if v is not None
    ]


def _r(v: float) -> float:
    return round(v, 3)


def series(*, user, point: Point, quantity: str, span: str, now: datetime.datetime | None = None) -> dict:
    """One chart's data; `span` is a key of RANGES. One query (two when a busy day falls back to hours)."""
    now = now or timezone.now()
    since = now - RANGES[span]
    cumulative = quantity in CUMULATIVE
    out: dict = {
        "quantity": quantity,
        "label": str(Quantity(quantity).label),
        "unit": UNITS.get(quantity, ""),
        "span": span,
        "cumulative": cumulative,
        "levels": reservoir_levels(point) if quantity == Quantity.WATER_LEVEL else [],
    }
    if span == "24h":
        raw = list(
            Reading.objects.restrict(user, perms.VIEW)
            .filter(point=point, quantity=quantity, at__gte=since, at__lte=now)
            .order_by("at")
            .values_list("at", "value")[: RAW_LIMIT + 1]
        )
        if len(raw) <= RAW_LIMIT:
            out.update(source="raw", x=[int(at.timestamp()) for at, _v in raw], y=[_r(v) for _at, v in raw])
            return out
    model = ReadingDaily if span == "90d" else ReadingHourly
    if model is ReadingDaily:
        start = timezone.localtime(since).replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        start = since.replace(minute=0, second=0, microsecond=0)
    rows = (
        model.objects.restrict(user, perms.VIEW)
        .filter(point=point, quantity=quantity, bucket__gte=start, bucket__lte=now)
        .order_by("bucket")
        .values_list("bucket", "count", "min", "max", "sum")
    )
    x, y, lo, hi = [], [], [], []
    for bucket, count, mn, mx, total in rows:
        x.append(int(bucket.timestamp()))
        y.append(_r(total if cumulative else total / count))
        lo.append(_r(mn))
        hi.append(_r(mx))
    out.update(source="daily" if model is ReadingDaily else "hourly", x=x, y=y, min=lo, max=hi)
    return out
