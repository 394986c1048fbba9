"""Accounts' part of the project-wide tests (`xiangzhi/tests/access.py`): sign-in, accounts, the API token."""

from django.urls import reverse

from xiangzhi.tests.access import LOGIN_URL, SIGNED_IN, Access, Scan, api, everyone, holders, page

MANAGE_USERS = holders("accounts.manage_users")

TABLE: dict[str, Access] = {
    "accounts:login": Access(get=everyone((302, "/"), anonymous=200)),
    "accounts:logout": Access(
        get=everyone(405, anonymous=405), post=everyone((302, LOGIN_URL), anonymous=(302, LOGIN_URL))
    ),
    "accounts:password_change": page(SIGNED_IN, form=True),
    "accounts:users": page(MANAGE_USERS, form=True),
    "accounts:user": page(MANAGE_USERS, pk="user", form=True),
    "api-me": api(SIGNED_IN),
    "api-token": Access(get=everyone(405, anonymous=405), post=everyone(400, anonymous=400), json=True),
}


def in_scope(request) -> dict:
    return {"user": request.getfixturevalue("grid")}


def scanned_urls(objects) -> list[Scan]:
    return [Scan(reverse("accounts:password_change")), Scan(reverse("accounts:users")), Scan("/api/v1/me/")]
