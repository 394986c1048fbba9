"""SL 651 reports landing as a gauge's readings: the station address on the point, the default handler, and a
frame sent over TCP that ends up in the readings and the hourly rollup the chart reads."""

import asyncio
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.models import AuditEntry
from xiangzhi.monitoring import selectors, services
from xiangzhi.monitoring.choices import PointKind, PointStatus, Quantity
from xiangzhi.monitoring.models import Point, Reading, ReadingHourly
from xiangzhi.monitoring.sl651 import codec
from xiangzhi.monitoring.sl651.handlers import readings_from, store_observations
from xiangzhi.monitoring.sl651.listener import Listener, Refused

from .factories import PointFactory

BJ = codec.BEIJING
AT = dt.datetime(2026, 7, 16, 8, 30, tzinfo=BJ)


@pytest.fixture
def gauge(admin_user, village_a):
    point = PointFactory.create(actor=admin_user, village=village_a, kind=PointKind.WATER_LEVEL)
    return services.point_sl651_address_set(actor=admin_user, point=point, address="00 6100 0001")


def readings(point):
    rows = Reading.objects.unrestricted("test").filter(point=point).order_by("quantity", "at")
    return [(r.quantity, r.at, r.value) for r in rows]


def test_the_administrator_sets_a_gauges_address_once_per_deployment(gauge, admin_user, other_town_admin):
    assert gauge.sl651_address == "0061000001"
    entry = AuditEntry.objects.unrestricted("test").get(action="monitoring.point.sl651_address_set")
    assert entry.after == {"sl651_address": "0061000001"}
    other = PointFactory.create(actor=other_town_admin, kind=PointKind.RAIN)
    # another town's gauge cannot take the address: the listener hears only the address
    with pytest.raises(ValidationError) as taken:
        services.point_sl651_address_set(actor=other_town_admin, point=other, address="0061000001")
    assert "已有其他测站使用此 SL 651 遥测站地址" in str(taken.value)
    with pytest.raises(ValidationError):
        services.point_sl651_address_set(actor=admin_user, point=gauge, address="61-1")
    with pytest.raises(NotInScope):
        services.point_sl651_address_set(actor=other_town_admin, point=gauge, address="0061000002")


def test_cadres_may_not_set_an_address(gauge, alice):
    with pytest.raises(NotInScope):
        services.point_sl651_address_set(actor=alice, point=gauge, address="")


def test_elements_map_to_quantities():
    obs = [
        codec.Observation("PJ", Decimal("4.0"), AT),  # 当前降水量: not a period total, not stored
        codec.Observation("PT", Decimal("431.0"), AT),  # running total: not stored
        codec.Observation("P1", Decimal("12.5"), AT),
        codec.Observation("ZU", Decimal("354.270"), AT),
        codec.Observation("Z", Decimal("10.490"), AT),
        codec.Observation("VT", Decimal("12.60"), AT),
        codec.Observation("TURB", None, AT),  # no value
    ]
    got = {(v.quantity, v.value) for v in readings_from(obs)}
    assert got == {
        (Quantity.RAINFALL, 12.5),
        (Quantity.WATER_LEVEL, 10.49),  # Z before ZU
        (Quantity.BATTERY_VOLTAGE, 12.6),
    }
    five_minute = [codec.Observation("DRP", Decimal("0.5"), AT), codec.Observation("P1", Decimal("9.9"), AT)]
    assert [(v.quantity, v.value) for v in readings_from(five_minute)] == [(Quantity.RAINFALL, 0.5)]


def test_store_marks_the_gauge_alive_and_drops_duplicates(gauge):
    obs = [codec.Observation("Z", Decimal("354.270"), AT), codec.Observation("P1", Decimal("2.5"), AT)]
    store_observations("0061000001", 0x32, AT, obs)
    store_observations("0061000001", 0x32, AT, obs)  # the gauge resent it, unconfirmed
    assert readings(gauge) == [(Quantity.RAINFALL, AT, 2.5), (Quantity.WATER_LEVEL, AT, 354.27)]
    assert Point.objects.unrestricted("test").get(pk=gauge.pk).status == PointStatus.ONLINE
    with pytest.raises(Refused):
        store_observations("0061999999", 0x32, AT, obs)


