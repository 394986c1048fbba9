"""Where each role lands after signing in, and the API documentation as a page of the app, written for users."""

import inspect
import re

import pytest
from django.urls import get_resolver, reverse
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator

from xiangzhi.accounts.services import RoleInput
from xiangzhi.accounts.tests.factories import UserFactory
from xiangzhi.core import landing
from xiangzhi.core.permissions import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "lands_on"),
    [
        ("alice", "registry:home"),  # a cadre: the village's dashboard
        ("admin_user", "registry:home"),
        ("grid", "registry:home"),
        ("duty", "registry:home"),
        ("clerk", "registry:search"),  # a clerk looks a household up at the counter
        ("auditor", "core:audit"),
    ],
)
def test_each_role_lands_on_the_page_for_its_work(client, request, who, lands_on):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("core:home"))["Location"] == reverse(lands_on)


def test_signing_in_as_a_clerk_opens_the_search_not_the_dashboard(client, clerk):
    clerk.set_password("pw-for-tests-123")
    clerk.save()
    answer = client.post(
        reverse("accounts:login"), {"username": "clerk", "password": "pw-for-tests-123"}, follow=True
    )
    assert answer.redirect_chain[-1][0] == reverse("registry:search")
    assert b'name="q"' in answer.content


def test_a_later_app_replaces_a_roles_landing_and_an_unreachable_one_is_skipped(client, clerk, monkeypatch):
    # Given the shop registering the clerk's page after the registry did (as it will, issue 14)
    monkeypatch.setattr(landing, "_LANDINGS", landing.landings())
    landing.register_landing("core:audit", action="core.view_audit", roles=[Role.CLERK])
    # then a clerk who cannot reach it (no core.view_audit) still starts where the registry sent them
    assert landing.landing_for(clerk) == "registry:search"
    # and one the clerk can reach wins over the registry's
    landing.register_landing("registry:households", action="registry.view", roles=[Role.CLERK])
    assert landing.landing_for(clerk) == "registry:households"


def test_a_role_with_no_landing_gets_the_welcome_page_and_two_roles_take_the_first(client, town, village_a):
    nobody = UserFactory(username="norole", town=town, roles=())
    client.force_login(nobody)
    assert client.get(reverse("core:home")).status_code == 200
    both = UserFactory(
        username="both", town=town, roles=(RoleInput(Role.CADRE, village=village_a), RoleInput(Role.CLERK))
    )
    assert landing.landing_for(both) == "registry:home"  # the cadre's work comes first (Role's order)


def test_the_api_docs_page_carries_the_apps_header(client, alice):
    alice.display_name = "王红梅"
    alice.save(update_fields=["display_name"])
    client.force_login(alice)
    page = client.get("/api/docs/").content.decode()
    header = page[page.index('<header class="top">') : page.index("</header>")]
    assert "王红梅" in header and reverse("registry:search") in header
    assert '<html lang="zh-hans">' in page and "API 文档" in page
    assert 'id="swagger-ui"' in page and "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page


def _schema(language):
    with translation.override(language):
        return SchemaGenerator().get_schema(request=None, public=True)


def _docstrings():
    """Every docstring of the API's views, their base classes and handler methods: written for developers."""
    seen = set()
    for pattern in get_resolver().url_patterns:
        for callback in _callbacks(pattern):
            view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
            for cls in inspect.getmro(view) if view else ():
                for obj in (cls, *vars(cls).values()):
                    doc = inspect.getdoc(obj) if callable(obj) or isinstance(obj, type) else None
                    if doc and (getattr(obj, "__module__", None) or "").startswith("xiangzhi"):
                        seen.add(doc.split("\n")[0][:60])
    return seen


def _callbacks(pattern):
    if hasattr(pattern, "url_patterns"):
        for p in pattern.url_patterns:
            yield from _callbacks(p)
    else:
        yield pattern.callback


def test_every_operation_is_described_for_users_without_internal_docstrings():
    operations = [op for ops in _schema("en")["paths"].values() for op in ops.values()]
    assert len(operations) >= 20
    docstrings = _docstrings()
    assert any("permissions" in d for d in docstrings)  # the base classes' docstrings are among them
    for op in operations:
        assert op.get("summary") and op.get("description"), op["operationId"]
        assert not any(d in op["description"] for d in docstrings), op["operationId"]


def test_the_operations_read_in_chinese_for_a_chinese_user():
    for ops in _schema("zh-hans")["paths"].values():
        for op in ops.values():
            assert re.search(r"[\u4e00-\u9fff]", op["summary"]), op["summary"]
            assert re.search(r"[\u4e00-\u9fff]", op["description"]), op["description"]
