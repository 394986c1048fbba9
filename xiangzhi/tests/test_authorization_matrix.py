"""Who reaches which URL: every URL pattern of the project × every role, against an explicit table.

The URL patterns are walked from the root resolver (pages, the API routers, the schema and docs). A pattern that
is in no table fails the test: whoever adds a URL decides who may reach it, in the `TABLE` of its app's
`tests/access.py` (collected by `xiangzhi/tests/access.py`; the project's own URLs are in `PROJECT_TABLE` here). `<pk>` is filled with an object
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

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from xiangzhi.tests.access import (
    SIGNED_IN,
    Access,
    api,
    collect_in_scope,
    collect_table,
    everyone,
)

pytestmark = pytest.mark.django_db

ROLES = ("admin", "cadre", "grid", "duty", "clerk", "auditor", "resident", "anonymous")
USERS = {
    "admin": "admin_user",
    "cadre": "alice",
    "grid": "grid",
    "duty": "duty",
    "clerk": "clerk",
    "auditor": "auditor",
    "resident": "resident",
}
assert frozenset(USERS) == SIGNED_IN

# The project's own URLs (config/urls.py); each app declares its own in its `tests/access.py`.
PROJECT_TABLE: dict[str, Access] = {
    "set_language": Access(
        get=everyone((302, "/"), anonymous=(302, "/")), post=everyone((302, "/"), anonymous=(302, "/"))
    ),
    # the API schema and its browsable docs: for signed-in users only, like the rest of the API
    "schema": api(SIGNED_IN),
    "api-docs": api(SIGNED_IN),
}
TABLE: dict[str, Access] = collect_table(PROJECT_TABLE)

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
    assert not missing, "URL patterns without a decided access (add them to the TABLE of their app's " + (
        "tests/access.py): " + ", ".join(missing)
    )


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
def in_scope(request) -> dict:
    """Every app's in-scope objects, by the name an `Access.pk` gives."""
    objects = collect_in_scope(request)
    assert sorted({a.pk for a in TABLE.values() if a.pk} - set(objects)) == []
    return {name: obj.pk for name, obj in objects.items()}


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
