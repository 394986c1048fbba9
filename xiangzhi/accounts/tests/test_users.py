"""Accounts made by the town administrator, the first-login password change, and the auditor's audit log."""

import datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from xiangzhi.accounts import services
from xiangzhi.accounts.models import User
from xiangzhi.core.audit import audit_record
from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.models import AuditEntry
from xiangzhi.core.permissions import Assignment, Role

pytestmark = pytest.mark.django_db

USERS = reverse("accounts:users")
PASSWORD_CHANGE = reverse("accounts:password_change")
INITIAL = "Initial-pass-2024"
CHOSEN = "Qingshan-lushui-88"


def _new_account(client, **data):
    payload = {
        "username": "newcadre",
        "display_name": "新干部",
        "roles": ["cadre"],
        "password": INITIAL,
        **data,
    }
    return client.post(USERS, payload, HTTP_ACCEPT_LANGUAGE="en")


# --- the administrator's users page ----------------------------------------------------------------------------


def test_admin_sees_the_users_of_the_town(client, users, other_town_admin):
    client.force_login(users["admin"])
    response = client.get(USERS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "alice" in html and "auditor" in html
    assert "other_admin" not in html  # another town's account


@pytest.mark.parametrize("role", ["cadre", "outsider", "grid", "duty", "clerk", "auditor"])
def test_only_the_town_admin_reaches_the_users_page(client, users, role):
    client.force_login(users[role])
    assert client.get(USERS).status_code == 404
    assert _new_account(client, village=users["cadre"].role_assignments[0].village_id).status_code == 404
    assert not User.objects.filter(username="newcadre").exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(USERS)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_admin_creates_a_cadre_who_must_change_the_password(client, admin_user, village_a):
    client.force_login(admin_user)
    response = _new_account(client, village=village_a.pk)
    assert response.status_code == 302 and response.url == USERS

    user = User.objects.get(username="newcadre")
    assert user.must_change_password
    assert (user.town_id, user.role_assignments) == (
        admin_user.town_id,
        [Assignment(role=Role.CADRE, village_id=village_a.pk)],
    )
    assert user.check_password(INITIAL)
    entry = AuditEntry.objects.get(action="accounts.user.create")
    assert (entry.actor, entry.target_id, entry.town_id) == (admin_user, str(user.pk), admin_user.town_id)
    assert "password" not in str(entry.after)
    assert "newcadre" in client.get(USERS, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_cadre_needs_a_village(client, admin_user, village_a):
    client.force_login(admin_user)
    response = _new_account(client)
    assert response.status_code == 200
    assert response.context["form"].errors["village"] == ["A village cadre needs a village."]
    assert not User.objects.filter(username="newcadre").exists()


def test_a_grid_worker_needs_groups(client, admin_user, group_a1, group_a2):
    client.force_login(admin_user)
    response = _new_account(client, username="newgrid", roles=["grid"])
    assert response.status_code == 200
    assert response.context["form"].errors["groups"] == ["A grid worker needs at least one village group."]
    assert not User.objects.filter(username="newgrid").exists()

    response = _new_account(client, username="newgrid", roles=["grid"], groups=[group_a1.pk, group_a2.pk])
    assert response.status_code == 302
    assert set(User.objects.get(username="newgrid").roles.get().groups.all()) == {group_a1, group_a2}


def test_the_username_is_unique_whatever_the_case(client, admin_user, alice):
    client.force_login(admin_user)
    response = _new_account(client, username="ALICE", roles=["clerk"])
    assert response.status_code == 200
    assert response.context["form"].errors["username"] == ["This username is taken."]


def test_weak_initial_password_is_a_form_error(client, admin_user):
    client.force_login(admin_user)
    response = _new_account(client, roles=["clerk"], password="password123")
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    assert not User.objects.filter(username="newcadre").exists()


def test_another_towns_admin_cannot_place_an_account_in_this_town(client, other_town_admin, village_a):
    client.force_login(other_town_admin)
    response = _new_account(client, village=village_a.pk)
    assert response.status_code == 200
    assert "village" in response.context["form"].errors
    assert not User.objects.filter(username="newcadre").exists()


def test_user_create_service(admin_user, group_a1):
    user = services.user_create(
        actor=admin_user,
        username="grid2",
        password=INITIAL,
        roles=[services.RoleInput(Role.GRID, groups=(group_a1,))],
    )
    assert user.must_change_password and user.town_id == admin_user.town_id
    assert user.role_assignments[0].group_ids == {group_a1.pk}
    assert AuditEntry.objects.filter(action="accounts.user.create", target_id=str(user.pk)).exists()


@pytest.mark.parametrize("role", ["cadre", "duty", "clerk", "auditor"])
def test_user_create_service_refuses_other_roles(users, role):
    with pytest.raises(NotInScope):
        services.user_create(
            actor=users[role],
            username="sneaky",
            roles=[services.RoleInput(Role.TOWN_ADMIN)],
            password=INITIAL,
        )
    assert not User.objects.filter(username="sneaky").exists()


def test_user_create_service_validation_errors_name_the_field(admin_user):
    with pytest.raises(ValidationError) as caught:
        services.user_create(
            actor=admin_user, username="c2", roles=[services.RoleInput(Role.CADRE)], password=INITIAL
        )
    assert "village" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.user_create(
            actor=admin_user, username="g2", roles=[services.RoleInput(Role.GRID)], password=INITIAL
        )
    assert "groups" in caught.value.message_dict


# --- first login: change the password before anything else -----------------------------------------------------


@pytest.fixture
def newcomer(admin_user, village_a):
    return services.user_create(
        actor=admin_user,
        username="newcadre",
        password=INITIAL,
        roles=[services.RoleInput(Role.CADRE, village=village_a)],
    )


@pytest.fixture
def newcomer_client(newcomer):
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "newcadre", "password": INITIAL})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize(
    "url",
    [
        reverse("core:home"),
        reverse("registry:home"),
        reverse("registry:search") + "?q=zs",
        reverse("registry:households"),
        reverse("accounts:users"),
        reverse("core:audit"),
    ],
)
def test_every_page_leads_to_the_password_change(newcomer_client, url):
    response = newcomer_client.get(url)
    assert response.status_code == 302
    assert response.url == PASSWORD_CHANGE


