"""Who reaches which URL: every URL pattern of the project × every role, against an explicit table.

The URL patterns are walked from the root resolver (pages, the API routers, the schema and docs). A pattern that
is not in `TABLE` fails the test: whoever adds a URL decides here who may reach it. `<pk>` is filled with an object
that is *in scope* for every role that may see it (household A-001 in village A group 1, its head, the head's
phone, village A, group A1, an audit row of the town), so a 404 in the table means "this role has no such action"
— which the project answers exactly like an object out of scope or absent.

Conventions the table encodes:
  * anonymous: pages redirect to the login page (302), the API answers 403 (session authentication comes first,
    so DRF answers 403 rather than 401);
  * a role without the action: 404, for pages and the API alike;
  * POST-only endpoints: GET is 405 for whoever holds the action (404 for the others, as above), and the POST
    (with an empty body) is
    asserted; endpoints with forms also get an empty POST (200 = the form is shown again with its errors,
    400 = the API names the missing fields).

Left out on purpose:
  * `django-admin/`: superuser/staff-only, and no role is staff; `test_django_admin_is_closed_to_every_role`
    checks that it redirects everyone to its own login page instead of walking its ~60 patterns.
  * DRF format-suffix variants (`.json`), should a router ever add them: same view, same access as the route
    they suffix.
"""

from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from xiangzhi.core.models import AuditEntry
from xiangzhi.core.permissions import Role, get_action
from xiangzhi.registry.models import FlagType

pytestmark = pytest.mark.django_db

ROLES = ("admin", "cadre", "grid", "duty", "clerk", "auditor", "anonymous")
USERS = {
    "admin": "admin_user",
    "cadre": "alice",
    "grid": "grid",
    "duty": "duty",
    "clerk": "clerk",
    "auditor": "auditor",
}
SIGNED_IN = frozenset(USERS)

# who holds each action: read from the permissions the apps registered (core.permissions), not a hand copy
ROLE_KEYS: dict[str, str] = {
    Role.TOWN_ADMIN: "admin",
    Role.CADRE: "cadre",
    Role.GRID: "grid",
    Role.DUTY: "duty",
    Role.CLERK: "clerk",
    Role.AUDITOR: "auditor",
}


def holders(action: str) -> frozenset:
    return frozenset(ROLE_KEYS[role] for role in get_action(action).grants if role in ROLE_KEYS)


VIEW = holders("registry.view")
CHANGE = holders("registry.change")
REVEAL_PHONE = holders("registry.reveal_phone")
REVEAL_ID = holders("registry.reveal_id")
CONFIGURE_FLAGS = holders("registry.configure")
VIEW_AREAS = holders("areas.view")
CONFIGURE_AREAS = holders("areas.configure")
VIEW_AUDIT = holders("core.view_audit")
MANAGE_USERS = holders("accounts.manage_users")

LOGIN_URL = "/accounts/login/"
PAGE_ANON = (302, LOGIN_URL)  # a page sends the visitor to the login page
API_ANON = 403


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


def api_viewset_action(who, ok, *, pk) -> Access:
    """A POST-only action of a registry viewset: the viewset refuses a role without `view` before the method."""
    return Access(
        get=only(VIEW, 405, anonymous=API_ANON),
        post=only(who, ok, anonymous=API_ANON),
        pk=pk,
        json=True,
    )


