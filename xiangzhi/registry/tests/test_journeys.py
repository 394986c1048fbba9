"""Journeys at 360 px in zh-Hans, each as a cadre does it on a phone, asserting what the page shows and what the
database holds afterwards: find and call, a flag tile's list narrowed and exported, a newborn without an ID
number, an edit that loses nothing, a split household, a printed card, the ledger exported with full numbers.

What `test_browser.py` already proves is not repeated here: the masked numbers and tap-target sizes of the card,
the call handed to the dialer from the warning list at 360 and 1366 px, the guided member form's behaviour, the
search placeholder. Each journey has its own Chromium and its own cookies.
The data comes from the shared fixtures, written through the services; the audit rows they and the pages write
are cleared after each test by conftest's `_audit_rows_cleared_after_a_transactional_test`.
"""

import csv
import datetime
import io
import os
import pathlib
import re

import pytest
from django.utils import timezone

from xiangzhi.core.models import AuditEntry
from xiangzhi.registry import services
from xiangzhi.registry.models import CallRecord, FlagType, Household, Membership, Resident
from xiangzhi.registry.tests.factories import HouseholdFactory, ResidentFactory
from xiangzhi.registry.tests.test_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD, PHONE_VIEWPORT
from xiangzhi.tests.helpers import require_system_part

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = pathlib.Path("/tmp/shots-journeys")


@pytest.fixture
def browser(monkeypatch):
    """A Chromium per journey: a module-wide one left the next module's transactional tests failing to restore
    the serialized database (content types already present), so each journey launches its own, as
    test_browser.py does."""
    require_system_part(CHROMIUM, "Chromium")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    # Playwright's sync API keeps an event loop open in this thread while the browser runs, and Django refuses
    # the ORM where a loop is open; the fixtures and the checks on the database run here between page actions.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser, live_server):
    """A fresh phone (its own cookies) set to Chinese, with a stand-in dialer: headless Chromium has none."""
    context = browser.new_context(
        viewport=PHONE_VIEWPORT,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        accept_downloads=True,
    )
    context.add_init_script("window.dialled = []; window.xiangzhiDial = (href) => window.dialled.push(href)")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base = live_server.url
    yield page
    context.close()