def test_posts_lead_to_the_password_change_too(newcomer_client, group_a1):
    response = newcomer_client.post(
        reverse("registry:household_create"), {"group": group_a1.pk, "number": "X-1", "address": "x"}
    )
    assert response.status_code == 302 and response.url == PASSWORD_CHANGE


def test_the_password_change_page_explains_why(newcomer_client):
    response = newcomer_client.get(PASSWORD_CHANGE, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "choose your own password" in response.content.decode()


def test_api_answers_403_password_change_required(newcomer_client):
    response = newcomer_client.get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"
    response = newcomer_client.get("/api/v1/registry/households/")
    assert response.status_code == 403


def test_a_token_does_not_skip_the_password_change(newcomer):
    api = APIClient()
    response = api.post("/api/v1/auth/token/", {"username": "newcadre", "password": INITIAL})
    # a token is issued, but it opens nothing until the password is changed
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION="Token " + response.json()["token"])
    for url in ("/api/v1/me/", "/api/v1/registry/households/"):
        response = api.get(url)
        assert response.status_code == 403
        assert response.json()["code"] == "password_change_required"

    newcomer.set_password(CHOSEN)
    newcomer.must_change_password = False
    newcomer.save()
    assert api.get("/api/v1/me/").status_code == 200


def test_logout_stays_possible(newcomer_client):
    response = newcomer_client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in newcomer_client.session


def test_after_the_change_the_site_opens(newcomer_client, newcomer):
    response = newcomer_client.post(
        PASSWORD_CHANGE, {"old_password": INITIAL, "new_password1": CHOSEN, "new_password2": CHOSEN}
    )
    assert response.status_code == 302 and response.url == reverse("core:home")

    newcomer.refresh_from_db()
    assert not newcomer.must_change_password
    assert newcomer.check_password(CHOSEN)
    # still logged in (the session hash follows the new password), and the pages open
    assert newcomer_client.get(reverse("registry:home")).status_code == 200
    assert newcomer_client.get("/api/v1/me/").json()["username"] == "newcadre"

    actions = list(
        AuditEntry.objects.filter(target_id=str(newcomer.pk)).values_list("action", "actor__username")
    )
    assert ("accounts.user.create", "admin") in actions
    assert ("accounts.user.change_password", "newcadre") in actions