TABLE: dict[str, Access] = {
    # --- core
    "core:home": Access(
        get={role: (302, "/registry/") for role in VIEW}
        | {"auditor": (302, "/audit/"), "anonymous": PAGE_ANON}
    ),
    "core:audit": page(VIEW_AUDIT),
    # --- accounts
    "accounts:login": Access(get=everyone((302, "/"), anonymous=200)),
    "accounts:logout": Access(
        get=everyone(405, anonymous=405), post=everyone((302, LOGIN_URL), anonymous=(302, LOGIN_URL))
    ),
    "accounts:password_change": page(SIGNED_IN, form=True),
    "accounts:users": page(MANAGE_USERS, form=True),
    "accounts:user": page(MANAGE_USERS, pk="user", form=True),
    "set_language": Access(
        get=everyone((302, "/"), anonymous=(302, "/")), post=everyone((302, "/"), anonymous=(302, "/"))
    ),
    # --- registry pages
    "registry:home": page(VIEW),
    "registry:search": page(VIEW),
    "registry:households": page(VIEW),
    "registry:household_export": page(VIEW),
    "registry:household_create": page(CHANGE, form=True),
    "registry:household": page(VIEW, pk="household"),
    "registry:household_edit": page(CHANGE, pk="household", form=True),
    "registry:household_confirm": page_post_only(CHANGE, (302, "/registry/households/"), pk="household"),
    "registry:household_change_head": page(CHANGE, pk="household", form=True),
    "registry:household_split": page(CHANGE, pk="household", form=True),
    "registry:household_merge": page(CHANGE, pk="household", form=True),
    "registry:resident_add": page(CHANGE, pk="household", form=True),
    "registry:resident_edit": page(CHANGE, pk="resident", form=True),
    "registry:resident_end": page(CHANGE, pk="resident", form=True),
    "registry:resident_move": page(CHANGE, pk="resident", form=True),
    "registry:reveal_id": page_post_only(REVEAL_ID, 200, pk="resident"),
    "registry:reveal_phone": page_post_only(REVEAL_PHONE, 200, pk="phone"),
    "registry:flags": page(CONFIGURE_FLAGS, form=True),
    "registry:flag_edit": page(CONFIGURE_FLAGS, pk="flag", form=True),
    # --- areas pages (town set-up)
    "areas:villages": page(CONFIGURE_AREAS, form=True),
    "areas:village": page(CONFIGURE_AREAS, pk="village", form=True),
    "areas:group": page(CONFIGURE_AREAS, pk="group", form=True),
    # --- API: accounts and core
    "api-me": api(SIGNED_IN),
    "api-token": Access(get=everyone(405, anonymous=405), post=everyone(400, anonymous=400), json=True),
    "auditentry-list": api(VIEW_AUDIT),
    "auditentry-detail": api(VIEW_AUDIT, pk="audit"),
    # --- API: registry
    "api-search": api(VIEW),
    "api-dashboard": api(VIEW),
    "api-phone-reveal": Access(
        get=everyone(405, anonymous=API_ANON),
        post=only(REVEAL_PHONE, 200, anonymous=API_ANON),
        pk="phone",
        json=True,
    ),
    # --- API: areas
    "village-list": api(VIEW_AREAS),
    "village-detail": api(VIEW_AREAS, pk="village"),
    "villagegroup-list": api(VIEW_AREAS),
    "villagegroup-detail": api(VIEW_AREAS, pk="group"),
    "household-list": api(VIEW, post=only(CHANGE, 400, anonymous=API_ANON)),
    "household-detail": api(VIEW, pk="household"),
    "household-confirm": api_viewset_action(CHANGE, 200, pk="household"),
    "household-members": api_viewset_action(CHANGE, 400, pk="household"),
    "household-change-head": api_viewset_action(CHANGE, 400, pk="household"),
    "household-split": api_viewset_action(CHANGE, 400, pk="household"),
    "household-merge": api_viewset_action(CHANGE, 400, pk="household"),
    "resident-list": api(VIEW),
    "resident-detail": api(VIEW, pk="resident", put=only(CHANGE, 400, anonymous=API_ANON)),
    "resident-end": api_viewset_action(CHANGE, 400, pk="resident"),
    "resident-move": api_viewset_action(CHANGE, 400, pk="resident"),
    "resident-reveal-id": api_viewset_action(REVEAL_ID, 200, pk="resident"),
    # --- API schema and its browsable docs: for signed-in users only, like the rest of the API
    "schema": api(SIGNED_IN),
    "api-docs": api(SIGNED_IN),
}

# Known gaps: (url name, role) → why the code does not do what the table says yet. None today.
KNOWN_GAPS: dict[tuple[str, str], str] = {}

EXCLUDED_PREFIXES = ("django-admin/",)


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            if "(?P<format>" in route or "<format>" in route:
                continue  # format-suffix variant of a route already walked
            if route.startswith(EXCLUDED_PREFIXES):
                continue
            name = (f"{namespace}:{p.name}" if namespace else p.name) if p.name else route
            yield name, route


PATTERNS: dict[str, str] = {}
for _name, _route in _walk(get_resolver().url_patterns):
    assert _name not in PATTERNS, f"two URL patterns share the name {_name}"
    PATTERNS[_name] = _route


def test_every_url_pattern_is_in_the_table():
    missing = sorted(f"{name} ({route})" for name, route in PATTERNS.items() if name not in TABLE)
    assert not missing, "URL patterns without a decided access (add them to TABLE): " + ", ".join(missing)


def test_the_table_has_no_url_that_no_longer_exists():
    assert sorted(set(TABLE) - set(PATTERNS)) == []


def test_the_walk_found_the_routers_and_the_pages():
    assert {
        "registry:household",
        "household-detail",
        "resident-reveal-id",
        "auditentry-list",
        "schema",
    } <= set(PATTERNS)


