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


def run_tasks(limit: int = 100) -> int:
    """Run the background tasks that are due, here, as the worker would (`manage.py worker`), and return how many
    ran. The worker's own loop closes idle connections, which would break a test's transaction; this runs its
    task step only. `test_background` runs the real command in a transactional test."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit and (result := DBTaskResult.objects.ready().first()) is not None:
        result.claim("test")
        worker.run_task(result)
        ran += 1
    return ran


def at_the_same_moment(count: int, work) -> None:
    """Run `work()` in `count` threads released together (PostgreSQL concurrency tests); each thread closes its
    own database connection."""
    import threading

    from django.db import connection

    start = threading.Barrier(count)

    def run():
        try:
            start.wait()
            work()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
