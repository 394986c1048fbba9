"""The phone scenario in a real browser: a village cadre on a 360-px phone finds a household and opens its card.

Headless Debian Chromium driven by Playwright against pytest-django's live server. The data is written
directly, not through the registry services: services write audit rows, and the SQLite triggers that keep
the audit table append-only would abort the flush that ends a transactional test.
"""

import datetime

import pytest
from django.utils import timezone

from xiangzhi.accounts.models import RoleAssignment, User
from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.areas.services import town_create
from xiangzhi.core.crypto import blind_index
from xiangzhi.core.permissions import Role
from xiangzhi.registry import services
from xiangzhi.registry.models import (
    ContactPhone,
    Household,
    Membership,
    Resident,
    SearchToken,
)
from xiangzhi.registry.search import build_household_tokens, build_resident_tokens
from xiangzhi.registry.tests.factories import make_id
from xiangzhi.tests.helpers import require_system_part

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_VIEWPORT = {"width": 360, "height": 740}
PASSWORD = "pw-for-tests-123"
SCREENSHOT = "/tmp/xiangzhi-card.png"

# Size, text colour and effective background colour (nearest non-transparent ancestor) of each tap target.
TAP_TARGETS_JS = """() => {
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const bg = getComputedStyle(el).backgroundColor;
      if (bg !== "rgba(0, 0, 0, 0)" && bg !== "transparent") return bg;
    }
    return "rgb(255, 255, 255)";
  };
  return [...document.querySelectorAll("main button, main a.tel, main .actions a")].map((el) => ({
    text: el.textContent.trim(),
    height: Math.round(el.getBoundingClientRect().height),
    color: getComputedStyle(el).color,
    background: background(el),
  }));
}"""


def _household(group, number, address, house_number, members):
    """A household with its members, phones and search keys, written without services (no audit rows)."""
    household = Household.objects.create(
        town=group.town,
        village=group.village,
        group=group,
        number=number,
        address=address,
        house_number=house_number,
        confirmed_at=timezone.now(),
    )
    tokens = build_household_tokens(household)
    for relationship, name, sex, birth, seq, status, phone in members:
        id_number = make_id(birth, sex, seq)
        resident = Resident.objects.create(
            town=group.town,
            household=household,
            name=name,
            sex=sex,
            birth_date=birth,
            id_status="present",
            id_number=id_number,
            id_blind=blind_index("id", id_number),
            residence_status=status,
        )
        Membership.objects.create(
            town=group.town, household=household, resident=resident, relationship=relationship
        )
        ContactPhone.objects.create(
            town=group.town, resident=resident, number=phone, blind=blind_index("phone", phone)
        )
        if relationship == "head":
            household.head = resident
            household.save(update_fields=["head"])
        tokens += build_resident_tokens(resident, phones=[phone])
    SearchToken.objects.bulk_create(tokens)
    return household


