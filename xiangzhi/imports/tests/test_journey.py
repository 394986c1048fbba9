"""A town administrator brings in a village's groups from a workbook, in a real browser at 360 px in zh-Hans:
upload, correct one column's matching, read the dry-run report, commit."""

import pytest

from xiangzhi.accounts.tests.factories import PASSWORD
from xiangzhi.areas.models import VillageGroup
from xiangzhi.imports.tests import importers  # noqa: F401  (registers the test importers)
from xiangzhi.imports.tests.files import xlsx
from xiangzhi.tests.helpers import CHROMIUM, CHROMIUM_ARGS, require_system_part, run_tasks

PHONE = {"width": 360, "height": 740}
SHOTS = "/tmp/shots-imports"


def _fits(page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: horizontal overflow {width}px"
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_workbook_of_groups_comes_in(live_server, admin_user, village_b, tmp_path, monkeypatch):
    require_system_part(CHROMIUM, "Chromium")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the worker's step runs between taps
    from playwright.sync_api import expect, sync_playwright

    workbook = tmp_path / "小组.xlsx"
    workbook.write_bytes(
        xlsx({"长岭村": [["长岭村村民小组"], ["编号", "小组名称"], [1, "一组"], [2, "二组"], [2, "重复"], ["合计", None]]})
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()  # type: ignore[arg-type]
            page.set_default_timeout(10_000)
            page.goto(live_server.url + "/accounts/login/")
            page.fill("#id_username", admin_user.username)
            page.fill("#id_password", PASSWORD)
            page.locator("form:has(#id_username) [type=submit]").click()
            page.goto(live_server.url + "/imports/")
            page.get_by_role("link", name="导入村民小组").click()
            page.set_input_files("input[name=file]", str(workbook))
            page.select_option("select[name=village]", str(village_b.pk))
            _fits(page, "1-upload")
            page.locator("main form [type=submit]").click()
            page.wait_for_url("**/imports/*/")

            # 编号 was not recognised: the clerk says it is the group number
            expect(page.locator("main")).to_contain_text("一组")  # the first values under each column
            page.select_option("select[name=col_0]", "number")
            _fits(page, "2-mapping")
            page.locator("main form [type=submit]", has_text="检查文件").click()
            page.wait_for_url("**/imports/*/")
            expect(page.locator("#progress")).to_contain_text("正在检查文件")
            _fits(page, "3-checking")
            run_tasks()
            # the bar polls, sees the check done and reloads the page with the report
            expect(page.locator(".stats")).to_be_visible()
            expect(page.locator("#issues")).to_contain_text("文件中组号重复")
            expect(page.locator("#issues")).to_contain_text("合计或小计行")
            _fits(page, "4-report")
            page.locator("main form [type=submit]", has_text="确认导入").click()
            run_tasks()
            page.reload()
            expect(page.locator("main")).to_contain_text("已导入。")
            _fits(page, "5-committed")
        finally:
            browser.close()
    groups = VillageGroup.objects.unrestricted("test").filter(village=village_b).order_by("number")
    assert [(g.number, g.name) for g in groups] == [(1, "一组"), (2, "二组")]
