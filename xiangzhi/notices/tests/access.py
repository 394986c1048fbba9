"""Notices' part of the project-wide tests (`xiangzhi/tests/access.py`)."""

from xiangzhi.notices.services import notice_publish
from xiangzhi.tests.access import Access, Scan, holders, only, page

VIEW = holders("notices.view")
PUBLISH = holders("notices.publish")

TABLE: dict[str, Access] = {
    "notices:notices": Access(
        get=page(VIEW).get,
        post=only(
            VIEW, 200, anonymous=(302, "/accounts/login/")
        ),  # an empty form shows again; a reader sees the list
    ),
    "notices:notice": page(VIEW, pk="notice"),
    "portal:notices": Access(
        get=only(holders("portal.view_own_household"), 200, anonymous=(302, "/r/?next=/r/notices/"))
    ),
    "portal:notice": Access(
        get=only(holders("portal.view_own_household"), 200, anonymous=(302, "/r/?next=")), pk="notice"
    ),
}


def in_scope(request) -> dict:
    admin = request.getfixturevalue("admin_user")
    request.getfixturevalue("household_a")
    return {"notice": notice_publish(actor=admin, title="防汛通知", body="今晚有暴雨。")}


def scanned_urls(objects) -> list[Scan]:
    return [
        Scan("/notices/"),
        Scan(f"/notices/{objects['notice'].pk}/"),
        Scan(f"/r/notices/{objects['notice'].pk}/"),
    ]
