"""The map's data: who sees which points (cadre, colleague, outsider, duty officer, device), the filters, the
GCJ-02 shift for a Chinese base map, village outlines, the point's card and the query counts."""

import json
from typing import cast

import pytest
from django.core.cache import cache
from django.test import override_settings

from xiangzhi.accounts.models import RoleAssignment, User
from xiangzhi.accounts.tests.factories import UserFactory
from xiangzhi.core.permissions import Role
from xiangzhi.monitoring import maps, services
from xiangzhi.monitoring.choices import PointCategory, PointKind, PointStatus
from xiangzhi.monitoring.geo import wgs84_to_gcj02

from .factories import PointFactory, ReservoirFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cached_outlines():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def network(admin_user, village_a, village_b):
    """Three points in village A (a dam camera of a reservoir, a road camera, a gauge), one in village B, one
    town-wide, one in A without a place (not on the map)."""
    reservoir = ReservoirFactory.create(actor=admin_user, village=village_a, name="玉峰水库")
    here = {"latitude": "29.701000", "longitude": "105.720000"}
    made = {
        "dam": PointFactory.create(
            actor=admin_user, village=village_a, category=PointCategory.DAM, reservoir=reservoir, **here
        ),
        "road": PointFactory.create(
            actor=admin_user, village=village_a, category=PointCategory.RURAL_ROAD, **here
        ),
        "gauge": PointFactory.create(
            actor=admin_user,
            village=village_a,
            kind=PointKind.WATER_LEVEL,
            category=PointCategory.OTHER,
            reservoir=reservoir,
            **here,
        ),
        "b": PointFactory.create(actor=admin_user, village=village_b, latitude="29.71", longitude="105.73"),
        "town": PointFactory.create(
            actor=admin_user, category=PointCategory.TOWN_CENTRE, latitude="29.70", longitude="105.71"
        ),
        "nowhere": PointFactory.create(actor=admin_user, village=village_a),
    }
    services.point_heartbeat(point=made["road"])
    return made


def _ids(client, query="") -> set[int]:
    response = client.get("/monitoring/map/points/" + query)
    assert response.status_code == 200
    return {row[0] for row in response.json()["points"]}


def _pks(network, *names) -> set[int]:
    return {network[n].pk for n in names}


def test_a_cadre_sees_their_village_and_the_town_wide_points(client, alice, network):
    client.force_login(alice)
    assert _ids(client) == _pks(network, "dam", "road", "gauge", "town")


def test_an_outsider_cadre_sees_only_their_own_village(client, charlie, network):
    client.force_login(charlie)
    assert _ids(client) == _pks(network, "b", "town")
    # naming a village outside the scope is a 404, as for any record out of scope
    village_a = network["dam"].village_id
    assert client.get(f"/monitoring/map/points/?village={village_a}").status_code == 404
    assert client.get(f"/monitoring/map/points/{network['dam'].pk}/card/").status_code == 404
    assert client.get(f"/monitoring/points/{network['dam'].pk}/series/").status_code == 404


def test_the_duty_officer_sees_the_whole_town(client, duty, network):
    client.force_login(duty)
    assert _ids(client) == _pks(network, "dam", "road", "gauge", "b", "town")


def test_a_device_is_refused_the_map_and_its_data(client, town, network):
    device = UserFactory(username="gauge-1", town=town, roles=())
    RoleAssignment.objects.create(user=cast(User, device), role=Role.DEVICE, object_id=network["gauge"].pk)
    client.force_login(device)
    for url in (
        "/monitoring/map/",
        "/monitoring/map/points/",
        f"/monitoring/map/points/{network['gauge'].pk}/card/",
        f"/monitoring/points/{network['gauge'].pk}/series/?quantity=water_level",
    ):
        assert client.get(url).status_code == 404, url


def test_a_visitor_is_sent_to_sign_in(client, network):
    assert client.get("/monitoring/map/points/").status_code == 302


def test_filters_by_reservoir_category_status_and_village(client, duty, network, village_b):
    client.force_login(duty)
    assert _ids(client, "?reservoirs=true") == _pks(network, "dam", "gauge")
    assert _ids(client, "?category=dam") == _pks(network, "dam")
    assert _ids(client, "?status=online") == _pks(network, "road")
    assert _ids(client, "?status=never_seen&kind=water_level") == _pks(network, "gauge")
    assert _ids(client, f"?village={village_b.pk}") == _pks(network, "b")
    assert _ids(client, "?status=nonsense") == set()  # an invalid filter matches nothing, never everything


