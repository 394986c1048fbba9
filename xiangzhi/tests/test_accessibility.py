"""The main pages in a real browser on a 360-px phone in zh-Hans: axe-core finds no serious or critical
accessibility violation, the header stays one row, nothing overflows sideways, no placeholder is cut off and every
tap target is at least 44 px tall.

axe-core comes from the `axe-playwright-python` dev dependency (it ships axe.min.js): nothing is downloaded at test
time. Swagger UI's own widget on the API docs page is third-party code and left out of the axe run; the app's
header and the page around it are checked.
"""

from typing import TYPE_CHECKING

import pytest
from django.test import Client

from xiangzhi.tests.helpers import CHROMIUM, CHROMIUM_ARGS, require_system_part

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

PHONE: "ViewportSize" = {"width": 360, "height": 740}
BLOCKING = {"serious", "critical"}

# Every link and button a thumb taps in the header and the page, with its height and its text.
TAP_TARGETS_JS = """() => [...document.querySelectorAll(
    "header.top a, header.top button, main button, main .button, main a.tel, main .actions a, main td.chips a")]
  .filter((el) => el.offsetParent !== null && !el.closest("#swagger-ui"))
  .map((el) => ({text: el.textContent.trim().slice(0, 30), height: Math.round(el.getBoundingClientRect().height)}))"""


# Each visible placeholder whose text is wider than its field's inner width (measured in the field's own font).
CUT_PLACEHOLDERS_JS = """() => {
  const ctx = document.createElement("canvas").getContext("2d");
  return [...document.querySelectorAll("input[placeholder], textarea[placeholder]")]
    .filter((el) => el.offsetParent !== null && el.placeholder)
    .map((el) => {
      const cs = getComputedStyle(el);
      ctx.font = getComputedStyle(el, "::placeholder").font || cs.font;
      const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight)
        - (el.type === "search" ? 24 : 0);  // the search field's clear button
      return {text: el.placeholder, need: Math.ceil(ctx.measureText(el.placeholder).width), room: Math.floor(room)};
    })
    .filter((p) => p.need > p.room);
}"""


def _pages(household):
    card = f"/registry/households/{household.pk}/"
    return [
        (None, "/accounts/login/", None),
        ("alice", "/registry/", None),
        ("alice", "/registry/search/?q=张", None),
        ("alice", card, None),
        ("alice", "/registry/households/", None),
        ("alice", "/registry/residents/", None),
        ("alice", "/notices/", None),
        ("alice", "/api/docs/", {"exclude": [["#swagger-ui"]]}),
        ("admin_user", "/registry/flags/", None),
        ("admin_user", "/areas/", None),
        ("admin_user", "/accounts/users/", None),
        ("admin_user", "/messages/", None),
        ("auditor", "/audit/", None),
    ]


def _session_cookie(user, url):
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": url}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_main_pages_have_no_serious_accessibility_violations_on_a_phone(
    live_server, request, household_a, household_b, admin_user, alice, auditor
):
    require_system_part(CHROMIUM, "Chromium")
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    axe = Axe()
    problems: list[str] = []
    # signed in before the browser starts (Django's ORM refuses to run inside Playwright's event loop)
    cookies = {
        who: _session_cookie(request.getfixturevalue(who), live_server.url)
        for who in ("alice", "admin_user", "auditor")
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            contexts = {}
            for who, path, context_filter in _pages(household_a):
                if who not in contexts:
                    context = browser.new_context(
                        viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN"
                    )
                    if who:
                        context.add_cookies([cookies[who]])
                    contexts[who] = context.new_page()
                page = contexts[who]
                page.goto(live_server.url + path)
                page.wait_for_load_state("networkidle")
                assert page.locator("html").get_attribute("lang") == "zh-hans", path

                results = axe.run(page, context=context_filter)
                for v in results.response["violations"]:
                    if v["impact"] in BLOCKING:
                        targets = [n["target"] for n in v["nodes"]][:3]
                        problems.append(f"{path}: {v['id']} ({v['impact']}) {v['help']} at {targets}")

                header = page.locator("header.top").bounding_box()
                if header and header["height"] > 60:
                    problems.append(f"{path}: the header wraps ({header['height']:.0f} px tall)")
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE["width"]:
                    problems.append(f"{path}: the page is {width} px wide")
                cut = page.evaluate(CUT_PLACEHOLDERS_JS)
                if cut:
                    problems.append(f"{path}: placeholders cut off: {cut}")
                small = [t for t in page.evaluate(TAP_TARGETS_JS) if t["height"] < 44]
                if small:
                    problems.append(f"{path}: tap targets under 44 px: {small[:5]}")
        finally:
            browser.close()
    assert not problems, "\n".join(problems)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_lists_use_an_office_screens_width_and_forms_keep_a_readable_column(
    live_server, household_a, admin_user, alice, auditor
):
    require_system_part(CHROMIUM, "Chromium")
    from playwright.sync_api import sync_playwright

    wide = {
        "alice": ["/registry/", "/registry/households/", "/registry/residents/", "/api/docs/"],
        "admin_user": ["/registry/flags/", "/areas/", "/accounts/users/"],
        "auditor": ["/audit/"],
    }
    narrow = {
        "alice": [f"/registry/households/{household_a.pk}/", f"/registry/households/{household_a.pk}/edit/"]
    }
    users = {"alice": alice, "admin_user": admin_user, "auditor": auditor}
    cookies = {who: _session_cookie(user, live_server.url) for who, user in users.items()}
    widths: dict[str, float] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for who in users:
                context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
                context.add_cookies([cookies[who]])
                page = context.new_page()
                for path in wide.get(who, []) + narrow.get(who, []):
                    page.goto(live_server.url + path)
                    box = page.locator("main#main").bounding_box()
                    widths[path] = box["width"] if box else 0
        finally:
            browser.close()
    assert all(widths[path] >= 1300 for paths in wide.values() for path in paths), widths
    assert all(widths[path] <= 960 for paths in narrow.values() for path in paths), widths
