"""Monitoring's part of the project-wide tests (`xiangzhi/tests/access.py`)."""

from xiangzhi.tests.access import Access, everyone

TABLE: dict[str, Access] = {
    # devices only, by signature: a person (signed in or not) is not a device — 401 without a signature
    "api-monitoring-ingest": Access(
        get=everyone(405, anonymous=405), post=everyone(401, anonymous=401), json=True
    ),
}
