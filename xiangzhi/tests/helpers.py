"""Helpers the tests of every app import (fixtures stay in conftest.py, which no test imports)."""

import os
import shutil

import pytest

IN_CI = os.environ.get("CI") == "true"

# Debian's Chromium, headless, for the browser tests (Playwright drives it; no browser is downloaded).
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


def require_system_part(path_or_cmd: str, what: str) -> str:
    """Skip with a visible notice when a system part is missing — except in CI, where it is a failure."""
    found = shutil.which(path_or_cmd) or (os.path.exists(path_or_cmd) and path_or_cmd)
    if not found:
        message = f"{what} not installed ({path_or_cmd}); install it to run this test"
        if IN_CI:
            pytest.fail("CI: " + message)
        pytest.skip("NOTICE: " + message)
    return found
