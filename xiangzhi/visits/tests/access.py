"""Visits' part of the project-wide tests (`xiangzhi/tests/access.py`)."""

from django.utils import timezone

from xiangzhi.tests.access import PAGE_ANON, Access, Scan, holders, only, page
from xiangzhi.visits.tests.factories import camera_photo

VIEW = holders("visits.view")
LOG = holders("visits.log")
CONFIGURE = holders("visits.configure")

TABLE: dict[str, Access] = {
    "visits:overdue": page(VIEW),
    "visits:log": page(LOG, pk="household", form=True),
    "visits:policies": page(CONFIGURE, form=True),
    # a visit's photo and its small copy: for who may read that household's visits, 404 for everyone else
    "visits:photo": Access(get=only(VIEW, 200, anonymous=PAGE_ANON), pk="visit_photo"),
    "visits:photo_small": Access(get=only(VIEW, 200, anonymous=PAGE_ANON), pk="visit_photo"),
}


def in_scope(request) -> dict:
    """A visit to household A-001 with one photo."""
    from xiangzhi.visits import services

    visit = services.visit_log(
        actor=request.getfixturevalue("admin_user"),
        household=request.getfixturevalue("household_a"),
        visited_on=timezone.localdate(),
        notes="屋顶漏雨，已拍照。",
        photos=[camera_photo()],
    )
    return {"visit_photo": visit.photos.unrestricted("test set-up").get()}


def scanned_urls(objects) -> list[Scan]:
    return [Scan("/visits/overdue/"), Scan(f"/visits/households/{objects['household'].pk}/new/")]
