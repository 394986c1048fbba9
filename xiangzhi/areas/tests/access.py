"""Areas' part of the project-wide tests (`xiangzhi/tests/access.py`): town set-up pages, villages and groups."""

from xiangzhi.tests.access import Access, Scan, api, holders, page

VIEW_AREAS = holders("areas.view")
CONFIGURE_AREAS = holders("areas.configure")

TABLE: dict[str, Access] = {
    "areas:villages": page(CONFIGURE_AREAS, form=True),
    "areas:village": page(CONFIGURE_AREAS, pk="village", form=True),
    "areas:group": page(CONFIGURE_AREAS, pk="group", form=True),
    "village-list": api(VIEW_AREAS),
    "village-detail": api(VIEW_AREAS, pk="village"),
    "villagegroup-list": api(VIEW_AREAS),
    "villagegroup-detail": api(VIEW_AREAS, pk="group"),
}


def in_scope(request) -> dict:
    return {"village": request.getfixturevalue("village_a"), "group": request.getfixturevalue("group_a1")}


def scanned_urls(objects) -> list[Scan]:
    return [
        Scan("/api/v1/areas/villages/"),
        Scan(f"/api/v1/areas/villages/{objects['village'].pk}/"),
        Scan("/api/v1/areas/groups/"),
        Scan(f"/api/v1/areas/groups/{objects['group'].pk}/"),
    ]
