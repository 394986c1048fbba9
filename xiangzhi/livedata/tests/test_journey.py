"""A family's changes from their phones to the record, in a real browser at 360 px in zh-Hans.

李四妹 signs in with the code texted to her (read from the outbox, as a town without an SMS gateway would), asks
for her new phone number and reports a newborn; the newborn is about a new member, so her husband 张三, the head,
is asked first and agrees on his own phone; the village cadre approves both in the review queue; the household
card shows the baby in its history and the new number masked.
"""

import datetime
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from xiangzhi.accounts.tests.factories import PASSWORD
from xiangzhi.core.crypto import blind_index
from xiangzhi.livedata.choices import Kind, State
from xiangzhi.livedata.models import ChangeRequest
from xiangzhi.portal.models import SignInCode
from xiangzhi.portal.tests.helpers import code_texted_to
from xiangzhi.registry.models import ContactPhone, Resident
from xiangzhi.tests.helpers import CHROMIUM, CHROMIUM_ARGS, require_system_part

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

PHONE: "ViewportSize" = {"width": 360, "height": 740}
SHOTS = "/tmp/shots-live9"
WIFE_PHONE, WIFE_NEW_PHONE, HEAD_PHONE = "13900001111", "13566667777", "13812345678"

# every tap target on a resident's page: an elderly thumb needs 44 px
TAP_TARGETS_JS = """() => [...document.querySelectorAll("main button, main .button, main a.card, main a.waiting, main label:has(input[type=radio])")]
  .filter((el) => el.offsetParent !== null)
  .map((el) => ({text: el.textContent.trim().slice(0, 30), height: Math.round(el.getBoundingClientRect().height)}))"""


