"""Residents open their pages from a link in WeChat: its Android in-app browser (XWEB, a Chromium WebView that says
`MicroMessenger` in its user agent), at 360 px, in Chinese.

What it lacks and these pages must not need: files from another host (a township's LAN, or a page blocked in
China), downloads (WeChat offers "open in browser" instead of saving a PDF), `tel:` links it may refuse, and on older
phones CSS `:has()` (the X5/TBS cores are Chromium before 105): the tap targets are checked once more with every
`:has()` rule taken out. Not checked here: WeChat's own font-size setting (it scales the WebView's text), its
back-forward cache, and the real X5 engine — a desktop Chromium with WeChat's user agent is what runs.
"""

from typing import TYPE_CHECKING

import pytest

from xiangzhi.livedata.models import ChangeRequest
from xiangzhi.portal.tests.helpers import code_texted_to
from xiangzhi.registry.models import Resident
from xiangzhi.tests.helpers import CHROMIUM, CHROMIUM_ARGS, require_system_part

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

PHONE: "ViewportSize" = {"width": 360, "height": 740}
WECHAT_ANDROID = (
    "Mozilla/5.0 (Linux; Android 12; M2012K11AC Build/SKQ1.211006.001; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/111.0.5563.116 Mobile Safari/537.36 XWEB/1110005 "
    "MMWEBSDK/20231105 MMWEBID/2247 MicroMessenger/8.0.44.2502(0x28002C3B) WeChat/arm64 Weixin "
    "NetType/WIFI Language/zh_CN ABI/arm64"
)
HEAD_PHONE, NEW_PHONE = "13812345678", "13566667777"
SHOTS = "/tmp/shots-live9"

TAP_TARGETS_JS = """() => [...document.querySelectorAll("main button, main .button, main a.card, main a.waiting, main input[type=radio]")]
  .map((el) => el.type === "radio" ? el.closest("label") : el)
  .filter((el) => el && el.offsetParent !== null)
  .map((el) => ({text: el.textContent.trim().slice(0, 30), height: Math.round(el.getBoundingClientRect().height)}))"""
# what an engine without :has() would draw: the rules using it are dropped
DROP_HAS_JS = """() => { for (const sheet of document.styleSheets) {
  for (let i = sheet.cssRules.length - 1; i >= 0; i--) {
    if ((sheet.cssRules[i].selectorText || "").includes(":has(")) sheet.deleteRule(i);
  } } }"""
NEEDS_WHAT_WECHAT_LACKS = (
    "a[download]",
    "a[href^='tel:']",
    "a[href$='.pdf']",
    "script[type=module]",
    "[target=_blank]",
    "link[rel=manifest]",
)


def _works_in_wechat(page, name: str, origin: str, requested: list[str]) -> None:
    assert page.evaluate("navigator.userAgent").endswith("ABI/arm64")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: horizontal overflow {width}px"
    for selector in NEEDS_WHAT_WECHAT_LACKS:
        assert page.locator(selector).count() == 0, f"{name}: {selector}"
    small = [t for t in page.evaluate(TAP_TARGETS_JS) if t["height"] < 44]
    assert not small, f"{name}: tap targets under 44 px: {small}"
    page.screenshot(path=f"{SHOTS}/wechat-{name}.png", full_page=True)
    page.evaluate(DROP_HAS_JS)
    small = [t for t in page.evaluate(TAP_TARGETS_JS) if t["height"] < 44]
    assert not small, f"{name}, without :has(): tap targets under 44 px: {small}"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    foreign = [url for url in requested if not url.startswith(origin)]
    assert not foreign, f"{name}: loads from another host: {foreign}"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_resident_signs_in_and_asks_for_a_change_in_wechats_browser(live_server, household_a, monkeypatch):
    require_system_part(CHROMIUM, "Chromium")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the outbox is read between taps
    from playwright.sync_api import expect, sync_playwright

    zhang = Resident.objects.unrestricted("test").get(name="张三")
    origin = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport=PHONE,
                device_scale_factor=2.75,
                is_mobile=True,
                has_touch=True,
                locale="zh-CN",
                user_agent=WECHAT_ANDROID,
            )
            page = context.new_page()
            page.set_default_timeout(10_000)
            requested: list[str] = []
            errors: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            # sign in: the number, then the code texted to it
            response = page.goto(origin + "/r/")
            assert response is not None and response.status == 200
            assert "no-store" in (response.headers.get("cache-control") or "")  # WeChat caches hard otherwise
            expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
            _works_in_wechat(page, "1-sign-in", origin, requested)
            page.fill("input[name=phone]", HEAD_PHONE)
            page.locator("main [type=submit]").click()
            page.wait_for_url("**/r/code/")
            _works_in_wechat(page, "2-code", origin, requested)
            page.fill("input[name=code]", code_texted_to(HEAD_PHONE))
            page.locator("main [type=submit]").click()

            # home: his household, numbers masked
            page.wait_for_url("**/r/home/")
            expect(page.locator("h1")).to_have_text("我的家庭")
            assert HEAD_PHONE not in page.content()
            _works_in_wechat(page, "3-home", origin, requested)

            # requests: a new phone number, checked before it is sent
            page.locator("a.button[href='/r/requests/']").click()
            page.wait_for_url("**/r/requests/")
            _works_in_wechat(page, "4-requests", origin, requested)
            page.locator("a.button[href='/r/requests/new/']").click()
            _works_in_wechat(page, "5-kinds", origin, requested)
            page.locator("a.button[href='?kind=phone']").click()
            page.locator(f"input[name=resident][value='{zhang.pk}']").check()
            page.fill("input[name=phone]", NEW_PHONE)
            _works_in_wechat(page, "6-phone-form", origin, requested)
            page.locator("main form [type=submit]").first.click()
            expect(page.locator("table.changes")).to_contain_text("135****7777")
            _works_in_wechat(page, "7-check", origin, requested)
            page.locator("main form [type=submit]", has_text="提交").click()
            page.wait_for_url("**/r/requests/*/")
            expect(page.locator(".outcome")).to_have_text("等待村里审核")
            _works_in_wechat(page, "8-sent", origin, requested)
            assert errors == []
        finally:
            browser.close()
    assert ChangeRequest.objects.unrestricted("test").get().kind == "phone"
