"""Helpers the tests of every app import (fixtures stay in conftest.py, which no test imports)."""

import os
import shutil

import pytest

IN_CI = os.environ.get("CI") == "true"


def require_system_part(path_or_cmd: str, what: str) -> str:
    """Skip with a visible notice when a system part is missing — except in CI, where it is a failure."""
    found = shutil.which(path_or_cmd) or (os.path.exists(path_or_cmd) and path_or_cmd)
    if not found:
        message = f"{what} not installed ({path_or_cmd}); install it to run this test"
        if IN_CI:
            pytest.fail("CI: " + message)
        pytest.skip("NOTICE: " + message)
    return found


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