def _fits_a_phone(page, name: str) -> None:
    """No sideways scrolling, every tap target tall enough; a screenshot to look at."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: horizontal overflow {width}px"
    small = [t for t in page.evaluate(TAP_TARGETS_JS) if t["height"] < 44]
    assert not small, f"{name}: tap targets under 44 px: {small}"
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _resident_signs_in(browser, url: str, phone: str):
    from playwright.sync_api import expect

    page = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    ).new_page()
    page.set_default_timeout(10_000)
    page.goto(url + "/r/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.fill("input[name=phone]", phone)
    page.locator("main [type=submit]").click()
    page.wait_for_url("**/r/code/")
    expect(page.get_by_text(phone[:3] + "****" + phone[-4:])).to_be_visible()
    assert phone not in page.content()
    page.fill("input[name=code]", code_texted_to(phone))
    page.locator("main [type=submit]").click()
    page.wait_for_url("**/r/home/")
    return page


def _next_and_send(page, name: str) -> None:
    page.locator("main form [type=submit]").first.click()  # 下一步：核对变更
    from playwright.sync_api import expect

    expect(page.locator("table.changes")).to_be_visible()
    _fits_a_phone(page, name)
    page.locator("main form [type=submit]", has_text="提交").click()
    page.wait_for_url("**/r/requests/*/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_family_updates_its_record_from_their_phones(live_server, household_a, alice, monkeypatch):
    require_system_part(CHROMIUM, "Chromium")
    # the test reads the outbox between taps, inside sync Playwright's event loop (its own greenlet: the ORM
    # calls are still synchronous)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    wife = Resident.objects.unrestricted("test").get(name="李四妹")
    born = timezone.localdate() - datetime.timedelta(days=20)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # 李四妹 signs in with the code from the outbox: her household, every number masked, hers too
            page = _resident_signs_in(browser, live_server.url, WIFE_PHONE)
            expect(page.locator("h1")).to_have_text("我的家庭")
            members = page.locator("section[aria-labelledby=members-h]")
            expect(members).to_contain_text("139****1111")
            assert WIFE_PHONE not in page.content() and HEAD_PHONE not in page.content()
            _fits_a_phone(page, "1-home")

            # her new phone number: about herself, so it goes straight to the village
            page.locator("a.button[href='/r/requests/']").click()
            page.locator("a.button[href='/r/requests/new/']").click()
            _fits_a_phone(page, "2-kinds")
            page.locator("a.button[href='?kind=phone']").click()
            page.locator(f"input[name=resident][value='{wife.pk}']").check()
            page.fill("input[name=phone]", WIFE_NEW_PHONE)
            _fits_a_phone(page, "3-phone-form")
            _next_and_send(page, "4-phone-check")
            expect(page.locator(".outcome")).to_have_text("等待村里审核")
            assert WIFE_NEW_PHONE not in page.content()  # masked on her own page too

            # a newborn: a new member, so the head is asked first
            page.goto(live_server.url + "/r/requests/new/?kind=newborn")
            page.fill("input[name=name]", "张小宝")
            page.locator("input[name=sex][value=F]").check()
            page.fill("input[name=birth_date]", born.isoformat())
            page.select_option("select[name=relationship]", "daughter")
            _fits_a_phone(page, "5-newborn-form")
            _next_and_send(page, "6-newborn-check")
            expect(page.locator(".outcome")).to_have_text("等待户主同意")
            page.goto(live_server.url + "/r/requests/")
            _fits_a_phone(page, "7-requests")

            # 张三, the head, signs in on his phone: the request waits for his OK
            head = _resident_signs_in(browser, live_server.url, HEAD_PHONE)
            expect(head.locator("a.waiting")).to_have_text("1 项申请需要您同意")
            _fits_a_phone(head, "8-head-home")
            head.locator("a.button[href='/r/requests/']").first.click()
            head.locator("a.card", has_text="需要您同意").click()
            expect(head.locator("main")).to_contain_text("张小宝")
            _fits_a_phone(head, "9-head-request")
            head.locator("button[value=approve]").click()
            expect(head.locator(".outcome")).to_have_text("等待村里审核")

            # the village cadre approves both in the queue
            cadre = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
            cadre.set_default_timeout(10_000)
            cadre.goto(live_server.url + "/accounts/login/")
            cadre.fill("#id_username", "alice")
            cadre.fill("#id_password", PASSWORD)
            cadre.locator("form:has(#id_username) [type=submit]").click()
            cadre.goto(live_server.url + "/changes/")
            rows = cadre.locator("table.stack td.title a")
            expect(rows).to_have_count(2)
            cadre.screenshot(path=f"{SHOTS}/10-queue.png", full_page=True)
            for _ in range(2):
                cadre.goto(live_server.url + "/changes/")
                cadre.locator("table.stack td.title a").first.click()
                cadre.locator("button[value=approve]").click()
                expect(cadre.locator("main")).to_contain_text("已批准")
            cadre.goto(live_server.url + "/changes/")
            expect(cadre.locator("table.stack td.title a")).to_have_count(0)

            # the household card: the baby a member, joined by birth in the history; her new number masked
            cadre.goto(live_server.url + f"/registry/households/{household_a.pk}/")
            expect(cadre.locator("section[aria-labelledby=members-h]")).to_contain_text("张小宝")
            expect(cadre.locator("section[aria-labelledby=members-h]")).to_contain_text("135****7777")
            history = cadre.locator("ol.history")
            expect(history.locator("li", has_text="张小宝")).to_contain_text("出生")
            assert WIFE_NEW_PHONE not in cadre.content()
            cadre.screenshot(path=f"{SHOTS}/11-card.png", full_page=True)

            # and 李四妹 reads the outcome on her page
            page.goto(live_server.url + "/r/home/")
            expect(page.locator("section[aria-labelledby=members-h]")).to_contain_text("135****7777")
            expect(page.locator("section[aria-labelledby=members-h]")).to_contain_text("张小宝")
            _fits_a_phone(page, "12-home-after")

            # "显示完整号码": a fresh code to her new phone shows it in full, on this view only
            SignInCode.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=2))
            page.locator("form[action='/r/phone/'] button").click()
            page.wait_for_url("**/r/phone/code/")
            expect(page.get_by_text("135****7777")).to_be_visible()
            page.fill("input[name=code]", code_texted_to(WIFE_NEW_PHONE, "portal.reveal_code"))
            page.locator("main [type=submit]").click()
            expect(page.locator(".own-phone")).to_have_text(WIFE_NEW_PHONE)
            assert HEAD_PHONE not in page.content()
            _fits_a_phone(page, "13-own-number")
            page.reload()  # the browser sends the code again: used up, so nothing is shown
            assert WIFE_NEW_PHONE not in page.content()
        finally:
            browser.close()

    # what the database holds: both approved, the head's yes recorded, the record changed
    requests = {r.kind: r for r in ChangeRequest.objects.unrestricted("test")}
    assert {k: r.state for k, r in requests.items()} == {
        Kind.PHONE: State.APPROVED,
        Kind.NEWBORN: State.APPROVED,
    }
    assert requests[Kind.NEWBORN].head_approved_by.resident_account.resident.name == "张三"
    assert requests[Kind.PHONE].head_approved_by is None
    assert {r.decided_by for r in requests.values()} == {alice}
    phones = ContactPhone.objects.unrestricted("test").filter(resident=wife)
    assert [p.blind for p in phones] == [blind_index("phone", WIFE_NEW_PHONE)]
    baby = Resident.objects.unrestricted("test").get(name="张小宝")
    assert (baby.household_id, baby.sex, baby.birth_date) == (household_a.pk, "F", born)