def _sign_in(page, username: str) -> None:
    from playwright.sync_api import expect

    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form:has(#id_username) [type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], f"horizontal overflow: {width}px"


# Buttons, call buttons and the names that open a household: what a thumb taps, at least 44 px tall.
TAP_TARGETS_JS = """() => [...document.querySelectorAll(
  "main a.button, main button:not(.link), main a.tel, main td.name > a, main .stat")]
  .filter((el) => el.offsetParent !== null)
  .map((el) => ({text: el.textContent.trim(), height: el.getBoundingClientRect().height}))"""


def _shot(page, name: str) -> None:
    """The page fits the phone, its tap targets are big enough; a screenshot to look at."""
    _fits(page)
    small = [t for t in page.evaluate(TAP_TARGETS_JS) if t["height"] < 44]
    assert not small, f"tap targets under 44 px: {small}"
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _card_url(household) -> str:
    return f"**/registry/households/{household.pk}/"


# --- 1. find and call ----------------------------------------------------------------------------------------


def test_find_a_household_call_its_head_and_record_no_answer(phone, alice, household_a):
    from playwright.sync_api import expect

    _sign_in(phone, "alice")
    phone.locator("input[name=q]").press_sequentially("张三", delay=60)
    phone.locator("#results ul.hits a").filter(has_text="张三").first.click()
    phone.wait_for_url(_card_url(household_a))

    calls = phone.locator("#call-h ~ .call")
    calls.locator("a.tel", has_text="138****5678").click()
    revealed = calls.locator("a.tel", has_text="13812345678")
    expect(revealed).to_have_attribute("href", "tel:13812345678")
    phone.wait_for_function("window.dialled.length > 0")
    assert phone.evaluate("window.dialled") == ["tel:13812345678"]
    _shot(phone, "1-card-calling")

    phone.fill(".call-outcome input[name=note]", "晚饭后再打")
    phone.locator(".call-outcome button", has_text="未接").click()
    last = calls.locator(".call-last.outcome-no_answer")
    expect(last).to_contain_text("未接")
    assert "13812345678" not in phone.content()  # masked again once the outcome is recorded

    phone.reload()  # the card as anyone opens it later: the last outcome beside the number
    expect(calls.filter(has_text="张三").locator(".call-last.outcome-no_answer")).to_contain_text("未接")
    _shot(phone, "1-card-recorded")

    head = household_a.head
    record = CallRecord.objects.get()
    assert (record.resident, record.caller, record.outcome, record.note) == (
        head,
        alice,
        "no_answer",
        "晚饭后再打",
    )
    assert record.number_masked == "138****5678"
    reveal = AuditEntry.objects.get(action="registry.phone.call")
    assert (reveal.actor, reveal.target_type, reveal.target_id) == (alice, "registry.resident", str(head.pk))
    assert AuditEntry.objects.filter(action="registry.call.record", actor=alice).count() == 1


# --- 2. a flag tile's list, narrowed to one group and exported -------------------------------------------------


def _elder(admin, group, number, name, phones=()):
    household = HouseholdFactory(actor=admin, group=group, number=number, house_number=f"{number[-1]}号")
    return ResidentFactory(
        actor=admin,
        household=household,
        relationship="head",
        name=name,
        birth=datetime.date(1938, 5, 5),
        flags=[services.FlagInput(flag=FlagType.objects.get(town=group.town, code="elderly_alone"))],
        phones=[services.PhoneInput(number=n, priority=i) for i, n in enumerate(phones, 1)],
    )


def test_from_the_dashboard_tile_to_a_groups_warning_list_and_its_export(
    phone, alice, admin_user, group_a1, group_a2, group_b1
):
    from playwright.sync_api import expect

    _elder(admin_user, group_a2, "A-201", "刘婆婆", ["13500001111", "13500002222"])
    _elder(admin_user, group_a2, "A-202", "陈爷爷", ["13500003333"])
    _elder(admin_user, group_a1, "A-101", "周奶奶")
    _elder(admin_user, group_b1, "B-101", "吴爷爷", ["13500004444"])  # village B: never alice's

    _sign_in(phone, "alice")
    phone.goto(phone.base + "/registry/")
    phone.locator("a.stat", has_text="独居老人").click()  # tap 1; tap 2 is the call (test_browser.py)
    expect(phone.locator("h1")).to_have_text("预警名单：独居老人")
    expect(phone.locator("[data-count]")).to_have_attribute("data-count", "3")

    # narrow to group 2: the village first (its groups appear), then the group; each choice reloads the list
    phone.locator("select[name=village]").select_option(str(group_a2.village_id))
    phone.locator("select[name=group]").select_option(str(group_a2.pk))
    phone.wait_for_url(re.compile(rf"group={group_a2.pk}"))
    expect(phone.locator("[data-count]")).to_have_attribute("data-count", "2")
    names = phone.locator("table.warnings td.name strong")
    expect(names).to_have_text(["刘婆婆", "陈爷爷"])
    expect(phone.locator("table.warnings a.tel").first).to_be_visible()  # the numbers to call, masked
    _shot(phone, "2-warning-list-group")

    phone.locator("a.button", has_text="在村民名册中打开").click()
    phone.wait_for_url("**/registry/residents/?*")
    expect(phone.locator("td.name strong")).to_have_text(["刘婆婆", "陈爷爷"])
    # the folded filters say whom the list (and so its export) holds
    expect(phone.locator("details.filters-box summary .tag")).to_have_text(
        ["村：玉峰村", f"村民小组：{group_a2.name}", "居住状态：本镇居住（全部）", "标签：独居老人"]
    )
    _shot(phone, "2-resident-list")
    with phone.expect_download() as download_info:
        phone.locator("a.button", has_text="导出表格").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    data = pathlib.Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens it in Chinese
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[0] == "姓名"
    assert sorted(r[0] for r in body) == ["刘婆婆", "陈爷爷"]
    assert all(group_a2.name in r for r in body)
    assert "13500001111" not in data.decode("utf-8-sig")  # the phone masked in the file too
    entry = AuditEntry.objects.get(action="registry.residents.export")
    assert entry.actor == alice


# --- 3. a newborn without an ID number -----------------------------------------------------------------------


def test_add_a_newborn_without_an_id_number(phone, alice, household_a):
    from playwright.sync_api import expect

    born = timezone.localdate() - datetime.timedelta(days=40)  # recorded some weeks after the birth

    _sign_in(phone, "alice")
    phone.goto(phone.base + f"/registry/households/{household_a.pk}/")
    phone.locator("a.button", has_text="添加成员").click()
    phone.fill("#id_name", "张小宝")
    phone.locator("#id_relationship").select_option("grandson")
    phone.locator("#id_start_reason").select_option("birth")
    phone.fill("#id_no_id_reason", "新生儿")
    phone.locator("#id_sex").select_option("M")
    phone.fill("#id_birth_date", born.isoformat())
    _shot(phone, "3-newborn-form")
    phone.locator("form.card [type=submit]").click()
    phone.wait_for_url(_card_url(household_a))

    member = phone.locator("section[aria-labelledby=members-h] .member").filter(has_text="张小宝")
    expect(member).to_contain_text("新生儿")
    expect(member.locator(".tag").first).to_have_text("孙子")
    # dated the day of birth, not the day it was recorded
    history = phone.locator("ol.history li.birth")
    expect(history).to_contain_text("张小宝")
    expect(history).to_contain_text("入户：出生")
    expect(history.locator("time")).to_have_attribute("datetime", born.isoformat())
    _shot(phone, "3-newborn-card")

    baby = Resident.objects.unrestricted("test").get(name="张小宝")
    assert (baby.id_status, baby.id_number, baby.no_id_reason) == ("none", None, "新生儿")
    assert (baby.sex, baby.birth_date, baby.household) == ("M", born, household_a)
    membership = Membership.objects.unrestricted("test").get(resident=baby)
    assert (membership.relationship, membership.start_reason, membership.ended_at) == (
        "grandson",
        "birth",
        None,
    )


# --- 4. an edit that loses nothing ---------------------------------------------------------------------------


def _everything(resident: Resident) -> dict:
    """Every field a cadre can see or set about a resident, to compare before and after an edit."""
    resident = Resident.objects.unrestricted("test").get(pk=resident.pk)
    fields = {
        f.name: getattr(resident, f.attname)
        for f in Resident._meta.concrete_fields
        if f.name not in {"updated_at", "version"}
    }
    fields["phones"] = [
        (p.number, p.holder, p.holder_name, p.priority, p.note)
        for p in resident.phones.order_by("priority", "pk")
    ]
    fields["flags"] = sorted((f.flag.code, f.level) for f in resident.flags.select_related("flag"))
    fields["memberships"] = list(
        resident.memberships.values_list("household_id", "relationship", "start_reason", "ended_at")
    )
    return fields


def test_edit_a_resident_without_an_id_number_and_lose_nothing(phone, alice, admin_user, household_a):
    from playwright.sync_api import expect

    town = household_a.town
    flag = FlagType.objects.get
    grandma = ResidentFactory(
        actor=admin_user,
        household=household_a,
        relationship="grandmother",
        name="张奶奶",
        id_number=None,
        no_id_reason="户口未迁入",
        sex="F",
        birth_date=datetime.date(1936, 4, 12),
        notes="耳背，大声说话",
        phones=[
            services.PhoneInput(number="13711112222", priority=1, note="白天"),
            services.PhoneInput(number="13633334444", holder="child", holder_name="张三", priority=2),
        ],
        flags=[
            services.FlagInput(flag=flag(town=town, code="disabled"), level=3),
            services.FlagInput(flag=flag(town=town, code="elderly_alone")),
        ],
    )
    before = _everything(grandma)
    assert before["birth_date"] == datetime.date(1936, 4, 12) and len(before["phones"]) == 2

    _sign_in(phone, "alice")
    phone.goto(phone.base + f"/registry/households/{household_a.pk}/")
    phone.locator(".member").filter(has_text="张奶奶").locator("a", has_text="修改").click()
    phone.wait_for_url(f"**/registry/residents/{grandma.pk}/edit/")
    # what the form holds before anything is typed: masked phones, the level shown with its flag
    expect(phone.locator("#id_birth_date")).to_have_value("1936-04-12")
    expect(phone.locator("#id_phone_1")).to_have_value("137****2222")
    expect(phone.locator("#id_phone_2")).to_have_value("136****4444")
    expect(phone.locator("#id_holder_name_2")).to_have_value("张三")
    expect(phone.locator("#id_disability_level")).to_have_value("3")
    expect(phone.locator("#id_notes")).to_have_value("耳背，大声说话")
    phone.fill("#id_notes", "耳背，大声说话；腿脚不便")
    _shot(phone, "4-edit-form")
    phone.locator("form.card [type=submit]").click()
    phone.wait_for_url(_card_url(household_a))
    member = phone.locator(".member").filter(has_text="张奶奶")
    expect(member).to_contain_text("腿脚不便")
    expect(member.locator(".tag", has_text="残疾")).to_contain_text("3")
    _shot(phone, "4-edit-card")

    after = _everything(grandma)
    assert after.pop("notes") == "耳背，大声说话；腿脚不便"
    before.pop("notes")
    assert after == before


# --- 5. a split household ------------------------------------------------------------------------------------


def test_split_a_household(phone, alice, household_a):
    from playwright.sync_api import expect

    son = household_a.residents.unrestricted("test").get(name="张小明")
    _sign_in(phone, "alice")
    phone.goto(phone.base + f"/registry/households/{household_a.pk}/")
    phone.locator("a.button", has_text="分户").click()
    phone.wait_for_url(f"**/registry/households/{household_a.pk}/split/")
    # proposed: the adult son as the new head, the group's next free number
    expect(phone.locator("#id_new_head")).to_have_value(str(son.pk))
    number = phone.locator("#id_number").input_value()
    assert number and number != household_a.number
    phone.locator("#id_members label", has_text="张小明").locator("input").check()
    _shot(phone, "5-split-form")
    phone.locator("main form [type=submit]").last.click()

    new = Household.objects.unrestricted("test").get(number=number)
    phone.wait_for_url(_card_url(new))
    expect(phone.locator("h1")).to_have_text(f"户 {number} · 张小明")
    expect(phone.locator("ol.history")).to_contain_text("分户")
    expect(phone.locator("ol.history a", has_text=household_a.number).first).to_be_visible()
    _shot(phone, "5-split-new-card")

    phone.goto(phone.base + f"/registry/households/{household_a.pk}/")
    # 张小明 still answers his mother's phone; he is no longer a member
    expect(phone.locator(".member > b")).to_have_text(["张三", "李四妹", "王秀英"])
    left = phone.locator("ol.history li.left", has_text="张小明")
    expect(left).to_contain_text("分户")
    expect(left.locator("a", has_text=number)).to_be_visible()
    _shot(phone, "5-split-old-card")

    assert (new.head, new.group, new.village) == (son, household_a.group, household_a.village)
    son.refresh_from_db()
    assert son.household == new
    old = Membership.objects.unrestricted("test").get(resident=son, household=household_a)
    assert old.end_reason == "split" and old.ended_at is not None
    assert AuditEntry.objects.filter(action="registry.household.split", actor=alice).count() == 1


# --- 6. a printed card ---------------------------------------------------------------------------------------


def test_print_a_household_card(phone, alice, household_a):
    from pypdf import PdfReader

    _sign_in(phone, "alice")
    phone.goto(phone.base + f"/registry/households/{household_a.pk}/")
    link = phone.locator("a.button", has_text="A6")
    _shot(phone, "6-card-print-links")
    response = phone.request.get(phone.base + link.get_attribute("href"))  # the phone's own session
    if response.status == 503 and not os.environ.get("CI"):
        pytest.skip("no Chinese font installed (apt-get install fonts-noto-cjk); a failure under CI=true")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF-")
    text = re.sub(r"[\s\x00]+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages))
    for expected in ("张三", "李四妹", household_a.number, "玉峰村"):
        assert expected in text, expected
    assert "13812345678" not in text
    entry = AuditEntry.objects.get(action="registry.household.print")
    assert (entry.actor, entry.target_id) == (alice, str(household_a.pk))


# --- 7. the ledger, exported with full numbers for a stated reason -----------------------------------------------


def test_export_the_ledger_with_full_numbers_for_a_stated_reason(phone, admin_user, household_a):
    from playwright.sync_api import expect

    _sign_in(phone, "admin")
    phone.goto(phone.base + "/registry/households/")
    phone.locator("a.button", has_text="导出村民台账").click()
    expect(phone.locator("h1")).to_have_text("导出村民台账")
    expect(phone.locator("[data-people]")).to_have_attribute("data-people", "4")
    _shot(phone, "ledger-export")
    # full numbers without a reason: the form says why it refuses
    phone.check("input[name=unmasked]")
    phone.locator("form[method=post] button[type=submit]").click()
    expect(phone.locator(".errorlist")).to_contain_text("原因")
    assert not AuditEntry.objects.filter(action__startswith="registry.ledger.").exists()
    phone.fill("input[name=reason]", "民政办低保复核")
    with phone.expect_download() as download:
        phone.locator("form[method=post] button[type=submit]").click()
    assert download.value.suggested_filename.endswith("-未脱敏.xlsx")
    from openpyxl import load_workbook

    # a file object: the download's path has no extension, which openpyxl goes by
    with open(download.value.path(), "rb") as workbook:
        wb = load_workbook(workbook, read_only=True)
        cells = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert household_a.head.id_number in cells
    entry = AuditEntry.objects.get(action="registry.ledger.export_unmasked")
    assert entry.after["rows"] == 4 and entry.after["reason"] == "民政办低保复核"
