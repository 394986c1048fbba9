"""A point's chart data: what the series endpoint answers equals the rollups (and the raw readings for 24 hours),
rainfall adds up, a reservoir's levels come along, and each chart is one query of the rollups."""

import datetime
from unittest import mock

import pytest

from xiangzhi.monitoring import charts, services
from xiangzhi.monitoring.choices import PointKind, Quantity
from xiangzhi.monitoring.models import ReadingDaily, ReadingHourly
from xiangzhi.monitoring.services import Value

from .factories import PointFactory, ReservoirFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 7, 10, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def gauge(admin_user, village_a):
    reservoir = ReservoirFactory.create(actor=admin_user, village=village_a, name="玉峰水库")
    point = PointFactory.create(
        actor=admin_user, village=village_a, kind=PointKind.WATER_LEVEL, reservoir=reservoir
    )
    start = NOW - datetime.timedelta(days=10)
    values = [
        Value(Quantity.WATER_LEVEL, start + datetime.timedelta(minutes=10 * i), 310 + (i % 37) / 10)
        for i in range(10 * 24 * 6)
    ] + [Value(Quantity.RAINFALL, start + datetime.timedelta(hours=i), (i % 5) * 0.5) for i in range(240)]
    services.readings_record(point=point, values=values)
    services.rollups_refresh(since=start, until=NOW)
    return point


def _series(client, point, quantity, span):
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        response = client.get(f"/monitoring/points/{point.pk}/series/?quantity={quantity}&span={span}")
    assert response.status_code == 200
    return response.json()


def test_seven_days_are_the_hourly_rollups(client, duty, gauge):
    client.force_login(duty)
    data = _series(client, gauge, "water_level", "7d")
    rows = list(
        ReadingHourly.objects.unrestricted("test")
        .filter(point=gauge, quantity="water_level", bucket__gte=NOW - datetime.timedelta(days=7))
        .order_by("bucket")
    )
    assert data["source"] == "hourly" and len(data["x"]) == len(rows) >= 7 * 24
    assert data["x"] == [int(r.bucket.timestamp()) for r in rows]
    assert data["y"] == [round(r.sum / r.count, 3) for r in rows]
    assert data["min"] == [round(r.min, 3) for r in rows] and data["max"] == [round(r.max, 3) for r in rows]


def test_ninety_days_are_the_daily_rollups_with_the_reservoir_levels(client, alice, gauge):
    client.force_login(alice)
    data = _series(client, gauge, "water_level", "90d")
    rows = list(ReadingDaily.objects.unrestricted("test").filter(point=gauge, quantity="water_level"))
    assert data["source"] == "daily"
    assert data["x"] == [int(r.bucket.timestamp()) for r in rows]
    assert data["y"] == [round(r.sum / r.count, 3) for r in rows]
    levels = {level["code"]: level for level in data["levels"]}
    assert levels["flood_limit"] == {"code": "flood_limit", "label": "汛限水位", "value": 312.0}
    assert set(levels) == {"flood_limit", "normal_pool", "design_flood", "dam_crest"}


def test_a_day_is_drawn_from_each_reading(client, duty, gauge):
    client.force_login(duty)
    data = _series(client, gauge, "water_level", "24h")
    assert data["source"] == "raw" and len(data["x"]) == 24 * 6 and "min" not in data


def test_a_busy_day_falls_back_to_hourly_buckets(client, duty, gauge):
    client.force_login(duty)
    with mock.patch.object(charts, "RAW_LIMIT", 100):
        data = _series(client, gauge, "water_level", "24h")
    assert data["source"] == "hourly" and 24 <= len(data["x"]) <= 25


def test_rainfall_is_summed_not_averaged(client, duty, gauge):
    client.force_login(duty)
    data = _series(client, gauge, "rainfall", "90d")
    rows = list(ReadingDaily.objects.unrestricted("test").filter(point=gauge, quantity="rainfall"))
    assert data["cumulative"] and data["levels"] == []
    assert data["y"] == [round(r.sum, 3) for r in rows]


def test_what_a_point_charts_and_bad_requests(client, duty, gauge):
    client.force_login(duty)
    listed = client.get(f"/monitoring/points/{gauge.pk}/series/").json()
    assert listed == {"quantities": ["water_level", "rainfall"], "spans": ["24h", "7d", "90d"]}
    base = f"/monitoring/points/{gauge.pk}/series/"
    assert client.get(base + "?quantity=water_level&span=1y").status_code == 404
    assert client.get(base + "?quantity=colour&span=7d").status_code == 404


def test_a_chart_is_one_query_of_the_rollups(client, duty, gauge, django_assert_max_num_queries):
    client.force_login(duty)
    with django_assert_max_num_queries(9) as done:
        _series(client, gauge, "water_level", "90d")
    assert sum('FROM "monitoring_readingdaily"' in q["sql"] for q in done.captured_queries) == 1


def test_the_point_page_has_a_chart_per_quantity(client, alice, gauge):
    client.force_login(alice)
    html = client.get(f"/monitoring/points/{gauge.pk}/").content.decode()
    assert html.count('class="card chart-box"') == 2
    assert "uPlot.iife.min.js" in html and "数据曲线" in html and "90 天" in html