@pytest.fixture
def phone_scenario():
    town = town_create(name="宝兴镇", code="500111108000")
    services.town_flags_seed(town=town)
    village_a = Village.objects.create(town=town, name="玉峰村", code="500111108001")
    village_b = Village.objects.create(town=town, name="高峰村", code="500111108002")
    group_a1 = VillageGroup.objects.create(town=town, village=village_a, number=1, name="1组")
    group_b1 = VillageGroup.objects.create(town=town, village=village_b, number=1, name="1组")
    cadre = User.objects.create_user(username="cadre1", password=PASSWORD, town=town)
    RoleAssignment.objects.create(user=cadre, role=Role.CADRE, village=village_a)
    mine = _household(
        group_a1,
        "A-001",
        "玉峰村1组12号",
        "12号",
        [
            ("head", "张三", "M", datetime.date(1970, 3, 5), 1, "at_home", "13812345678"),
            ("spouse", "李四妹", "F", datetime.date(1972, 6, 1), 2, "at_home", "13900001111"),
            ("son", "张小明", "M", datetime.date(1996, 1, 20), 3, "migrant", "15822223333"),
        ],
    )
    # Same surname and given name prefix, other village: the cadre of village A must never see him.
    _household(
        group_b1,
        "B-001",
        "高峰村1组3号",
        "3号",
        [("head", "张三丰", "M", datetime.date(1965, 2, 2), 5, "at_home", "18655556666")],
    )
    return mine


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_cadre_finds_household_on_a_phone_and_sees_masked_numbers(live_server, phone_scenario):
    require_system_part(CHROMIUM, "Chromium")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # A phone set to Chinese, as the cadres' are: the pages answer in zh-Hans.
            context = browser.new_context(
                viewport=PHONE_VIEWPORT, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
            )
            page = context.new_page()
            page.set_default_timeout(10_000)

            page.goto(live_server.url + "/accounts/login/")
            page.fill("#id_username", "cadre1")
            page.fill("#id_password", PASSWORD)
            page.locator("form:has(#id_username) [type=submit]").click()
            expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

            # The landing page of a cadre has the search box; type two characters of a name.
            searchbox = page.locator("input[name=q]")
            expect(searchbox).to_be_visible()
            searchbox.press_sequentially("张三", delay=80)
            hit = page.locator("#results ul.hits a").filter(has_text="张三")
            expect(hit.first).to_be_visible()  # htmx answers after its 250 ms delay
            results = page.locator("#results").inner_text()
            assert "张三丰" not in results and "高峰村" not in results  # the other village stays out of sight
            assert page.locator("#results ul.hits a").count() == 1

            hit.first.click()
            page.wait_for_url(f"**/registry/households/{phone_scenario.pk}/")

            members = page.locator("section[aria-labelledby=members-h] .member")
            for name in ("张三", "李四妹", "张小明"):
                expect(members.locator("b", has_text=name).first).to_be_visible()
            expect(page.get_by_text("138****5678").first).to_be_visible()
            expect(page.get_by_text("139****1111").first).to_be_visible()
            html = page.content()
            for full in ("13812345678", "13900001111", "15822223333"):
                assert full not in html
            assert "张三丰" not in html

            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            assert scroll_width <= PHONE_VIEWPORT["width"], f"horizontal overflow: {scroll_width}px"

            # Everything a thumb taps on the card is big enough, and no button is drawn white on the white card.
            targets = page.evaluate(TAP_TARGETS_JS)
            assert targets, "no buttons or links found on the card"
            too_small = [t for t in targets if t["height"] < 40]
            assert not too_small, f"tap targets under 40 px: {too_small}"
            invisible = [t for t in targets if t["color"] == t["background"]]
            assert not invisible, f"text in the background colour: {invisible}"

            page.screenshot(path=SCREENSHOT, full_page=True)

            # Back to the search the live search pushed: the whole styled page, not the bare list of hits.
            page.go_back()
            page.wait_for_url("**/registry/search/?q=*")
            expect(page.locator("header.top nav")).to_be_visible()
            expect(page.locator("#results ul.hits a").filter(has_text="张三").first).to_be_visible()
            assert page.locator("link[rel=stylesheet]").count() == 1
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_editing_a_resident_without_id_number_keeps_the_birth_date(live_server, phone_scenario):
    """zh-Hans once rendered the date input as 2019/10/28, which <input type=date> shows as empty: saving the
    form erased the birth date of everyone without an ID number (the only source of it)."""
    require_system_part(CHROMIUM, "Chromium")
    from playwright.sync_api import expect, sync_playwright

    baby = Resident.objects.create(
        town=phone_scenario.town,
        household=phone_scenario,
        name="张小宝",
        sex="M",
        birth_date=datetime.date(2019, 10, 28),
        id_status="none",
        no_id_reason="尚未登记户口",
    )
    Membership.objects.create(
        town=phone_scenario.town, household=phone_scenario, resident=baby, relationship="grandson"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN").new_page()
            page.set_default_timeout(10_000)
            page.goto(live_server.url + "/accounts/login/")
            page.fill("#id_username", "cadre1")
            page.fill("#id_password", PASSWORD)
            page.locator("form:has(#id_username) [type=submit]").click()
            expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

            page.goto(live_server.url + f"/registry/residents/{baby.pk}/edit/")
            expect(page.locator("#id_birth_date")).to_have_value("2019-10-28")
            page.fill("#id_notes", "在镇上读幼儿园")
            page.locator("form.card [type=submit]").click()
            page.wait_for_url(f"**/registry/households/{phone_scenario.pk}/")
        finally:
            browser.close()
    baby.refresh_from_db()
    assert (baby.notes, baby.birth_date) == ("在镇上读幼儿园", datetime.date(2019, 10, 28))


SHOTS = "/tmp/shots-forms"


def _login(page, url, lang="zh-hans"):
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", "cadre1")
    page.fill("#id_password", PASSWORD)
    page.locator("form:has(#id_username) [type=submit]").click()
    from playwright.sync_api import expect

    expect(page.locator("html")).to_have_attribute("lang", lang)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_member_form_guides_on_a_phone(live_server, phone_scenario):
    """Adding a member at 360 px in zh-Hans: the ID number fills sex and birth date and says when a typed birth
    date disagrees; 残疾等级 appears only once 残疾 is ticked; phones come one at a time; a failed submit lands on
    the error summary."""
    require_system_part(CHROMIUM, "Chromium")
    import pathlib

    from playwright.sync_api import expect, sync_playwright

    pathlib.Path(SHOTS).mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(
                viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True, locale="zh-CN"
            ).new_page()
            page.set_default_timeout(10_000)
            _login(page, live_server.url)
            page.goto(live_server.url + f"/registry/households/{phone_scenario.pk}/members/new/")
            expect(page.locator("fieldset.section legend").first).to_have_text("身份信息")
            expect(page.get_by_text("的为必填项")).to_be_visible()

            # the level is hidden until a flag with a level is ticked
            level = page.locator("#id_disability_level")
            expect(level).to_be_hidden()
            page.get_by_label("残疾", exact=True).check()
            expect(level).to_be_visible()
            page.get_by_label("残疾", exact=True).uncheck()
            expect(level).to_be_hidden()

            # one phone slot, then another on request
            expect(page.locator("#id_phone_1")).to_be_visible()
            expect(page.locator("#id_phone_2")).to_be_hidden()
            page.get_by_role("button", name="添加电话").click()
            expect(page.locator("#id_phone_2")).to_be_visible()
            expect(page.locator("#id_phone_3")).to_be_hidden()

            # the ID number fills sex and birth date as it is typed
            page.locator("#id_id_number").press_sequentially(
                make_id(datetime.date(2001, 2, 3), "F", 7), delay=20
            )
            expect(page.locator("#id_sex")).to_have_value("F")
            expect(page.locator("#id_birth_date")).to_have_value("2001-02-03")
            # a birth date typed that disagrees is called out at once
            page.fill("#id_birth_date", "2001-02-04")
            page.locator("#id_birth_date").dispatch_event("change")
            expect(page.get_by_text("出生日期与身份证号不一致")).to_be_visible()
            page.get_by_label("残疾", exact=True).check()
            page.screenshot(path=f"{SHOTS}/member-form-360.png", full_page=True)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            assert scroll_width <= PHONE_VIEWPORT["width"], f"horizontal overflow: {scroll_width}px"

            # a failed submit: the error summary takes the focus and links to the fields
            page.locator("form.card [type=submit]").click()
            summary = page.locator("[data-error-summary]")
            expect(summary).to_be_focused()
            expect(summary.locator("a[href='#id_name']")).to_be_visible()
            expect(page.locator("#id_name")).to_have_attribute("aria-invalid", "true")
            page.screenshot(path=f"{SHOTS}/member-form-errors-360.png")
            summary.locator("a[href='#id_name']").click()
            expect(page.locator("#id_name")).to_be_focused()
        finally:
            browser.close()


# The placeholder's width in its own font against the room inside the search box.
PLACEHOLDER_FIT_JS = """() => {
  const box = document.querySelector("input[name=q]");
  const style = getComputedStyle(box), own = getComputedStyle(box, "::placeholder");
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = own.fontSize + " " + own.fontFamily;
  return {
    text: box.placeholder,
    width: ctx.measureText(box.placeholder).width,
    room: box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
  };
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_search_placeholder_fits_a_phone_and_recent_households_show(
    live_server, phone_scenario, language
):
    """The longest placeholder (a cadre's, who may search ID numbers too) is whole at 360 px; the household just
    opened is listed under the empty search box."""
    require_system_part(CHROMIUM, "Chromium")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
            context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(10_000)
            _login(page, live_server.url, language)

            page.goto(live_server.url + "/registry/search/")
            fit = page.evaluate(PLACEHOLDER_FIT_JS)
            assert ("身份证" in fit["text"]) if language == "zh-hans" else ("ID" in fit["text"])
            assert fit["width"] <= fit["room"], fit

            page.locator("input[name=q]").press_sequentially("zs", delay=80)
            hit = page.locator("#results ul.hits a").filter(has_text="张三")
            expect(hit.locator("mark").first).to_have_text("张三")
            hit.first.click()
            page.wait_for_url(f"**/registry/households/{phone_scenario.pk}/")
            page.goto(live_server.url + "/registry/search/")
            expect(page.locator("#results ul.recent a").first).to_contain_text("A-001")
        finally:
            browser.close()
