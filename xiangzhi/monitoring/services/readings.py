"""Readings in, duplicates dropped, and the hourly and daily rollups the charts read, recomputed from the raw rows
of the buckets that changed (so a rollup always equals its raw data)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connections, router, transaction
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


def _write(model, columns: list[str], rows: list[tuple], *, conflict: str, batch_size: int = 2000) -> None:
    """`INSERT … ON CONFLICT …` by `executemany`, the same SQL on SQLite and PostgreSQL: the ORM's bulk_create
    spends most of its time preparing each value of each row (several times slower for readings)."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    # names from the model's own metadata, values as parameters: nothing from outside reaches the SQL text
    names = ", ".join(qn(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {qn(model._meta.db_table)} ({names}) VALUES ({marks}) {conflict}"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            cursor.executemany(sql, rows[start : start + batch_size])


def _when(connection, at: datetime.datetime):
    return connection.ops.adapt_datetimefield_value(at)


def readings_record(*, point: Point, values: Iterable[Value]) -> int:
    """Store `values` of `point` (already authorised by the caller: a device's own point); a value already stored
    for the same quantity and time is dropped. Returns how many were offered."""
    connection = connections[router.db_for_write(Reading)]
    rows = []
    for v in values:
        if v.quantity not in _QUANTITIES:
            raise ValueError(f"unknown quantity {v.quantity!r}")
        if timezone.is_naive(v.at):
            raise ValueError("a reading's time must be aware")
        rows.append((point.town_id, point.pk, v.quantity, _when(connection, v.at), float(v.value)))
    _write(
        Reading,
        ["town_id", "point_id", "quantity", "at", "value"],
        rows,
        conflict="ON CONFLICT (point_id, quantity, at) DO NOTHING",
    )
    return len(rows)


def _hour(at: datetime.datetime) -> datetime.datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _day(at: datetime.datetime) -> datetime.datetime:
    """The start of `at`'s local day (a daily rollup is a day as the town lives it), as an aware time."""
    local = timezone.localtime(at)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


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


_COLUMNS = ["town_id", "point_id", "quantity", "bucket", "count", "min", "max", "sum", "last", "last_at"]


def _upsert(model, acc: dict) -> None:
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    updated = ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in _COLUMNS[4:])
    rows = [
        (
            town_id,
            point_id,
            quantity,
            _when(connection, bucket),
            count,
            lo,
            hi,
            total,
            last,
            _when(connection, last_at),
        )
        for (point_id, quantity, bucket), (town_id, count, lo, hi, total, last, last_at) in acc.items()
    ]
    _write(
        model, _COLUMNS, rows, conflict=f"ON CONFLICT (point_id, quantity, bucket) DO UPDATE SET {updated}"
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


def readings_record_many(*, items: Iterable[tuple[Point, Value]]) -> int:
    """`readings_record` for a batch across many points (an ingest batch): the same INSERT, duplicates dropped.
    Returns how many were offered."""
    connection = connections[router.db_for_write(Reading)]
    rows = []
    for point, v in items:
        if v.quantity not in _QUANTITIES:
            raise ValueError(f"unknown quantity {v.quantity!r}")
        if timezone.is_naive(v.at):
            raise ValueError("a reading's time must be aware")
        rows.append((point.town_id, point.pk, v.quantity, _when(connection, v.at), float(v.value)))
    _write(
        Reading,
        ["town_id", "point_id", "quantity", "at", "value"],
        rows,
        conflict="ON CONFLICT (point_id, quantity, at) DO NOTHING",
    )
    return len(rows)
