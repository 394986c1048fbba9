"""Visits' part of the project-wide tests (`xiangzhi/tests/access.py`)."""

from xiangzhi.tests.access import Access, Scan, holders, page

VIEW = holders("visits.view")
LOG = holders("visits.log")
CONFIGURE = holders("visits.configure")

TABLE: dict[str, Access] = {
    "visits:overdue": page(VIEW),
    "visits:log": page(LOG, pk="household", form=True),
    "visits:policies": page(CONFIGURE, form=True),
}


def scanned_urls(objects) -> list[Scan]:
    return [Scan("/visits/overdue/"), Scan(f"/visits/households/{objects['household'].pk}/new/")]
