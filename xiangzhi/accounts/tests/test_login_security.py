"""Login security: Argon2, per-account lockout (django-axes), idle session timeout, a new session key at login,
password validators, CSRF on every form.

Time travel for the lockout moves axes' `AccessAttempt.attempt_time` back in the database: axes 8.3.1 counts only
attempts newer than `now - AXES_COOLOFF_TIME` (and deletes older ones), so an attempt moved back 31 minutes is
exactly an attempt made 31 minutes ago. The idle timeout is tested the same way, on the session row's expire_date.
"""

import datetime
from typing import Any, cast

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db.models import F
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from xiangzhi.accounts import services
from xiangzhi.accounts.forms import ServicePasswordChangeForm
from xiangzhi.config.settings import base as base_settings

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-123"  # the conftest users' password
ADDRESS = "10.1.2.3"  # alice and bob share one office address
LOGIN = reverse("accounts:login")


def login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ADDRESS, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail_five_times(client, username="alice"):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, username, "wrong-password-1")


def age_attempts(username: str, minutes: int) -> None:
    """Time travel: every recorded failure of `username` happened `minutes` earlier than recorded."""
    moved = AccessAttempt.objects.filter(username=username).update(
        attempt_time=F("attempt_time") - datetime.timedelta(minutes=minutes)
    )
    assert moved


# --- hashing ---------------------------------------------------------------------------------------------------


def test_argon2_is_the_default_hasher_outside_tests():
    # The test settings use MD5 for speed; base (and prod, which imports it) must hash with Argon2.
    assert base_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert not any("MD5" in h or "SHA1" in h for h in base_settings.PASSWORD_HASHERS)


def test_argon2_hashes_and_verifies():
    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("玉峰村-correct-horse", hasher.salt())
    assert encoded.startswith("argon2$argon2id$")
    assert hasher.verify("玉峰村-correct-horse", encoded)
    assert not hasher.verify("玉峰村-wrong-horse", encoded)


def test_a_user_password_is_stored_as_argon2_with_the_base_hashers(alice):
    with override_settings(PASSWORD_HASHERS=base_settings.PASSWORD_HASHERS):
        alice.set_password("a-new-long-passphrase")
        alice.save()
        assert alice.password.startswith("argon2$")
        assert check_password("a-new-long-passphrase", alice.password)


# --- lockout ---------------------------------------------------------------------------------------------------


def test_settings_lock_the_account_not_the_address():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == 0.5  # hours
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]
    assert settings.AXES_LOCKOUT_CALLABLE == "xiangzhi.accounts.views.locked_out"


def test_four_failures_do_not_lock(client, alice):
    for _ in range(4):
        assert login(client, "alice", "wrong-password-1").status_code == 200
    assert login(client, "alice", PASSWORD).status_code == 302
    assert logged_in(client)


