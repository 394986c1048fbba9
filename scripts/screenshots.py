"""`make screenshots`: the main pages of a fresh demo town at 360×740 (a phone) and 1366×900 (an office PC), in
zh-Hans, as small PNGs in docs/screenshots/ (`360-household-card.png`, `1366-household-card.png`, …).

Builds the demo town (fixed seed) in a new SQLite file, serves it with `runserver` on a free port, drives Debian's
Chromium with Playwright, then stores each picture in 256 colours (Pillow), which keeps text sharp and the
folder small. Nothing is downloaded: Chromium comes from the system, Playwright and Pillow from the dev extras.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# --lang: Chromium's own controls (a date field's placeholder) in Chinese too
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-sync",
    "--lang=zh-CN",
]
PASSWORD = "xiangzhi-demo"
SEED = "1"
SIZES = {360: {"width": 360, "height": 740}, 1366: {"width": 1366, "height": 900}}
SEARCH = "王"  # a common surname: a page of hits in any demo town


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/accounts/login/", timeout=1)
            return server, url
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the demo server did not start")


def _save(page: Page, name: str, width: int) -> None:
    page.wait_for_load_state("networkidle")
    # no blinking caret or running transition in the picture
    page.add_style_tag(content="*{caret-color:transparent!important;transition:none!important}")
    raw = page.screenshot(animations="disabled")
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    path = OUT / f"{width}-{name}.png"
    image.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(path, optimize=True)
    print(f"  {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")


def _login(page: Page, url: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form:has(#id_username) [type=submit]").click()
    page.wait_for_load_state("networkidle")


def _shots(url: str) -> list[tuple[str, str, Callable[[Page], None]]]:
    """(account, picture name, how to reach it) in order; None as account: signed out."""

    def go(path: str) -> Callable[[Page], None]:
        return lambda page: page.goto(url + path)

    def search(page: Page) -> None:
        page.goto(url + "/registry/search/?" + urllib.parse.urlencode({"q": SEARCH}))
        expect(page.locator("#results ul.hits a").first).to_be_visible()

    def household_card(page: Page) -> None:
        search(page)
        page.locator("#results ul.hits a[href*='/households/']").first.click()
        page.wait_for_url("**/registry/households/*/")

    def monitoring_map(query: str = "") -> Callable[[Page], None]:
        def shot(page: Page) -> None:
            page.goto(url + "/monitoring/map/" + query)
            expect(page.locator("#map[data-loaded]")).to_be_attached()

        return shot

    def gauge(page: Page) -> None:
        page.goto(url + "/monitoring/points/?kind=water_level")
        page.locator("main a[href*='/monitoring/points/']").filter(has_text="SW-").first.click()
        page.wait_for_url("**/monitoring/points/*/")
        expect(page.locator(".chart-box canvas").first).to_be_visible()

    return [
        ("", "login", go("/accounts/login/")),
        ("", "resident-sign-in", go("/r/")),
        ("cadre1", "dashboard", go("/")),
        ("cadre1", "warning-list", go("/registry/warnings/?flag=elderly_alone")),
        ("cadre1", "population-changes", go("/registry/changes/")),
        ("cadre1", "freshness", go("/freshness/")),
        ("cadre1", "notices", go("/notices/")),
        ("cadre1", "change-requests", go("/changes/")),
        ("cadre1", "search", search),
        ("cadre1", "household-card", household_card),
        ("cadre1", "household-list", go("/registry/households/")),
        ("cadre1", "resident-list", go("/registry/residents/")),
        ("cadre1", "api-docs", go("/api/docs/")),
        ("clerk1", "clerk-start", go("/")),  # a clerk starts on the household search (core.landing)
        ("admin", "flags", go("/registry/flags/")),
        ("admin", "areas", go("/areas/")),
        ("admin", "users", go("/accounts/users/")),
        ("admin", "outbox", go("/messages/")),
        ("grid1", "visits-overdue", go("/visits/overdue/")),
        ("auditor1", "audit-log", go("/audit/")),
        ("duty1", "monitoring-map", monitoring_map()),
        ("duty1", "monitoring-map-reservoirs", monitoring_map("?reservoirs=true")),
        ("duty1", "monitoring-gauge", gauge),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep-db", help="use this SQLite file (built when missing) instead of a fresh one")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.keep_db) if args.keep_db else Path(tmp) / "demo.sqlite3"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "xiangzhi.config.settings.dev",
            "DATABASE_URL": f"sqlite:///{db}",
            "XIANGZHI_DEBUG": "",
        }
        if not db.exists():
            print("building the demo town (seed 1)…")
            manage = [sys.executable, "manage.py"]
            subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
            subprocess.run([*manage, "demo_town", "--seed", SEED, "--quiet"], cwd=ROOT, env=env, check=True)
        server, url = _serve(env)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for width, viewport in SIZES.items():
                    phone = width < 720  # a phone's screen has two pixels to a CSS pixel: sharp text
                    context = browser.new_context(
                        viewport=viewport,
                        locale="zh-CN",
                        is_mobile=phone,
                        has_touch=phone,
                        device_scale_factor=2 if phone else 1,
                    )
                    page = context.new_page()
                    page.set_default_timeout(20_000)
                    who = None
                    for account, name, reach in _shots(url):
                        if account != who:
                            if account:
                                _login(page, url, account)
                            else:
                                context.clear_cookies()
                            who = account
                        reach(page)
                        _save(page, name, width)
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
