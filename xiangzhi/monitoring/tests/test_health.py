"""The health state machine with a frozen clock: first sign of life, missed heartbeats, failed probes, coming
back, and flapping damped; every transition a row."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from xiangzhi.monitoring import services
from xiangzhi.monitoring.choices import PointKind, PointStatus, TransitionReason
from xiangzhi.monitoring.models import Point, PointStatusChange

from .factories import PointFactory

T0 = datetime.datetime(2026, 7, 1, 8, 0, tzinfo=datetime.UTC)


class Clock:
    """`timezone.now()` frozen at a moment the test moves by hand."""

    def __init__(self, at):
        self.at = at
        self._patch = mock.patch("django.utils.timezone.now", side_effect=lambda: self.at)

    def advance(self, **delta):
        self.at += datetime.timedelta(**delta)
        return self.at

    def __enter__(self):
        self._patch.start()
        return self

    def __exit__(self, *exc):
        self._patch.stop()


@pytest.fixture
def clock():
    with Clock(T0) as c:
        yield c


@pytest.fixture
def camera(admin_user, village_a, clock):
    return PointFactory.create(actor=admin_user, village=village_a, kind=PointKind.CAMERA)


def _reload(point) -> Point:
    return Point.objects.unrestricted("test").get(pk=point.pk)


def _history(point) -> list[tuple[str, str, str]]:
    rows = PointStatusChange.objects.unrestricted("test").filter(point=point).order_by("at", "id")
    return [(r.from_status, r.to_status, r.reason) for r in rows]


def test_a_point_is_never_seen_until_its_first_heartbeat(camera, clock):
    assert camera.status == PointStatus.NEVER_SEEN
    services.points_sweep()  # a never-seen point is not "offline": it never was online
    assert _reload(camera).status == PointStatus.NEVER_SEEN
    services.point_heartbeat(point=camera)
    point = _reload(camera)
    assert (point.status, point.status_since, point.last_seen_at) == (PointStatus.ONLINE, T0, T0)
    assert _history(camera) == [("never_seen", "online", "heartbeat")]


def test_missed_heartbeats_take_a_camera_offline_and_the_next_one_brings_it_back(camera, clock):
    services.point_heartbeat(point=camera)
    # a camera's default policy: 3 × max(60 s heartbeat, 120 s probe) = 6 minutes of silence
    clock.advance(minutes=5, seconds=59)
    assert services.points_sweep() == 0
    clock.advance(seconds=2)
    assert services.points_sweep() == 1
    point = _reload(camera)
    assert (point.status, point.status_since) == (PointStatus.OFFLINE, clock.at)
    assert services.points_sweep() == 0  # already offline: no second row
    clock.advance(days=2)
    services.point_heartbeat(point=camera)
    assert _reload(camera).status == PointStatus.ONLINE
    assert _history(camera) == [
        ("never_seen", "online", "heartbeat"),
        ("online", "offline", "missed"),
        ("offline", "online", "heartbeat"),
    ]


def test_failed_probes_take_a_camera_offline_a_good_one_brings_it_back(camera, clock):
    services.point_probe_result(point=camera, ok=True, detail="h264 1920x1080")
    assert _reload(camera).status == PointStatus.ONLINE
    for _ in range(2):
        clock.advance(minutes=2)
        services.point_probe_result(point=camera, ok=False, detail="timeout")
    assert _reload(camera).status == PointStatus.ONLINE  # two failures of three
    clock.advance(minutes=2)
    services.point_probe_result(point=camera, ok=False, detail="401 Unauthorized")
    point = _reload(camera)
    assert (point.status, point.last_probe_detail) == (PointStatus.OFFLINE, "401 Unauthorized")
    clock.advance(minutes=2)
    services.point_probe_result(point=camera, ok=True, detail="h264 1920x1080")
    assert _reload(camera).status == PointStatus.ONLINE
    assert [r for _f, _t, r in _history(camera)] == ["probe", "probe", "probe"]


def test_a_heartbeat_between_failed_probes_resets_the_count(camera, clock):
    services.point_heartbeat(point=camera)
    for _ in range(5):
        clock.advance(minutes=1)
        services.point_probe_result(point=camera, ok=False, detail="timeout")
        services.point_heartbeat(point=camera)
    assert _reload(camera).status == PointStatus.ONLINE


def test_flapping_is_damped_by_the_minimum_time_in_a_state(admin_user, camera, clock):
    services.policy_set(
        actor=admin_user,
        kind=PointKind.CAMERA,
        heartbeat_seconds=60,
        missed_count=1,
        probe_seconds=0,
        min_state_seconds=600,
        recover_after=1,
    )
    services.point_heartbeat(point=camera)
    clock.advance(minutes=5)  # silent for 5 minutes, but online for less than 10
    assert services.points_sweep() == 0
    clock.advance(minutes=6)
    assert services.points_sweep() == 1
    clock.advance(minutes=1)
    services.point_heartbeat(point=camera)  # back after one minute: held offline
    assert _reload(camera).status == PointStatus.OFFLINE
    clock.advance(minutes=10)
    services.point_heartbeat(point=camera)
    assert _reload(camera).status == PointStatus.ONLINE
    assert len(_history(camera)) == 3


def test_an_offline_point_needs_good_signs_in_a_row_when_the_policy_says_so(admin_user, camera, clock):
    services.policy_set(
        actor=admin_user,
        kind=PointKind.CAMERA,
        heartbeat_seconds=60,
        missed_count=2,
        min_state_seconds=0,
        recover_after=3,
    )
    services.point_heartbeat(point=camera)
    clock.advance(minutes=3)
    services.points_sweep()
    for expected in (PointStatus.OFFLINE, PointStatus.OFFLINE, PointStatus.ONLINE):
        clock.advance(seconds=30)
        services.point_heartbeat(point=camera)
        assert _reload(camera).status == expected
    clock.advance(seconds=30)
    services.point_probe_result(point=camera, ok=False)
    services.point_heartbeat(point=camera)
    assert _reload(camera).status == PointStatus.ONLINE


def test_a_gauge_keeps_its_own_kinds_policy(admin_user, village_a, clock):
    gauge = PointFactory.create(actor=admin_user, village=village_a, kind=PointKind.WATER_LEVEL)
    services.point_heartbeat(point=gauge)
    clock.advance(minutes=10)  # silent 10 minutes: a gauge reports every 5, three misses = 15
    assert services.points_sweep() == 0
    clock.advance(minutes=6)
    assert services.points_sweep() == 1


def test_a_town_policy_applies_to_its_own_points_only(admin_user, camera, other_town_admin, clock):
    other = PointFactory.create(actor=other_town_admin, kind=PointKind.CAMERA)
    services.policy_set(actor=admin_user, kind=PointKind.CAMERA, heartbeat_seconds=600, missed_count=3)
    services.points_seen(point_ids=[camera.pk, other.pk])
    clock.advance(minutes=10)
    assert services.points_sweep() == 1
    assert (_reload(camera).status, _reload(other).status) == (PointStatus.ONLINE, PointStatus.OFFLINE)


def test_a_batch_of_heartbeats_updates_online_points_in_one_statement(
    admin_user, village_a, clock, django_assert_max_num_queries
):
    points = [PointFactory.create(actor=admin_user, village=village_a) for _ in range(20)]
    assert services.points_seen(point_ids=[p.pk for p in points]) == 20  # first sign of life: transitions
    clock.advance(seconds=30)
    with django_assert_max_num_queries(4):
        assert services.points_seen(point_ids=[p.pk for p in points]) == 0
    assert {_reload(p).last_seen_at for p in points} == {clock.at}


def test_the_sweep_is_set_based(admin_user, village_a, clock, django_assert_max_num_queries):
    points = [PointFactory.create(actor=admin_user, village=village_a) for _ in range(60)]
    services.points_seen(point_ids=[p.pk for p in points])
    clock.advance(hours=1)
    with django_assert_max_num_queries(6):
        assert services.points_sweep() == 60
    assert PointStatusChange.objects.unrestricted("test").filter(reason=TransitionReason.MISSED).count() == 60


def test_a_point_set_offline_by_hand_has_its_row_with_who(admin_user, camera, clock):
    services.point_heartbeat(point=camera)
    services.point_status_set(actor=admin_user, point=camera, status=PointStatus.OFFLINE, note="维修")
    row = PointStatusChange.objects.unrestricted("test").get(point=camera, reason=TransitionReason.MANUAL)
    assert (row.actor, row.detail, row.to_status) == (admin_user, "维修", "offline")
    assert timezone.now() == T0
