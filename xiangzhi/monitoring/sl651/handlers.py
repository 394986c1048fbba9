"""What the SL 651 listener does with a gauge's report (`XIANGZHI_SL651_HANDLER` picks one).

`store_observations`, the default, finds the point whose `sl651_address` is the station's, marks it alive and
stores its values as readings through `services.readings_record` (a value already stored for the same quantity
and time is dropped — a gauge resending an unconfirmed report), then refreshes that gauge's rollups for the hours
it touched. It runs in the listener's thread pool.

Which SL 651 elements become which readings (appendix C of the standard):

| element | the standard's name | reading |
|---|---|---|
| 39H Z | 瞬时河道水位、潮位 | water level |
| 3BH ZU | 库(闸、站)上水位 | water level, when the report has no Z (a reservoir gauge) |
| F4H DRP, 22H PN05, 1AH P1 | 5-minute series, 5-minute and 1-hour period rainfall | rainfall, the finest one a report has |
| 38H VT | 电源电压 | battery voltage |
| 03H C, 46H pH, 47H DO, 49H TURB, 4CH NH4N, 4DH TP | 水温, pH, 溶解氧, 浊度, 氨氮, 总磷 | the same quantities |

Rainfall readings are summed by the rollups, so only rain that fell in a period becomes one: 26H PT (a running
total) and 20H PJ (当前降水量, whose period each make of gauge sets) are not stored, nor is 3AH ZB (the level below
a dam) or the DRZ relative levels of the hourly report.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from ..choices import Quantity, TransitionReason
from ..models import Point
from ..services import Value, point_heartbeat, readings_record, rollups_refresh
from .codec import Observation
from .listener import Refused

logger = logging.getLogger("xiangzhi.sl651")

LEVELS = {
    "C": Quantity.WATER_TEMPERATURE,
    "VT": Quantity.BATTERY_VOLTAGE,
    "PH": Quantity.PH,
    "DO": Quantity.DISSOLVED_OXYGEN,
    "TURB": Quantity.TURBIDITY,
    "NH4N": Quantity.AMMONIA_NITROGEN,
    "TP": Quantity.TOTAL_PHOSPHORUS,
}
WATER_LEVEL = ("Z", "ZU")  # the first one a report has
RAINFALL = ("DRP", "PN05", "P1")  # the finest period a report has
HOUR = dt.timedelta(hours=1)


def readings_from(observations: Iterable[Observation]) -> list[Value]:
    by_element: dict[str, list[tuple[dt.datetime, float]]] = {}
    for o in observations:
        if o.value is not None:
            by_element.setdefault(o.element, []).append((o.at, float(o.value)))
    values = [
        Value(LEVELS[name], at, value)
        for name, pairs in by_element.items()
        if name in LEVELS
        for at, value in pairs
    ]
    for names, quantity in ((WATER_LEVEL, Quantity.WATER_LEVEL), (RAINFALL, Quantity.RAINFALL)):
        found = next((name for name in names if name in by_element), None)
        if found:
            values += [Value(quantity, at, value) for at, value in by_element[found]]
    return values


def _fresh_connection() -> None:
    """Each report on a connection of its own, closed after it, as a request's end would: the listener's threads
    outlive any CONN_MAX_AGE and would otherwise hold sessions open after the listener stops. A gauge reports every
    few minutes, so a connect per report costs nothing that matters. Not inside a caller's transaction (a test's,
    or a handler composed into another)."""
    if not connection.in_atomic_block:
        connection.close()


def point_for(address: str) -> Point:
    point = (
        Point.objects.unrestricted("the SL 651 listener knows only a station address, unique across towns")
        .filter(sl651_address=address)
        .first()
    )
    if point is None:
        raise Refused("unknown_station", address)
    return point


def store_observations(
    station: str, function: int, observed_at: dt.datetime | None, observations: list[Observation]
) -> None:
    _fresh_connection()
    try:
        point = point_for(station)
        values = readings_from(observations)
        now = timezone.now()
        with transaction.atomic():
            point_heartbeat(
                point=point, at=now, source=TransitionReason.HEARTBEAT, detail=f"SL 651 {function:02X}H"
            )
            readings_record(point=point, values=values)
        if values:
            # this gauge's hours now, not at the next rollup job: the chart shows what was just sent, and a
            # report older than the job's two-hour window (a gauge catching up) is folded in at all
            since = min(v.at for v in values)
            rollups_refresh(
                since=since, until=max(now, max(v.at for v in values)) + HOUR, point_ids=[point.pk]
            )
    finally:
        _fresh_connection()


def log_observations(
    station: str, function: int, observed_at: dt.datetime | None, observations: list[Observation]
) -> None:
    """Only logs: for trying the listener without the database."""
    logger.info("sl651 %s %02XH at %s: %s", station, function, observed_at, observations)
