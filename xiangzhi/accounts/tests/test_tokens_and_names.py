"""API tokens end with the password, the account and their age; sign-ins and lockouts are in the audit log;
usernames cannot imitate one another; a temporary password cannot be kept as the new one."""

import datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from xiangzhi.accounts import services
from xiangzhi.accounts.models import User
from xiangzhi.core.models import AuditEntry
from xiangzhi.core.permissions import Role

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-123"
TEMPORARY = "Temporary-pass-77"
CHOSEN = "Qingshan-lushui-88"


def _token(username, password) -> str | None:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    return response.json().get("token") if response.status_code == 200 else None


def _me(key) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/me/").status_code


def test_a_token_taken_with_a_temporary_password_ends_with_it(admin_user, alice):
    # given alice, whose administrator set a temporary password, and a token taken with it
    services.user_reset_password(actor=admin_user, user=alice, password=TEMPORARY)
    key = _token("alice", TEMPORARY)
    assert key and _me(key) == 403  # she must change the password first
    # when she changes it
    alice.refresh_from_db()
    services.user_change_password(user=alice, new_password=CHOSEN)
    # then the old token is gone; a new one works
    assert _me(key) in (401, 403) and not Token.objects.filter(key=key).exists()
    assert _me(_token("alice", CHOSEN)) == 200


def test_the_temporary_password_cannot_be_kept(admin_user, alice):
    services.user_reset_password(actor=admin_user, user=alice, password=TEMPORARY)
    alice.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.user_change_password(user=alice, new_password=TEMPORARY)
    assert "new_password1" in exc.value.message_dict
    alice.refresh_from_db()
    assert alice.must_change_password


def test_a_token_expires(alice, settings):
    key = _token("alice", PASSWORD)
    assert _me(key) == 200
    Token.objects.filter(key=key).update(
        created=Token.objects.get(key=key).created - datetime.timedelta(days=31)
    )
    assert _me(key) in (401, 403)
    assert not Token.objects.filter(key=key).exists()
    fresh = _token("alice", PASSWORD)
    assert fresh != key and _me(fresh) == 200


def test_a_token_does_not_come_back_with_a_reactivated_account(admin_user, alice):
    key = _token("alice", PASSWORD)
    services.user_set_active(actor=admin_user, user=alice, active=False)
    services.user_set_active(actor=admin_user, user=alice, active=True)
    assert _me(key) in (401, 403) and not Token.objects.filter(key=key).exists()


def test_token_issue_and_use_are_audited(alice):
    key = _token("alice", PASSWORD)
    _me(key)
    _me(key)
    actions = list(AuditEntry.objects.filter(target_id=str(alice.pk)).values_list("action", flat=True))
    assert actions.count("accounts.token.issue") == 1
    assert actions.count("accounts.token.use") == 1  # once an hour, not per request
    assert "accounts.user.login" in actions


def test_logins_failures_and_the_lockout_are_audited(client, admin_user):
    assert not client.post(
        reverse("accounts:login"), {"username": "admin", "password": "nope-nope-1"}
    ).wsgi_request.user.is_authenticated
    for _ in range(4):
        client.post(reverse("accounts:login"), {"username": "admin", "password": "nope-nope-1"})
    client.post(reverse("accounts:login"), {"username": "nobody-here", "password": "nope-nope-1"})
    rows = list(AuditEntry.objects.order_by("pk").values_list("action", "target_id"))
    assert rows.count(("accounts.user.login_failed", str(admin_user.pk))) == 5
    assert ("accounts.user.locked", str(admin_user.pk)) in rows
    assert not AuditEntry.objects.filter(target_repr="nobody-here").exists()
    # and the locked-out only administrator gets back in from the server
    out = StringIO()
    call_command("unlock_account", "ADMIN", stdout=out)
    assert "unlocked" in out.getvalue()
    entry = AuditEntry.objects.filter(action="accounts.user.unlock").get()
    assert entry.actor is None and entry.after["via"] == "command line"
    fresh = Client()
    fresh.post(reverse("accounts:login"), {"username": "admin", "password": PASSWORD})
    assert "_auth_user_id" in fresh.session
    assert AuditEntry.objects.filter(action="accounts.user.login", target_id=str(admin_user.pk)).exists()


@pytest.mark.parametrize(
    "name",
    [
        "ａｄｍｉｎ",  # full-width: folds to admin
        "ADMIN",
        "аdmin",  # Cyrillic а
        "ad\u200bmin",  # zero-width space
        "<b>admin</b>",
        "adm1n",  # a one for an l: looks the same on a phone
        "ad.min",
        "admin ",
    ],
)
def test_a_second_admin_cannot_be_made_to_look_like_the_first(admin_user, name):
    with pytest.raises(ValidationError) as exc:
        services.user_create(
            actor=admin_user,
            username=name,
            password="Initial-pass-2024",
            roles=[services.RoleInput(Role.DUTY)],
        )
    assert "username" in exc.value.message_dict
    assert User.objects.count() == 1


def test_usernames_are_normalised(admin_user):
    user = services.user_create(
        actor=admin_user,
        username="ＬiuBei",
        password="Initial-pass-2024",
        roles=[services.RoleInput(Role.DUTY)],
    )
    assert user.username == "liubei"
    chinese = services.user_create(
        actor=admin_user, username="刘备", password="Initial-pass-2024", roles=[services.RoleInput(Role.DUTY)]
    )
    assert chinese.username == "刘备"