def test_a_late_report_refreshes_its_hours_rollup(gauge):
    old = dt.datetime(2026, 1, 2, 3, 0, tzinfo=BJ)
    store_observations("0061000001", 0x31, old, [codec.Observation("Z", Decimal("100.5"), old)])
    hour = ReadingHourly.objects.unrestricted("test").get(point=gauge, quantity=Quantity.WATER_LEVEL)
    assert (hour.bucket, hour.count, hour.last) == (old, 1, 100.5)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_frame_sent_over_tcp_becomes_the_gauges_reading(admin_user, village_a):
    # Given a water-level gauge with its SL 651 address and the listener with the default handler
    point = PointFactory.create(actor=admin_user, village=village_a, kind=PointKind.WATER_LEVEL)
    services.point_sl651_address_set(actor=admin_user, point=point, address="0061000007")
    now = dt.datetime.now(BJ).replace(second=0, microsecond=0)
    body = codec.encode_report_body(
        serial=12,
        sent_at=now,
        station="0061000007",
        station_type=codec.StationType.RESERVOIR,
        observed_at=now,
        values=[("ZU", "315.420"), ("P1", "3.5"), ("VT", "12.41")],
    )
    frame = codec.encode_frame(centre=1, station="0061000007", password=0x1234, function=0x32, body=body)
    unknown = frame.replace(bytes.fromhex("0061000007"), bytes.fromhex("0061000008"))
    unknown = unknown[:-2] + codec.crc16(unknown[:-2]).to_bytes(2, "big")

    async def scenario():
        listener = Listener(store_observations)
        await listener.start("127.0.0.1", 0)
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
            writer.write(unknown + frame)
            answer = await asyncio.wait_for(reader.readexactly(25), 10)
            writer.close()
            return answer, listener.stats
        finally:
            await listener.close()

    # When a gauge sends a frame of an unknown station, then its own timed report
    answer, stats = asyncio.run(scenario())
    # Then only its own is confirmed, and stored as readings the hourly rollup (the chart's source) holds
    ack = codec.decode_frame(answer)
    assert (ack.station, ack.function, ack.end, ack.body[:2]) == ("0061000007", 0x32, codec.EOT, b"\x00\x0c")
    assert stats["refused_unknown_station"] == 1 and stats["frames_ok"] == 1
    assert readings(point) == [
        (Quantity.BATTERY_VOLTAGE, now, 12.41),
        (Quantity.RAINFALL, now, 3.5),
        (Quantity.WATER_LEVEL, now, 315.42),
    ]
    # the card's latest readings and the hourly rollup the chart reads hold it at once
    latest = selectors.latest_readings(user=admin_user, point=point)
    assert (Quantity.WATER_LEVEL, 315.42) in [(r.quantity, r.value) for r in latest]
    hourly = ReadingHourly.objects.unrestricted("test").get(point=point, quantity=Quantity.WATER_LEVEL)
    assert (hourly.count, hourly.last) == (1, 315.42)


def test_the_demo_gives_its_gauges_addresses(admin_user, town, gauge):
    from xiangzhi.monitoring.sl651.demo import demo_addresses

    level = PointFactory.create(
        actor=admin_user, kind=PointKind.WATER_LEVEL, code="SW-01"
    )  # 0061000001 is taken
    rain = PointFactory.create(actor=admin_user, kind=PointKind.RAIN, code="YL-02")
    camera = PointFactory.create(actor=admin_user, kind=PointKind.CAMERA, code="CAM-0001")
    lines = demo_addresses(town=town, admin=admin_user, rng=None)
    got = {p.code: p.sl651_address for p in Point.objects.unrestricted("test").filter(town=town)}
    assert (got[level.code], got[rain.code], got[camera.code]) == ("", "0062000002", "")
    assert "sl651_send --station 0062000002" in lines[0]
