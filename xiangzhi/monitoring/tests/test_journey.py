"""The duty officer's journey on a 360-px phone, in zh-Hans: open the map, keep the reservoir points only, open a
gauge's card, go on to its page and see its chart. Screenshots in /tmp/shots-monitoring to look at."""

import datetime
import pathlib

import pytest
from django.utils import timezone

from xiangzhi.monitoring import services
from xiangzhi.monitoring.choices import PointCategory, PointKind, Quantity
from xiangzhi.monitoring.services import Value
from xiangzhi.registry.tests.test_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD, PHONE_VIEWPORT
from xiangzhi.tests.helpers import require_system_part

from .factories import PointFactory, ReservoirFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = pathlib.Path("/tmp/shots-monitoring")


@pytest.fixture
def phone(monkeypatch, live_server):
    require_system_part(CHROMIUM, "Chromium")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(
            viewport=PHONE_VIEWPORT,  # type: ignore[arg-type]  # a plain dict of the two sizes
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.base = live_server.url  # type: ignore[attr-defined]  # where the journey starts
        yield page
        context.close()
        chromium.close()


@pytest.fixture
def reservoir_network(admin_user, village_a, village_b, household_a):
    """A reservoir with its level gauge (a week of 10-minute readings) and a dam camera, and road cameras away
    from it in both villages."""
    reservoir = ReservoirFactory.create(actor=admin_user, village=village_a, name="玉峰水库")
    gauge = PointFactory.create(
        actor=admin_user,
        village=village_a,
        code="SW-001",
        name="玉峰水库水位计",
        kind=PointKind.WATER_LEVEL,
        category=PointCategory.DAM,
        reservoir=reservoir,
        latitude="29.7000",
        longitude="105.7000",
    )
    PointFactory.create(
        actor=admin_user,
        village=village_a,
        code="CAM-DAM-1",
        name="玉峰水库大坝",
        category=PointCategory.DAM,
        reservoir=reservoir,
        latitude="29.7050",
        longitude="105.7100",
    )
    for n in range(12):
        PointFactory.create(
            actor=admin_user,
            village=village_a if n % 2 else village_b,
            code=f"CAM-RD-{n}",
            category=PointCategory.RURAL_ROAD,
            latitude=f"29.{720 + n * 3}",
            longitude=f"105.{730 + n * 2}",
        )
    now = timezone.now()
    start = now - datetime.timedelta(days=7)
    services.readings_record(
        point=gauge,
        values=[
            Value(Quantity.WATER_LEVEL, start + datetime.timedelta(minutes=10 * i), 311 + (i % 144) / 100)
            for i in range(7 * 144)
        ],
    )
    services.rollups_refresh(since=start, until=now + datetime.timedelta(hours=1))
    services.point_heartbeat(point=gauge)
    return gauge


def _sign_in(page, username: str) -> None:
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form:has(#id_username) [type=submit]").click()
    page.wait_for_load_state("networkidle")


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], f"horizontal overflow: {width}px"


def test_open_the_map_keep_reservoirs_open_a_gauge_and_see_its_chart(phone, duty, reservoir_network):
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)  # a loaded CI machine
    gauge = reservoir_network
    _sign_in(phone, "duty")
    phone.goto(phone.base + "/monitoring/map/")
    expect(phone.locator("#map")).to_have_attribute("data-loaded", "14")
    expect(phone.locator("#map-count")).to_have_text("14 个点位")
    expect(phone.locator("details.map-filters")).not_to_have_attribute("open", "")  # folded on a phone
    map_box = phone.locator("#map").bounding_box()
    assert map_box["width"] == PHONE_VIEWPORT["width"] and map_box["height"] > 450  # the map fills the screen
    expect(phone.locator("#map-legend")).to_contain_text("离线")
    _fits(phone)
    phone.screenshot(path=str(SHOTS / "1-map.png"))

    phone.locator("label.chip", has_text="水库").click()
    expect(phone.locator("#map")).to_have_attribute("data-loaded", "2")
    expect(phone.locator("#map-count")).to_have_text("2 个点位")
    assert "reservoirs=true" in phone.url
    phone.screenshot(path=str(SHOTS / "2-map-reservoirs.png"))

    phone.locator(f'.leaflet-marker-icon[title^="{gauge.code}"]').click()
    card = phone.locator(".leaflet-popup .map-card")
    expect(card).to_contain_text(gauge.name)
    expect(card).to_contain_text("在线")
    expect(card).to_contain_text("水位")
    phone.screenshot(path=str(SHOTS / "3-map-card.png"))

    card.locator("a", has_text="详情与曲线").click()
    phone.wait_for_url(f"**/monitoring/points/{gauge.pk}/")
    chart = phone.locator(".chart-box").first
    expect(chart.locator("canvas")).to_have_count(1)
    assert int(chart.get_attribute("data-points")) >= 140
    expect(chart.locator(".chart-summary")).to_contain_text("最新")
    chart.locator("button", has_text="7 天").click()
    expect(chart).to_have_attribute("data-span", "7d")
    expect(chart.locator(".chart-summary")).to_contain_text("小时均值")
    expect(chart.locator(".u-legend")).to_contain_text("汛限水位")
    chart.scroll_into_view_if_needed()
    _fits(phone)
    phone.screenshot(path=str(SHOTS / "4-gauge-chart.png"), full_page=True)
