"""The pages: scope (a cadre sees their village's points and the town-wide ones; an outsider gets 404), the
administrator's forms with write-only credentials, and query counts that do not grow with the number of points."""

import pytest

from xiangzhi.core.exceptions import NotInScope
from xiangzhi.monitoring import selectors, services
from xiangzhi.monitoring.choices import PointCategory, PointKind, PointStatus
from xiangzhi.monitoring.models import Point

from .factories import PointFactory, ReservoirFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def points(admin_user, village_a, village_b):
    return {
        "a": PointFactory.create(actor=admin_user, village=village_a, code="A-1", name="玉峰村口"),
        "b": PointFactory.create(actor=admin_user, village=village_b, code="B-1", name="高峰村口"),
        "town": PointFactory.create(
            actor=admin_user, village=None, code="T-1", name="场镇主街", category=PointCategory.TOWN_CENTRE
        ),
    }


def _codes(user) -> set[str]:
    return set(selectors.points(user=user).values_list("code", flat=True))


def test_a_cadre_sees_their_villages_points_and_the_town_wide_ones(points, alice, charlie, duty, grid):
    assert _codes(alice) == {"A-1", "T-1"}
    assert _codes(charlie) == {"B-1", "T-1"}
    assert _codes(grid) == {"A-1", "T-1"}  # a grid worker of a group of village A
    assert _codes(duty) == {"A-1", "B-1", "T-1"}


def test_a_device_reaches_its_own_point_only(points, town):
    from xiangzhi.accounts.models import RoleAssignment, User
    from xiangzhi.core.permissions import Role
    from xiangzhi.monitoring import permissions as perms

    device = User.objects.create_user(username="cam-a-1", town=town)
    RoleAssignment.objects.create(user=device, role=Role.DEVICE, object_id=points["a"].pk)
    device = User.objects.get(pk=device.pk)
    assert set(Point.objects.restrict(device, perms.INGEST).values_list("code", flat=True)) == {"A-1"}
    assert not Point.objects.restrict(device, perms.VIEW).exists()  # and no page
    with pytest.raises(NotInScope):
        services.point_update(actor=device, point=points["a"], name="x")


def test_outsiders_get_404_on_a_point_of_another_village(points, client, charlie, clerk, other_town_admin):
    url = f"/monitoring/points/{points['a'].pk}/"
    for user in (charlie, clerk, other_town_admin):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(charlie)
    assert client.get(f"/monitoring/points/{points['town'].pk}/").status_code == 200


def test_the_health_page_shows_ratios_and_lists(points, client, duty):
    services.point_heartbeat(point=points["a"])
    services.point_heartbeat(point=points["b"])
    services.point_status_set(actor=duty_admin(points), point=points["b"], status=PointStatus.OFFLINE)
    client.force_login(duty)
    page = client.get("/monitoring/health/").content.decode()
    assert "监测点健康" in page and "从未上线" in page and "场镇主街" in page
    assert "高峰村口" in page  # offline longest
    health = selectors.health(user=duty)
    assert (health.overall.total, health.overall.online, health.overall.offline) == (3, 1, 1)
    assert health.overall.percent == 50


def duty_admin(points):
    from xiangzhi.accounts.models import User

    return User.objects.get(username="admin")


def test_the_point_list_filters(points, client, duty):
    client.force_login(duty)
    page = client.get("/monitoring/points/?category=town_centre").content.decode()
    assert "T-1" in page and "A-1" not in page
    page = client.get(f"/monitoring/points/?village={points['b'].village_id}").content.decode()
    assert "B-1" in page and "A-1" not in page
    assert client.get("/monitoring/points/?status=never_seen").context["page"].paginator.count == 3


def test_a_village_out_of_scope_in_the_filter_is_404(points, client, alice):
    client.force_login(alice)
    assert client.get(f"/monitoring/points/?village={points['b'].village_id}").status_code == 404


def test_query_counts_do_not_grow_with_the_points(
    admin_user, village_a, client, duty, django_assert_max_num_queries
):
    client.force_login(duty)
    for n in range(30):
        PointFactory.create(actor=admin_user, village=village_a if n % 2 else None)
    client.get("/monitoring/health/")
    with django_assert_max_num_queries(12) as few:
        client.get("/monitoring/health/")
    health_queries = len(few.captured_queries)
    with django_assert_max_num_queries(12) as few:
        client.get("/monitoring/points/")
    list_queries = len(few.captured_queries)
    for _ in range(30):
        PointFactory.create(actor=admin_user, village=village_a)
    with django_assert_max_num_queries(health_queries):
        client.get("/monitoring/health/")
    with django_assert_max_num_queries(list_queries):
        client.get("/monitoring/points/")


