"""What the project-wide tests collect from each app: who reaches its URLs, and what it offers to scan.

Each installed app may have a `tests/access.py` module declaring, for its own URLs only:
  * `TABLE: dict[str, Access]` — url name → who reaches it (the authorization matrix walks every URL of the
    project and fails when one is in no app's table);
  * `in_scope(request) -> dict[str, Model]` — the objects its `<pk>` routes are filled with, keyed by the name an
    `Access.pk` gives; `request` is pytest's, for fixtures (`request.getfixturevalue("household_a")`);
  * `scanned_urls(objects) -> list[Scan]` — what the privacy scan renders for each role (`objects` is every app's
    `in_scope`, merged), and optionally `check_scan(scanned, *, role, client, objects)` to assert what a masked
    answer of its own shows;
  * `personal_numbers() -> set[str]` — the ID and phone numbers it holds, in full (no body may contain one).
A new app adds its module; nothing of another app changes.
"""

import importlib
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType

from django.apps import apps

from xiangzhi.core.permissions import Role, get_action

SIGNED_IN = frozenset(("admin", "cadre", "grid", "duty", "clerk", "auditor", "resident"))

# who holds each action: read from the permissions the apps registered (core.permissions), not a hand copy
ROLE_KEYS: dict[str, str] = {
    Role.TOWN_ADMIN: "admin",
    Role.CADRE: "cadre",
    Role.GRID: "grid",
    Role.DUTY: "duty",
    Role.CLERK: "clerk",
    Role.AUDITOR: "auditor",
    Role.RESIDENT: "resident",
}

LOGIN_URL = "/accounts/login/"
PAGE_ANON = (302, LOGIN_URL)  # a page sends the visitor to the login page
API_ANON = 403


def holders(action: str) -> frozenset:
    return frozenset(ROLE_KEYS[role] for role in get_action(action).grants if role in ROLE_KEYS)


def only(who, ok, *, anonymous, other=404) -> dict:
    """`ok` for the roles in `who`, `other` for the other signed-in roles, `anonymous` for the visitor."""
    return {role: ok if role in who else other for role in SIGNED_IN} | {"anonymous": anonymous}


def everyone(status, *, anonymous) -> dict:
    return only(SIGNED_IN, status, anonymous=anonymous)


@dataclass(frozen=True)
class Access:
    get: dict
    post: dict | None = None
    put: dict | None = None
    pk: str | None = None  # which in-scope object fills <pk>
    json: bool = field(default=False)  # the API: bodies as JSON


def page(who, *, pk=None, form=False) -> Access:
    """A login-protected page for the roles in `who`; with `form`, an empty POST shows the form again."""
    return Access(
        get=only(who, 200, anonymous=PAGE_ANON),
        post=only(who, 200, anonymous=PAGE_ANON) if form else None,
        pk=pk,
    )


def page_post_only(who, ok, *, pk) -> Access:
    """A POST-only page: GET is 405 for the roles with the action, 404 (no such page) for the others."""
    return Access(
        get=only(who, 405, anonymous=PAGE_ANON),
        post=only(who, ok, anonymous=PAGE_ANON),
        pk=pk,
    )


def api(who, *, pk=None, post=None, put=None) -> Access:
    return Access(get=only(who, 200, anonymous=API_ANON), post=post, put=put, pk=pk, json=True)


@dataclass(frozen=True)
class Scan:
    """One answer the privacy scan renders: a GET of `url` (with `htmx`, as the htmx partial)."""

    url: str
    label: str = ""  # the key of the answer in `scanned`; the URL unless given
    htmx: bool = False
    follow: bool = False

    @property
    def key(self) -> str:
        return self.label or self.url


def app_modules() -> Iterator[ModuleType]:
    """Each installed app's `tests.access` module, in INSTALLED_APPS order."""
    for config in apps.get_app_configs():
        name = f"{config.name}.tests.access"
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:  # the app has no tests package
            continue
        if found is not None:
            yield importlib.import_module(name)


def collect_table(*extra: dict[str, "Access"]) -> dict[str, Access]:
    """Every app's TABLE merged; a URL name declared twice is a mistake."""
    table: dict[str, Access] = {}
    for part in [*(getattr(m, "TABLE", {}) for m in app_modules()), *extra]:
        twice = sorted(set(table) & set(part))
        assert not twice, f"URL names in two access tables: {twice}"
        table |= part
    return table


def collect_in_scope(request) -> dict:
    """Every app's in-scope objects merged, by name."""
    objects: dict = {}
    for module in app_modules():
        provide = getattr(module, "in_scope", None)
        if provide is None:
            continue
        part = provide(request)
        twice = sorted(set(objects) & set(part))
        assert not twice, f"in-scope objects named by two apps: {twice}"
        objects |= part
    return objects


def hooks(name: str) -> list:
    """The apps' functions of that name (`scanned_urls`, `check_scan`, `personal_numbers`)."""
    return [getattr(m, name) for m in app_modules() if hasattr(m, name)]