def test_a_wrong_old_password_changes_nothing(newcomer_client, newcomer):
    response = newcomer_client.post(
        PASSWORD_CHANGE,
        {"old_password": "not-it-at-all", "new_password1": CHOSEN, "new_password2": CHOSEN},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    newcomer.refresh_from_db()
    assert newcomer.must_change_password and newcomer.check_password(INITIAL)
    assert not AuditEntry.objects.filter(action="accounts.user.change_password").exists()


def test_accounts_made_otherwise_are_not_forced(client, alice):
    assert not alice.must_change_password
    client.force_login(alice)
    assert client.get(reverse("registry:home")).status_code == 200


# --- the auditor's audit log -----------------------------------------------------------------------------------

AUDIT = reverse("core:audit")
AUDIT_API = "/api/v1/audit/"


def _at(day: int, hour: int = 12):
    return timezone.make_aware(datetime.datetime(2024, 5, day, hour, 0))


@pytest.fixture
def set_up_rows(users) -> list[tuple[str, str]]:
    """The rows the town's set-up left today, newest first: the fixtures' two villages and group, each added by the
    administrator through `areas.services`."""
    rows = [(e.actor_name, e.action) for e in AuditEntry.objects.filter(town=users["admin"].town)]
    assert len(rows) == 3 and {actor for actor, _ in rows} == {"admin"}
    return rows


@pytest.fixture
def audit_rows(users, other_town_admin, set_up_rows):
    """Rows on 1, 2 and 3 May in the auditor's town (older than its set-up, made today), and one in another
    town."""
    rows = [
        (1, users["admin"], "accounts.user.create"),
        (2, users["cadre"], "registry.household.create"),
        (2, users["cadre"], "registry.resident.reveal_id"),
        (3, users["grid"], "registry.household.update"),
        (3, other_town_admin, "registry.household.create"),
    ]
    for day, actor, action in rows:
        with mock.patch("django.utils.timezone.now", return_value=_at(day)):
            audit_record(actor=actor, action=action, town=actor.town)
    return users


def _page_actions(client, **query):
    response = client.get(AUDIT, query)
    assert response.status_code == 200
    return [(e.actor_name, e.action) for e in response.context["page"]]


def _api_actions(api, **query):
    response = api.get(AUDIT_API, query)
    if response.status_code == 400:  # a filter that does not hold: nothing listed, the reason said
        return []
    assert response.status_code == 200, response.content
    return [(e["actor_name"], e["action"]) for e in response.json()["results"]]


@pytest.fixture
def auditor_client(client, audit_rows):
    client.force_login(audit_rows["auditor"])
    return client


@pytest.fixture
def auditor_api(audit_rows):
    api = APIClient()
    api.force_authenticate(audit_rows["auditor"])
    return api


def test_auditor_sees_the_town_log_newest_first(auditor_client, set_up_rows):
    assert _page_actions(auditor_client) == [
        *set_up_rows,
        ("grid", "registry.household.update"),
        ("alice", "registry.resident.reveal_id"),
        ("alice", "registry.household.create"),
        ("admin", "accounts.user.create"),
    ]  # never the other town's row


@pytest.mark.parametrize("client_kind", ["page", "api"])
def test_audit_filters_narrow_the_list(auditor_client, auditor_api, client_kind, set_up_rows):
    actions = (
        (lambda **q: _page_actions(auditor_client, **q))
        if client_kind == "page"
        else (lambda **q: _api_actions(auditor_api, **q))
    )
    assert len(actions()) == len(set_up_rows) + 4
    assert {a for _, a in actions(actor="alice")} == {
        "registry.household.create",
        "registry.resident.reveal_id",
    }
    assert actions(action="accounts.user.create") == [("admin", "accounts.user.create")]
    assert actions(action="accounts") == [("admin", "accounts.user.create")]  # every action of the app
    assert {a for a in actions(action="registry")} == {
        ("alice", "registry.household.create"),
        ("alice", "registry.resident.reveal_id"),
        ("grid", "registry.household.update"),
    }
    assert actions(action="registry.household.create", actor="alice") == [
        ("alice", "registry.household.create")
    ]
    assert [a for _, a in actions(since="2024-05-02", until="2024-05-02")] == [
        "registry.resident.reveal_id",
        "registry.household.create",
    ]
    assert actions(since="2024-05-03") == [*set_up_rows, ("grid", "registry.household.update")]
    assert actions(until="2024-05-01") == [("admin", "accounts.user.create")]
    assert actions(actor="other_admin") == []  # another town's account is no choice: nothing, not everything
    assert actions(action="registry.household") == []  # no such action


def test_audit_api_lists_the_town_only(auditor_api, set_up_rows):
    assert len(_api_actions(auditor_api)) == len(set_up_rows) + 4


def test_auditor_lands_on_the_audit_log(client, auditor):
    client.force_login(auditor)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response.url == AUDIT


@pytest.mark.parametrize("role", ["admin", "cadre", "grid", "duty", "clerk"])
def test_other_roles_get_404_on_the_audit_page(client, audit_rows, role):
    client.force_login(audit_rows[role])
    assert client.get(AUDIT).status_code == 404


@pytest.mark.parametrize("role", ["admin", "cadre", "grid", "duty", "clerk"])
def test_other_roles_get_404_on_the_audit_api(audit_rows, role):
    api = APIClient()
    api.force_authenticate(audit_rows[role])
    assert api.get(AUDIT_API).status_code == 404