def test_five_failures_lock_alice_but_not_bob_on_the_same_address(client, alice, bob):
    fail_five_times(client)

    # the right password no longer helps: the locked-out page, 429
    response = login(client, "alice", PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "Account locked" in response.content.decode()
    assert "30 minutes" in response.content.decode()
    assert not logged_in(client)

    # bob, from the same address, is unaffected
    other = Client()
    response = login(other, "bob", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("core:home")
    assert logged_in(other)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_locked_out_page_speaks_the_visitor_language(client, alice, language):
    fail_five_times(client)
    response = login(client, "alice", PASSWORD, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 429
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    with translation.override(language):
        # through the app's catalogue: Chinese once xiangzhi/locale translates it, the English msgid until then
        assert translation.gettext("Account locked") in html


def test_lock_lifts_thirty_minutes_after_the_fifth_failure(client, alice):
    fail_five_times(client)
    age_attempts("alice", 20)

    # a try during the lock is refused and does not restart the 30 minutes the page promises
    assert login(client, "alice", PASSWORD).status_code == 429
    age_attempts("alice", 9)  # 29 minutes after the fifth failure: still locked
    assert login(client, "alice", PASSWORD).status_code == 429

    age_attempts("alice", 2)  # 31 minutes
    response = login(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)
    assert not AccessAttempt.objects.filter(username="alice").exists()  # success resets the count


def test_token_endpoint_failures_count_towards_the_lock(alice):
    api = Client()
    url = reverse("api-token")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = api.post(url, {"username": "alice", "password": "wrong-password-1"}, REMOTE_ADDR=ADDRESS)
        assert response.status_code == 400
    # the fifth failure locks, as on the login page
    response = api.post(url, {"username": "alice", "password": "wrong-password-1"}, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 429
    # locked for the token endpoint, and for the login page
    response = api.post(
        url, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR=ADDRESS, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert "30 minutes" in response.json()["detail"]
    assert "token" not in response.json()
    assert login(Client(), "alice", PASSWORD).status_code == 429


def test_a_lock_from_the_login_page_applies_to_the_token_endpoint(client, alice, bob):
    fail_five_times(client)
    url = reverse("api-token")
    response = Client().post(url, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 429
    assert "token" not in response.json()
    response = Client().post(url, {"username": "bob", "password": PASSWORD}, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 200 and response.json()["token"]

    age_attempts("alice", 31)
    response = Client().post(url, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 200 and response.json()["token"]


def test_token_endpoint_wrong_password_is_still_a_plain_400(alice):
    response = Client().post(reverse("api-token"), {"username": "alice", "password": "nope-nope-1"})
    assert response.status_code == 400
    assert "code" not in response.json()


# --- sessions --------------------------------------------------------------------------------------------------


def test_session_settings_make_an_idle_timeout():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_HTTPONLY is True


def _session_row(client) -> Session:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def test_each_request_pushes_the_expiry_thirty_minutes_ahead(client, alice):
    login(client, "alice", PASSWORD)
    Session.objects.filter(pk=_session_row(client).pk).update(
        expire_date=timezone.now() + datetime.timedelta(minutes=1)
    )
    assert client.get(reverse("registry:home")).status_code == 200
    remaining = _session_row(client).expire_date - timezone.now()
    assert datetime.timedelta(minutes=29) < remaining <= datetime.timedelta(minutes=30)


def test_an_idle_session_expires(client, alice):
    assert login(client, "alice", PASSWORD).status_code == 302
    assert client.get(reverse("registry:home")).status_code == 200
    # thirty minutes without a request
    Session.objects.filter(pk=_session_row(client).pk).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get(reverse("registry:home"))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_login_gives_a_new_session_key(client, alice):
    # an anonymous visitor with a session (e.g. a planted session id)
    client.get(LOGIN)
    anonymous = client.session
    anonymous["seen_login_page"] = True
    anonymous.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = anonymous.session_key
    before = anonymous.session_key

    assert login(client, "alice", PASSWORD).status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after and after != before
    assert not Session.objects.filter(session_key=before).exists()  # the old key is dead
    assert client.session["seen_login_page"] is True  # cycle_key keeps the data, not the key


# --- password validators ---------------------------------------------------------------------------------------


def test_validators_are_configured():
    # mypy infers list[object] from the mixed dicts in settings/base.py
    validators = cast(list[dict[str, Any]], settings.AUTH_PASSWORD_VALIDATORS)
    names = [v["NAME"].rsplit(".", 1)[1] for v in validators]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
    assert validators[1]["OPTIONS"]["min_length"] == 8


# The Chinese side checks a fragment, not the wording: the app's catalogue may re-word Django's translations.
WEAK = [
    pytest.param("Ab3$xyz", "8 个字符", "This password is too short.", id="short"),
    pytest.param("password123", "常见", "This password is too common.", id="common"),
    pytest.param("12345678", "常见", "This password is too common.", id="common-digits"),
    pytest.param("3958204718", "数字", "This password is entirely numeric.", id="numeric"),
]


@pytest.mark.parametrize(("password", "zh", "en"), WEAK)
def test_password_change_form_rejects_weak_passwords(alice, password, zh, en):
    for language, message in (("zh-hans", zh), ("en", en)):
        with translation.override(language):
            form = ServicePasswordChangeForm(
                alice, {"old_password": PASSWORD, "new_password1": password, "new_password2": password}
            )
            assert not form.is_valid()
            errors = [str(e) for e in form.errors["new_password2"]]
            assert any(message in e for e in errors), errors
            assert language == "en" or "password" not in " ".join(errors).lower()  # no English left over
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


@pytest.mark.parametrize(("password", "zh", "en"), WEAK)
def test_user_create_rejects_weak_passwords(admin_user, password, zh, en):
    for language, message in (("zh-hans", zh), ("en", en)):
        with translation.override(language), pytest.raises(ValidationError) as caught:
            services.user_create(
                actor=admin_user, username="newclerk", roles=[services.RoleInput("clerk")], password=password
            )
        errors = caught.value.messages
        assert any(message in m for m in errors), errors
        assert language == "en" or "password" not in " ".join(errors).lower()
    assert not services.User.objects.filter(username="newclerk").exists()


def test_password_change_page_shows_the_translated_error(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "password123", "new_password2": "password123"},
    )
    assert response.status_code == 200
    assert "常见" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_similar_to_the_username_is_rejected(admin_user):
    with pytest.raises(ValidationError):
        services.user_create(
            actor=admin_user,
            username="wangxiaoming",
            roles=[services.RoleInput("clerk")],
            password="wangxiaoming1",
        )


# --- CSRF ------------------------------------------------------------------------------------------------------


@pytest.fixture
def strict():
    return Client(enforce_csrf_checks=True)


def test_login_post_without_csrf_token_is_refused(strict, alice):
    strict.get(LOGIN)  # the CSRF cookie is set, but the form field is left out
    response = strict.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert not logged_in(strict)


def test_login_post_with_the_csrf_token_works(strict, alice):
    strict.get(LOGIN)
    token = strict.cookies[settings.CSRF_COOKIE_NAME].value
    response = strict.post(LOGIN, {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_registry_form_post_without_csrf_token_is_refused(strict, alice, group_a1):
    from xiangzhi.registry.models import Household

    strict.force_login(alice)
    strict.get(reverse("registry:household_create"))
    response = strict.post(
        reverse("registry:household_create"),
        {"group": group_a1.pk, "number": "A-099", "address": "玉峰村1组99号"},
    )
    assert response.status_code == 403
    assert not Household.objects.filter(number="A-099").exists()


def test_htmx_reveal_needs_the_csrf_header(strict, alice, household_a):
    from xiangzhi.core.models import AuditEntry

    strict.force_login(alice)
    strict.get(reverse("registry:household", args=[household_a.pk]))
    token = strict.cookies[settings.CSRF_COOKIE_NAME].value
    url = reverse("registry:reveal_id", args=[household_a.head.pk])

    response = strict.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action__contains="reveal").exists()

    response = strict.post(url, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action__contains="reveal").count() == 1


def test_every_page_form_carries_a_csrf_token(client, users, household_a):
    """Every POST form on the pages a user sees carries the token (the language switch and logout included)."""
    import re

    pages = {
        "admin": [reverse("accounts:users"), reverse("registry:household_create")],
        "cadre": [reverse("registry:household", args=[household_a.pk]), reverse("accounts:password_change")],
    }
    client.get(LOGIN)
    checked = 0
    for role, urls in {"anonymous": [LOGIN], **pages}.items():
        if role != "anonymous":
            client.force_login(users[role])
        for url in urls:
            html = client.get(url).content.decode()
            for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, flags=re.S | re.I):
                assert "csrfmiddlewaretoken" in form, (url, form[:200])
                checked += 1
    assert checked >= 8
