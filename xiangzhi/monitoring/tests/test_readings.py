"""Readings: duplicates dropped, rollups equal to the raw data; the daily summary through the outbox."""

import datetime
from unittest import mock

import pytest

from xiangzhi.messaging.models import Message
from xiangzhi.monitoring import services
from xiangzhi.monitoring.choices import PointKind, PointStatus, Quantity
from xiangzhi.monitoring.models import Reading, ReadingDaily, ReadingHourly
from xiangzhi.monitoring.services import Value

from .factories import PointFactory

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2026, 7, 1, 0, 0, tzinfo=datetime.UTC)


def test_a_duplicate_reading_is_dropped(admin_user):
    gauge = PointFactory.create(actor=admin_user, kind=PointKind.WATER_LEVEL)
    values = [Value(Quantity.WATER_LEVEL, T0, 312.4), Value(Quantity.WATER_LEVEL, T0, 312.4)]
    services.readings_record(point=gauge, values=values)
    services.readings_record(point=gauge, values=values[:1])
    assert Reading.objects.unrestricted("test").filter(point=gauge).count() == 1


def test_rollups_equal_the_raw_data(admin_user):
    gauge = PointFactory.create(actor=admin_user, kind=PointKind.RAIN)
    values = [
        Value(Quantity.RAINFALL, T0 + datetime.timedelta(minutes=7 * i), float(i % 5)) for i in range(500)
    ]
    services.readings_record(point=gauge, values=values)
    until = T0 + datetime.timedelta(days=3)
    services.rollups_refresh(since=T0, until=until)
    services.rollups_refresh(since=T0, until=until)  # recomputing changes nothing
    hourly = list(ReadingHourly.objects.unrestricted("test").filter(point=gauge))
    assert sum(h.count for h in hourly) == 500
    assert sum(h.sum for h in hourly) == sum(v.value for v in values)
    daily = list(ReadingDaily.objects.unrestricted("test").filter(point=gauge))
    assert sum(d.count for d in daily) == 500
    assert max(d.max for d in daily) == 4.0 and min(d.min for d in daily) == 0.0
    last = max(values, key=lambda v: v.at)
    assert max(daily, key=lambda d: d.bucket).last == last.value
    first_hour = min(hourly, key=lambda h: h.bucket)
    raw = [v.value for v in values if v.at < T0 + datetime.timedelta(hours=1)]
    assert (first_hour.count, first_hour.avg) == (len(raw), sum(raw) / len(raw))


def test_each_responsible_person_gets_one_summary_a_day(admin_user, village_a, town):
    services.point_heartbeat(point=PointFactory.create(actor=admin_user, responsible=admin_user, code="C-1"))
    offline = PointFactory.create(actor=admin_user, responsible=admin_user, code="C-2")
    services.point_heartbeat(point=offline)
    services.point_status_set(actor=admin_user, point=offline, status=PointStatus.OFFLINE)
    PointFactory.create(
        actor=admin_user, responsible_name="王师傅", responsible_phone="13800138000", code="C-3"
    )
    morning = datetime.datetime(2026, 7, 1, 1, 30, tzinfo=datetime.UTC)  # 09:30 in Chongqing
    with mock.patch("django.utils.timezone.now", return_value=morning):
        assert services.daily_summaries_send(town=town) == 2
        services.daily_summaries_send(town=town)  # the hourly job runs again: nothing new
    messages = list(Message.objects.unrestricted("test").filter(kind="monitoring.daily_summary"))
    assert len(messages) == 2
    mine = next(m for m in messages if m.recipient_id == admin_user.pk)
    assert "2 个" in mine.body and "C-2" in mine.body