@pytest.fixture
def in_scope(household_a, village_a, group_a1, grid):
    head = household_a.head
    return {
        "user": grid.pk,
        "flag": FlagType.objects.get(town=household_a.town, code="dibao").pk,
        "household": household_a.pk,
        "resident": head.pk,
        "phone": head.phones.get().pk,
        "village": village_a.pk,
        "group": group_a1.pk,
        "audit": AuditEntry.objects.filter(town=household_a.town).latest("pk").pk,
    }


def _cases() -> list:
    cases = []
    for name in PATTERNS:
        for role in ROLES:
            gap = KNOWN_GAPS.get((name, role))
            marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
            cases.append(pytest.param(name, role, marks=marks, id=f"{name}-{role}"))
    return cases


def _check(response, expected, label):
    status, location = expected if isinstance(expected, tuple) else (expected, None)
    body = response.content[:300] if not getattr(response, "streaming", False) else b""
    assert response.status_code == status, f"{label}: {response.status_code} != {status} {body!r}"
    if status == 302:
        assert location is not None, f"{label}: say where the redirect goes"
        assert response["Location"].startswith(location), f"{label}: redirects to {response['Location']}"


@pytest.mark.parametrize(("name", "role"), _cases())
def test_access(name, role, request, in_scope):
    access = TABLE.get(name)
    assert access is not None, f"{name} ({PATTERNS[name]}) is not in TABLE: decide who may reach it"
    client = Client()
    if role != "anonymous":
        client.force_login(request.getfixturevalue(USERS[role]))
    url = reverse(name, kwargs={"pk": in_scope[access.pk]} if access.pk else None)

    # when each method is sent, then the answer is the table's
    _check(client.get(url), access.get[role], f"GET {url} as {role}")
    for method, table in (("post", access.post), ("put", access.put)):
        if table is None:
            continue
        send = getattr(client, method)
        response = send(url, {}, content_type="application/json") if access.json else send(url, {})
        _check(response, table[role], f"{method.upper()} {url} as {role}")


def test_post_only_endpoints_are_the_ones_the_table_says():
    """An endpoint whose GET is 405 for the roles that view the registry is POST-only: its POST is in the table."""
    post_only = [name for name, access in TABLE.items() if any(access.get[role] == 405 for role in SIGNED_IN)]
    assert len(post_only) >= 14
    assert [name for name in post_only if TABLE[name].post is None] == []


@pytest.mark.parametrize("role", ROLES)
def test_django_admin_is_closed_to_every_role(role, request, town):
    """No role is staff or superuser: the admin sends everyone to its own login page."""
    client = Client()
    if role != "anonymous":
        user = request.getfixturevalue(USERS[role])
        assert not user.is_staff and not user.is_superuser
        client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


ABSENT_PKS = ("999999", "abc", "0", "²")


def _pk_routes():
    return [name for name, access in TABLE.items() if access.pk]


@pytest.mark.parametrize("name", _pk_routes())
def test_an_absent_or_malformed_pk_is_404(name, request, in_scope):
    """What is absent answers like what is out of scope: 404, never a 500 or a 400, for a role with the action.
    (Page routes take <int:pk>, so "abc" does not even resolve; the API routers take any segment.)"""
    access = TABLE[name]
    role = "auditor" if access.pk == "audit" else "admin"
    client = Client(raise_request_exception=False)
    client.force_login(request.getfixturevalue(USERS[role]))
    route = reverse(name, kwargs={"pk": in_scope[access.pk]})
    for pk in ABSENT_PKS:
        url = route.replace(f"/{in_scope[access.pk]}/", f"/{pk}/", 1)
        post_only = access.get[role] == 405
        if post_only:
            response = (
                client.post(url, {}, content_type="application/json") if access.json else client.post(url)
            )
        else:
            response = client.get(url)
        assert response.status_code == 404, f"{url} as {role}: {response.status_code}"


@pytest.mark.parametrize("param", ["village", "group"])
@pytest.mark.parametrize("value", ["999999", "abc", "1.5", "²", "-1"])
def test_a_malformed_or_absent_area_filter_is_404(param, value, admin_user):
    """The dashboard and the lists refuse an area filter that names nothing, as they refuse one out of scope:
    404 on the pages and in the API alike (the lists share their filtersets)."""
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    urls = [
        reverse("registry:home"),
        reverse("registry:households"),
        reverse("registry:household_export"),
        reverse("api-dashboard"),
        reverse("household-list"),
    ]
    if param == "village":
        urls.append(reverse("villagegroup-list"))
    for url in urls:
        response = client.get(url, {param: value})
        assert response.status_code == 404, f"{url}?{param}={value}: {response.status_code}"
