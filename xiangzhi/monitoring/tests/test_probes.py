"""The probe job and the snapshot button against fake cameras on loopback: which cameras are due, results recorded
through the health state machine in Chinese, a snapshot stored and shown, and who may take one."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from xiangzhi.core.exceptions import NotInScope
from xiangzhi.monitoring import services, tasks
from xiangzhi.monitoring.choices import PointKind, PointStatus
from xiangzhi.monitoring.models import Point, Snapshot

from . import fakecamera
from .factories import PointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def cameras():
    server = fakecamera.FakeCameraServer()
    urls = {
        "good": server.add(credentials=("admin", "Pw-1")),
        "refused": server.add(fakecamera.REFUSED),
        "wedged": server.add(fakecamera.WEDGED),
    }
    with server:
        yield urls


@pytest.fixture(autouse=True)
def _short_timeout(settings):
    settings.XIANGZHI_PROBE_TIMEOUT = 2


def _camera(admin, village, url, **fields):
    return PointFactory.create(actor=admin, village=village, stream_main_url=url, **fields)


def test_the_cameras_due_are_those_with_a_stream_not_probed_within_their_kinds_interval(
    admin_user, village_a
):
    never = _camera(admin_user, village_a, "rtsp://10.0.0.1/a")
    stale = _camera(admin_user, village_a, "rtsp://10.0.0.2/a")
    fresh = _camera(admin_user, village_a, "rtsp://10.0.0.3/a")
    _camera(admin_user, village_a, "")  # no stream
    PointFactory.create(actor=admin_user, village=village_a, kind=PointKind.WATER_LEVEL)  # not probed
    now = timezone.now()
    Point.objects.filter(pk=stale.pk).update(last_probe_at=now - datetime.timedelta(seconds=121))
    Point.objects.filter(pk=fresh.pk).update(last_probe_at=now - datetime.timedelta(seconds=60))

    due = services.points_due_for_probe(now=now)

    assert {p.pk for p in due} == {never.pk, stale.pk}


def test_the_probe_job_records_each_camera_with_what_it_found(cameras, admin_user, village_a):
    good = _camera(admin_user, village_a, cameras["good"])
    refused = _camera(admin_user, village_a, cameras["refused"])
    wedged = _camera(admin_user, village_a, cameras["wedged"])

    tasks.cameras_probe.call()

    good, refused, wedged = (Point.objects.get(pk=p.pk) for p in (good, refused, wedged))
    assert (good.status, good.last_probe_detail) == (PointStatus.ONLINE, "H264 640×360")
    assert (refused.last_probe_detail, refused.bad_streak) == ("连接被拒绝", 1)
    assert wedged.last_probe_detail == "2 秒内无应答"
    assert services.points_due_for_probe() == []  # all probed: none due until the interval has passed


def test_a_snapshot_is_grabbed_stored_and_shown_on_the_card(cameras, client, duty, admin_user, village_a):
    point = _camera(admin_user, village_a, cameras["good"])
    client.force_login(duty)

    response = client.post(reverse("monitoring:point_snapshot", args=[point.pk]), follow=True)

    shot = Snapshot.objects.get(point=point)
    assert (shot.width, shot.height, shot.taken_by) == (640, 360, duty)
    assert 0 < shot.size_bytes <= 2_000_000
    assert shot.image.open("rb").read(2) == b"\xff\xd8"
    page = response.content.decode()
    assert "已抓拍。" in page
    assert reverse("monitoring:snapshot", args=[shot.pk]) in page


def test_a_camera_that_gives_no_picture_says_why_in_chinese(cameras, client, duty, admin_user, village_a):
    point = _camera(admin_user, village_a, cameras["refused"])
    client.force_login(duty)

    response = client.post(reverse("monitoring:point_snapshot", args=[point.pk]), follow=True)

    assert "摄像头没有给出画面：连接被拒绝" in response.content.decode()
    assert not Snapshot.objects.filter(point=point).exists()


def test_a_point_without_a_stream_has_no_snapshot_button_nor_service(admin_user, village_a, client):
    point = PointFactory.create(actor=admin_user, village=village_a, kind=PointKind.WATER_LEVEL)
    client.force_login(admin_user)

    assert "抓拍" not in client.get(reverse("monitoring:point", args=[point.pk])).content.decode()
    with pytest.raises(ValidationError):
        services.point_snapshot_take(actor=admin_user, point=point)


def test_only_who_may_take_snapshots_sees_the_button_and_an_outsider_is_refused(
    admin_user, village_a, client, grid, charlie
):
    point = _camera(admin_user, village_a, "rtsp://10.0.0.9/a")
    client.force_login(grid)  # reads the village's points, takes no snapshots
    assert "抓拍" not in client.get(reverse("monitoring:point", args=[point.pk])).content.decode()
    client.force_login(admin_user)
    assert "抓拍" in client.get(reverse("monitoring:point", args=[point.pk])).content.decode()
    with pytest.raises(NotInScope):
        services.point_snapshot_take(actor=charlie, point=point)  # a cadre of another village
