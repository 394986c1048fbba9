"""The residents' pages' part of the project-wide tests (`xiangzhi/tests/access.py`)."""

from xiangzhi.tests.access import SIGNED_IN, Access, Scan, holders, only

VIEW_OWN = holders("portal.view_own_household")
STAFF = SIGNED_IN - VIEW_OWN
SIGN_IN = (302, "/r/")

TABLE: dict[str, Access] = {
    # the sign-in page: a resident already signed in goes home; anyone else may ask for a code
    "portal:sign_in": Access(
        get=only(STAFF, 200, anonymous=200, other=(302, "/r/home/")),
        post=only(STAFF, 200, anonymous=200, other=(302, "/r/home/")),
    ),
    # without a code asked for first, back to the sign-in page
    "portal:code": Access(
        get=only(SIGNED_IN, SIGN_IN, anonymous=SIGN_IN), post=only(SIGNED_IN, SIGN_IN, anonymous=SIGN_IN)
    ),
    "portal:choose": Access(
        get=only(SIGNED_IN, SIGN_IN, anonymous=SIGN_IN), post=only(SIGNED_IN, SIGN_IN, anonymous=SIGN_IN)
    ),
    "portal:door_plate": Access(
        get=only(holders("portal.issue_door_plate"), 200, anonymous=(302, "/accounts/login/")), pk="household"
    ),
    # a card's QR code: an unknown token is a page saying the card is not in use
    "portal:plate_sign_in": Access(get=only(SIGNED_IN, 404, anonymous=404), kwargs={"token": "not-a-card"}),
    "portal:confirm": Access(
        get=only(VIEW_OWN, 405, anonymous=(302, "/r/?next=/r/confirm/")),
        post=only(VIEW_OWN, (302, "/r/home/"), anonymous=(302, "/r/?next=/r/confirm/")),
    ),
    "portal:home": Access(get=only(VIEW_OWN, 200, anonymous=(302, "/r/?next=/r/home/"))),
    # "显示完整号码": a code to the resident's own phone, then the page that takes it (home without one pending)
    "portal:own_phone": Access(
        get=only(VIEW_OWN, 405, anonymous=(302, "/r/?next=/r/phone/")),
        post=only(VIEW_OWN, (302, "/r/phone/code/"), anonymous=(302, "/r/?next=/r/phone/")),
    ),
    "portal:own_phone_code": Access(
        get=only(VIEW_OWN, (302, "/r/home/"), anonymous=(302, "/r/?next=/r/phone/code/")),
        post=only(VIEW_OWN, (302, "/r/home/"), anonymous=(302, "/r/?next=/r/phone/code/")),
    ),
}


def scanned_urls(objects) -> list[Scan]:
    return [Scan("/r/home/")]


def check_scan(scanned: dict[str, str], *, role, client, objects) -> None:
    """A resident's household page shows every member's phone masked, their own too."""
    if role == "resident":
        home = scanned["/r/home/"]
        assert "138****5678" in home and "158****3333" in home