def test_a_row_is_compact_and_its_codes_index_the_legend(client, duty, network):
    client.force_login(duty)
    rows = {row[0]: row for row in client.get("/monitoring/map/points/").json()["points"]}
    _pk, lat, lon, status, kind, category, code, name, village = rows[network["road"].pk]
    legend = maps.legend()
    assert (lat, lon) == (29.701, 105.72)
    assert legend["statuses"][status]["code"] == PointStatus.ONLINE
    assert maps.KINDS[kind] == PointKind.CAMERA
    assert maps.CATEGORIES[category] == PointCategory.RURAL_ROAD
    assert (code, name, village) == (network["road"].code, network["road"].name, network["road"].village_id)


def test_a_chinese_base_map_gets_gcj02_coordinates_the_database_keeps_wgs84(client, duty, network):
    client.force_login(duty)
    with override_settings(
        XIANGZHI_MAP_TILES="https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}"
    ):
        rows = {row[0]: row for row in client.get("/monitoring/map/points/").json()["points"]}
    lat, lon = wgs84_to_gcj02(29.701, 105.72)
    assert rows[network["road"].pk][1:3] == [round(lat, 6), round(lon, 6)]
    network["road"].refresh_from_db()
    assert float(network["road"].latitude) == 29.701
    with override_settings(XIANGZHI_MAP_TILES="https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY"):
        rows = {row[0]: row for row in client.get("/monitoring/map/points/").json()["points"]}
    assert rows[network["road"].pk][1:3] == [29.701, 105.72]  # 天地图 is CGCS2000: no shift


def test_the_points_are_one_query_whatever_their_number(
    client, duty, admin_user, village_a, network, django_assert_max_num_queries
):
    client.force_login(duty)
    with django_assert_max_num_queries(8) as few:  # the session, the user and their roles besides
        client.get("/monitoring/map/points/?reservoirs=true")
    assert sum('FROM "monitoring_point"' in q["sql"] for q in few.captured_queries) == 1
    for n in range(40):
        PointFactory.create(actor=admin_user, village=village_a, latitude="29.7", longitude=f"105.{n:02d}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(_ids(client)) == 45


def test_the_page_draws_village_outlines_without_tiles(client, alice, network, household_a, village_a):
    client.force_login(alice)
    response = client.get("/monitoring/map/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "水库" in html and "leaflet.js" in html and "//unpkg" not in html and "cdn" not in html.lower()
    config = json.loads(html.split('id="map-config" type="application/json">')[1].split("</script>")[0])
    assert config["tiles"] == ""
    outlines = {o["name"]: o for o in config["outlines"]}
    assert set(outlines) == {village_a.name}  # only the villages in the cadre's scope
    ring = outlines[village_a.name]["ring"]
    assert len(ring) >= 3
    assert [29.701, 105.72] not in ring  # corners are coarsened and pushed out: never a house or a point


def test_the_filter_form_works_without_javascript(client, duty, network):
    client.force_login(duty)
    html = client.get("/monitoring/map/?reservoirs=true&status=offline").content.decode()
    assert 'name="reservoirs" value="true" checked' in html
    assert '<option value="offline" selected>' in html
    assert '<button type="submit">应用</button>' in html


def test_the_card_shows_status_readings_history_and_a_live_link_without_credentials(
    client, alice, admin_user, network
):
    dam = network["dam"]
    services.point_update(
        actor=admin_user, point=dam, stream_main_url="rtsp://admin:Secret-pw1@192.168.1.64:554/Streaming/101"
    )
    client.force_login(alice)
    html = client.get(f"/monitoring/map/points/{dam.pk}/card/").content.decode()
    assert dam.name in html and "从未上线" in html
    assert "rtsp://192.168.1.64:554/Streaming/101" in html
    assert "Secret-pw1" not in html and "admin:" not in html
    with override_settings(XIANGZHI_MEDIA_URL="https://media.example/live/{code}/index.m3u8"):
        html = client.get(f"/monitoring/map/points/{dam.pk}/card/").content.decode()
    assert f"https://media.example/live/{dam.code}/index.m3u8" in html


def test_the_card_is_a_few_queries(client, duty, network, django_assert_max_num_queries):
    client.force_login(duty)
    client.get("/monitoring/map/points/")
    with django_assert_max_num_queries(10) as done:  # the session, the user and their roles besides
        assert client.get(f"/monitoring/map/points/{network['gauge'].pk}/card/").status_code == 200
    # the point, its latest readings, its last changes, its last snapshot
    assert sum('FROM "monitoring_' in q["sql"] for q in done.captured_queries) == 4
