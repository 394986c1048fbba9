"""Readings in, duplicates dropped, and the hourly and daily rollups the charts read, recomputed from the raw rows
of the buckets that changed (so a rollup always equals its raw data)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .. import conf
from ..choices import Quantity
from ..models import Point, Reading, ReadingDaily, ReadingHourly

_QUANTITIES = frozenset(Quantity.values)


@dataclass(frozen=True)
class Value:
    quantity: str
    at: datetime.datetime
    value: float


def readings_record(*, point: Point, values: Iterable[Value], batch_size: int = 1000) -> int:
    """Store `values` of `point` (already authorised by the caller: a device's own point); a value already stored
    for the same quantity and time is dropped. Returns how many were offered."""
    rows = []
    for v in values:
        if v.quantity not in _QUANTITIES:
            raise ValueError(f"unknown quantity {v.quantity!r}")
        rows.append(
            Reading(town_id=point.town_id, point_id=point.pk, quantity=v.quantity, at=v.at, value=v.value)
        )
    Reading.objects.bulk_create(rows, ignore_conflicts=True, batch_size=batch_size)
    return len(rows)


def _hour(at: datetime.datetime) -> datetime.datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _day(at: datetime.datetime) -> datetime.datetime:
    """The start of `at`'s local day (a daily rollup is a day as the town lives it), as an aware time."""
    local = timezone.localtime(at)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


_FIELDS = ["count", "min", "max", "sum", "last", "last_at", "town"]


def _fold(acc: dict, key, town_id, count, lo, hi, total, last, last_at) -> None:
    row = acc.get(key)
    if row is None:
        acc[key] = [town_id, count, lo, hi, total, last, last_at]
        return
    row[1] += count
    row[2] = min(row[2], lo)
    row[3] = max(row[3], hi)
    row[4] += total
    if last_at >= row[6]:
        row[5], row[6] = last, last_at


def _upsert(model, acc: dict) -> None:
    model.objects.bulk_create(
        [
            model(
                town_id=town_id,
                point_id=point_id,
                quantity=quantity,
                bucket=bucket,
                count=count,
                min=lo,
                max=hi,
                sum=total,
                last=last,
                last_at=last_at,
            )
            for (point_id, quantity, bucket), (town_id, count, lo, hi, total, last, last_at) in acc.items()
        ],
        update_conflicts=True,
        unique_fields=["point", "quantity", "bucket"],
        update_fields=_FIELDS,
        batch_size=500,
    )


def rollups_refresh(
    *,
    since: datetime.datetime,
    until: datetime.datetime | None = None,
    point_ids: Iterable[int] | None = None,
) -> int:
    """Recompute the hourly rollups of every hour touching [since, until) and the daily rollups of those days,
    from the raw readings (hourly) and the hourly rollups (daily). Returns the number of hourly buckets."""
    until = until or timezone.now()
    start = _hour(since)
    day_start = _day(start)
    raw = Reading.objects.unrestricted("the rollup job reads every town's raw readings").filter(
        at__gte=start, at__lt=until
    )
    if point_ids is not None:
        raw = raw.filter(point_id__in=list(point_ids))
    hourly: dict = {}
    for town_id, point_id, quantity, at, value in (
        raw.order_by().values_list("town_id", "point_id", "quantity", "at", "value").iterator(chunk_size=5000)
    ):
        _fold(hourly, (point_id, quantity, _hour(at)), town_id, 1, value, value, value, value, at)
    with transaction.atomic():
        _upsert(ReadingHourly, hourly)
        hours = ReadingHourly.objects.unrestricted(
            "the rollup job folds every town's hours into days"
        ).filter(bucket__gte=day_start, bucket__lt=until)
        if point_ids is not None:
            hours = hours.filter(point_id__in=list(point_ids))
        daily: dict = {}
        for row in hours.order_by().values_list(
            "town_id", "point_id", "quantity", "bucket", "count", "min", "max", "sum", "last", "last_at"
        ):
            town_id, point_id, quantity, bucket, *figures = row
            _fold(daily, (point_id, quantity, _day(bucket)), town_id, *figures)
        _upsert(ReadingDaily, daily)
    return len(hourly)


def readings_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete raw readings older than XIANGZHI_READING_RETENTION (the rollups stay)."""
    now = now or timezone.now()
    cutoff = now - conf.reading_retention()
    deleted, _ = (
        Reading.objects.unrestricted("retention covers every town's raw readings")
        .filter(at__lt=cutoff)
        .delete()
    )
    return deleted
