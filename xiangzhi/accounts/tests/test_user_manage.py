"""The administrator's account page: unlock a locked account, set a temporary password, deactivate, activate.
Each is audited; another town's accounts and other roles get 404."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from xiangzhi.accounts import services
from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-123"  # the conftest users' password
TEMPORARY = "Linshi-mima-2026"
LOGIN = reverse("accounts:login")


def login(username, password):
    client = Client()
    response = client.post(LOGIN, {"username": username, "password": password})
    return client, response


def lock(username):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(username, "wrong-password-1")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def page(user):
    return reverse("accounts:user", args=[user.pk])


def test_the_users_page_shows_who_is_locked_and_the_admin_unlocks(admin_client, alice, bob):
    lock("alice")
    assert login("alice", PASSWORD)[1].status_code == 429
    assert services.locked_usernames([alice, bob]) == {"alice"}
    html = admin_client.get(reverse("accounts:users"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert html.count(">locked<") == 1

    response = admin_client.post(page(alice), {"action": "unlock"})
    assert response.status_code == 302
    assert login("alice", PASSWORD)[1].status_code == 302
    assert AuditEntry.objects.filter(action="user.unlock", target_id=str(alice.pk)).exists()


def test_a_temporary_password_must_be_changed_and_ends_the_api_token(admin_client, alice):
    lock("alice")
    token = Token.objects.create(user=alice)
    response = admin_client.post(page(alice), {"action": "reset_password", "password": TEMPORARY})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.must_change_password and alice.check_password(TEMPORARY)
    assert not Token.objects.filter(key=token.key).exists()
    client, response = login("alice", TEMPORARY)  # the reset lifts the lockout too
    assert response.status_code == 302
    assert client.get(reverse("registry:home")).url.startswith(reverse("accounts:password_change"))
    entry = AuditEntry.objects.get(action="user.reset_password")
    assert TEMPORARY not in str(entry.before) + str(entry.after)


@pytest.mark.parametrize("password", ["", "short", "password123"])
def test_a_weak_or_missing_temporary_password_is_a_form_error(admin_client, alice, password):
    response = admin_client.post(page(alice), {"action": "reset_password", "password": password})
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD) and not alice.must_change_password


def test_a_deactivated_account_cannot_log_in_and_comes_back(admin_client, alice):
    assert admin_client.post(page(alice), {"action": "deactivate"}).status_code == 302
    assert login("alice", PASSWORD)[1].status_code == 200  # the login form again
    assert admin_client.post(page(alice), {"action": "activate"}).status_code == 302
    assert login("alice", PASSWORD)[1].status_code == 302
    actions = list(AuditEntry.objects.filter(target_id=str(alice.pk)).values_list("action", flat=True))
    assert {"user.deactivate", "user.activate"} <= set(actions)


def test_a_deactivated_users_open_session_ends(admin_user, alice):
    client = Client()
    client.force_login(alice)
    assert client.get(reverse("registry:home")).status_code == 200
    services.user_set_active(actor=admin_user, user=alice, active=False)
    assert client.get(reverse("registry:home")).status_code == 302


def test_the_admin_cannot_deactivate_itself(admin_client, admin_user):
    response = admin_client.post(page(admin_user), {"action": "deactivate"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "your own account" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_an_unknown_action_changes_nothing(admin_client, alice):
    assert admin_client.post(page(alice), {"action": "delete"}).status_code == 200
    alice.refresh_from_db()
    assert alice.is_active


def test_another_towns_admin_gets_404_and_the_services_refuse(client, other_town_admin, alice):
    client.force_login(other_town_admin)
    assert client.get(page(alice)).status_code == 404
    assert client.post(page(alice), {"action": "deactivate"}).status_code == 404
    for call in (
        lambda: services.user_unlock(actor=other_town_admin, user=alice),
        lambda: services.user_set_active(actor=other_town_admin, user=alice, active=False),
        lambda: services.user_reset_password(actor=other_town_admin, user=alice, password=TEMPORARY),
    ):
        with pytest.raises(NotInScope):
            call()
    alice.refresh_from_db()
    assert alice.is_active and alice.check_password(PASSWORD)