def test_stream_credentials_are_stored_encrypted_and_never_shown(admin_user, village_a, client):
    from django.db import connection

    point = services.point_create(
        actor=admin_user,
        code="CAM-9",
        name="大坝",
        village=village_a,
        stream_main_url="rtsp://admin:Very-Secret9@192.168.1.64:554/Streaming/Channels/101",
    )
    point = Point.objects.unrestricted("test").get(pk=point.pk)
    assert point.stream_main_url == "rtsp://192.168.1.64:554/Streaming/Channels/101"
    assert point.stream_url_with_credentials() == (
        "rtsp://admin:Very-Secret9@192.168.1.64:554/Streaming/Channels/101"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stream_password, stream_username FROM monitoring_point WHERE id = %s", [point.pk]
        )
        raw = cursor.fetchone()
    assert "Very-Secret9" not in raw[0] and raw[0].startswith("v1:")
    client.force_login(admin_user)
    for url in (f"/monitoring/points/{point.pk}/", f"/monitoring/points/{point.pk}/edit/"):
        assert "Very-Secret9" not in client.get(url).content.decode()
    # an edit that leaves the password empty keeps it; a new one replaces it
    form = {
        "code": "CAM-9",
        "name": "大坝东",
        "kind": "camera",
        "category": "dam",
        "village": village_a.pk,
        "stream_main_url": point.stream_main_url,
    }
    assert client.post(f"/monitoring/points/{point.pk}/edit/", form).status_code == 302
    point = Point.objects.unrestricted("test").get(pk=point.pk)
    assert (point.name, point.stream_password) == ("大坝东", "Very-Secret9")
    client.post(f"/monitoring/points/{point.pk}/edit/", form | {"stream_password": "New-pw-2"})
    assert Point.objects.unrestricted("test").get(pk=point.pk).stream_password == "New-pw-2"
    client.post(f"/monitoring/points/{point.pk}/edit/", form | {"clear_credentials": "on"})
    assert not Point.objects.unrestricted("test").get(pk=point.pk).has_stream_credentials


def test_the_administrator_adds_a_reservoir_and_a_gauge_on_it(admin_user, village_a, client):
    client.force_login(admin_user)
    answer = client.post(
        "/monitoring/reservoirs/new/",
        {
            "code": "SK01",
            "name": "响水滩水库",
            "village": village_a.pk,
            "flood_limit_level": "312.50",
            "normal_pool_level": "314.00",
            "design_flood_level": "316.20",
            "dam_crest_elevation": "318.00",
        },
    )
    assert answer.status_code == 302
    reservoir = selectors.reservoirs(user=admin_user).get(code="SK01")
    answer = client.post(
        "/monitoring/points/new/",
        {
            "code": "SW-01",
            "name": "响水滩水位站",
            "kind": "water_level",
            "category": "dam",
            "village": village_a.pk,
            "reservoir": reservoir.pk,
            "latitude": "29.7",
            "longitude": "105.7",
        },
    )
    assert answer.status_code == 302
    assert "响水滩水库" in client.get("/monitoring/reservoirs/").content.decode()


def test_a_reservoirs_levels_must_be_in_order(admin_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        ReservoirFactory.create(actor=admin_user, flood_limit_level=320, normal_pool_level=315)
    assert "flood_limit_level" in caught.value.error_dict


def test_a_duplicate_code_is_refused_by_name(admin_user, client):
    PointFactory.create(actor=admin_user, code="CAM-1")
    client.force_login(admin_user)
    page = client.post(
        "/monitoring/points/new/", {"code": "CAM-1", "name": "x", "kind": "camera", "category": "other"}
    ).content.decode()
    assert "已有点位使用此编号" in page


def test_a_policy_set_on_the_page_is_used(admin_user, client):
    client.force_login(admin_user)
    form = {}
    for kind in ("camera", "water_level", "rain", "water_quality", "weather", "other"):
        policy = services.policies_by_kind(admin_user.town_id)[kind]
        for f in ("heartbeat_seconds", "missed_count", "probe_seconds", "min_state_seconds", "recover_after"):
            form[f"{kind}-{f}"] = getattr(policy, f)
    form["camera-missed_count"] = 5
    assert client.post("/monitoring/policies/", form).status_code == 302
    assert services.policies_by_kind(admin_user.town_id)[PointKind.CAMERA].missed_count == 5
