"""The demo town's monitoring network has the issue's shape and is written in a few bulk statements."""

import random

import pytest
from django.db.models import Count

from xiangzhi.monitoring.choices import PointCategory, PointKind, PointStatus
from xiangzhi.monitoring.demo import demo_monitoring
from xiangzhi.monitoring.models import Point, PointStatusChange, Reading, ReadingDaily, Reservoir

pytestmark = pytest.mark.django_db


def test_the_demo_network(town, admin_user, village_a, village_b, household_a, django_assert_max_num_queries):
    # bulk inserts: SQLite splits them by its limit of variables per statement, hence a few hundred
    with django_assert_max_num_queries(300):
        demo_monitoring(town=town, admin=admin_user, rng=random.Random(1))
    points = Point.objects.unrestricted("test").filter(town=town)
    assert points.filter(kind=PointKind.CAMERA).count() == 1000
    assert points.filter(public_area=True).count() == 38
    for reservoir in Reservoir.objects.unrestricted("test").filter(town=town):
        kinds = set(points.filter(reservoir=reservoir).values_list("kind", "category"))
        assert {
            (PointKind.WATER_LEVEL, PointCategory.DAM),
            (PointKind.CAMERA, PointCategory.RESERVOIR_SPILLWAY),
            (PointKind.CAMERA, PointCategory.DAM),
        } <= kinds
    assert (
        points.filter(kind=PointKind.RAIN).exists() and points.filter(kind=PointKind.WATER_QUALITY).exists()
    )
    statuses = dict(points.values_list("status").annotate(n=Count("pk")))
    assert statuses[PointStatus.ONLINE] > 800 and statuses[PointStatus.OFFLINE] > 30
    assert 0 < statuses[PointStatus.NEVER_SEEN] < 60
    assert not points.filter(latitude__isnull=True).exists()
    offline = points.filter(status=PointStatus.OFFLINE).first()
    assert PointStatusChange.objects.unrestricted("test").filter(point=offline, to_status="offline").exists()
    gauge = points.get(code="SW-01")
    assert Reading.objects.unrestricted("test").filter(point=gauge).count() == 720
    assert ReadingDaily.objects.unrestricted("test").filter(point=gauge).count() >= 30
