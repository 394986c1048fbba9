"""Change requests' part of the project-wide tests (`xiangzhi/tests/access.py`)."""

from xiangzhi.livedata import services
from xiangzhi.livedata.tests.factories import NEW_ID, NEW_PHONE, member, photo
from xiangzhi.tests.access import PAGE_ANON, Access, Scan, holders, only, page

VIEW = holders("livedata.view")
REVIEW = holders("livedata.review")
FILE = holders("livedata.file")
OWN = holders("livedata.file_own")


def _resident_page(path: str) -> tuple:
    return (302, "/r/?next=" + path)


TABLE: dict[str, Access] = {
    "livedata:queue": page(VIEW),
    # an empty POST decides nothing: the request is shown again
    "livedata:request": Access(
        get=only(VIEW, 200, anonymous=PAGE_ANON),
        post=only(VIEW, 200, anonymous=PAGE_ANON),
        pk="change_request",
    ),
    # the document photo: for who decides (never a grid worker: it shows an ID number)
    "livedata:photo": Access(get=only(REVIEW, 200, anonymous=PAGE_ANON), pk="change_request"),
    # a proxy filing for a resident of the household: an empty POST shows what may be changed
    "livedata:file": Access(
        get=only(FILE, 200, anonymous=PAGE_ANON), post=only(FILE, 200, anonymous=PAGE_ANON), pk="household"
    ),
    "portal:requests": Access(get=only(OWN, 200, anonymous=_resident_page("/r/requests/"))),
    "portal:request_new": Access(
        get=only(OWN, 200, anonymous=_resident_page("/r/requests/new/")),
        post=only(OWN, 200, anonymous=_resident_page("/r/requests/new/")),
    ),
    "portal:request": Access(
        get=only(OWN, 200, anonymous=_resident_page("/r/requests/")),
        post=only(OWN, 200, anonymous=_resident_page("/r/requests/")),
        pk="change_request",
    ),
    "portal:request_photo": Access(
        get=only(OWN, 200, anonymous=_resident_page("/r/requests/")), pk="change_request"
    ),
}


def in_scope(request) -> dict:
    """张三 (the head, a resident) asks to correct his own ID number, with a photo; and a new phone number."""
    zhang = request.getfixturevalue("resident")
    household = request.getfixturevalue("household_a")
    head = member(household, "张三")
    correction = services.change_request_file(
        actor=zhang,
        kind="correction",
        household=household,
        resident=head,
        data={"id_number": NEW_ID},
        photo=photo(),
    )
    services.change_request_file(
        actor=zhang, kind="phone", household=household, resident=head, data={"phone": NEW_PHONE}
    )
    return {"change_request": correction}


def scanned_urls(objects) -> list[Scan]:
    pk = objects["change_request"].pk
    household = objects["household"].pk
    return [
        Scan("/changes/"),
        Scan("/changes/?state=all", label="changes-all"),
        Scan(f"/changes/{pk}/"),
        Scan(f"/changes/file/{household}/"),
        Scan(f"/changes/file/{household}/?kind=correction", label="file-correction"),
        Scan("/r/requests/"),
        Scan(f"/r/requests/{pk}/"),
        Scan("/r/requests/new/?kind=phone", label="new-phone"),
    ]


def check_scan(scanned: dict[str, str], *, role, client, objects) -> None:
    """The queue shows a new phone number masked; an ID number (even masked) only to who may see ID numbers."""
    masked_id = NEW_ID[:6] + "********" + NEW_ID[-4:]
    if role in ("cadre", "admin"):
        assert "135****7777" in scanned["/changes/"]
        assert masked_id in scanned[f"/changes/{objects['change_request'].pk}/"]
    if role == "grid":
        assert not [body for body in scanned.values() if masked_id in body]
    if role == "resident":
        assert masked_id in scanned[f"/r/requests/{objects['change_request'].pk}/"]


def personal_numbers() -> set[str]:
    return {NEW_ID, NEW_ID[:17], NEW_PHONE}
