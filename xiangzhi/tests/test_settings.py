"""Settings from the environment, the production deploy check, request ids, and hostile request bodies.

The settings tests start a fresh interpreter (the venv's python, `manage.py` or `-c`) with a controlled
environment: production settings are read once at start-up and must fail loudly there.
"""

import json
import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from xiangzhi.core.models import AuditEntry

LOGIN = reverse("accounts:login")
PROD = "xiangzhi.config.settings.prod"


# --- settings from the environment (subprocesses) --------------------------------------------------------------


@pytest.fixture
def env(tmp_path):
    """A clean environment: nothing secret inherited, local state in a temporary folder."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SECRET_KEY", "XIANGZHI_FIELD_KEY", "DJANGO_ALLOWED_HOSTS"}
        and not k.startswith(("DJANGO_", "XIANGZHI_"))
    }
    clean["XIANGZHI_VAR_DIR"] = str(tmp_path / "var")
    clean["PYTHONDONTWRITEBYTECODE"] = "1"
    return clean


@pytest.fixture
def prod_env(env):
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": PROD,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "XIANGZHI_FIELD_KEY": secrets.token_urlsafe(32),
        "DJANGO_ALLOWED_HOSTS": "xiangzhi.baoxing.example,10.0.0.5",
    }


def run(args, env, timeout=120):
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


SHOW_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST"), "port": db.get("PORT"),
    "user": db.get("USER"), "hasher": settings.PASSWORD_HASHERS[0], "debug": settings.DEBUG,
    "allowed_hosts": settings.ALLOWED_HOSTS, "secret_key": settings.SECRET_KEY,
    "field_key": settings.FIELD_ENCRYPTION_KEY, "session_age": settings.SESSION_COOKIE_AGE,
    "save_every_request": settings.SESSION_SAVE_EVERY_REQUEST, "axes_limit": settings.AXES_FAILURE_LIMIT,
}))
"""


def test_production_passes_the_deploy_check_without_warnings(prod_env):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], prod_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
    assert "WARNING" not in result.stderr.upper(), result.stderr


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "XIANGZHI_FIELD_KEY"])
def test_production_refuses_to_start_without_its_secrets(prod_env, missing):
    del prod_env[missing]
    result = run(["manage.py", "check"], prod_env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set" in result.stderr


def test_production_reads_everything_from_the_environment(prod_env):
    prod_env["DATABASE_URL"] = "postgres://xz:s3cret@db.baoxing.example:5433/xiangzhi_prod"
    result = run(["-c", SHOW_SETTINGS], prod_env)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["engine"] == "django.db.backends.postgresql"
    assert (shown["name"], shown["host"], shown["port"], shown["user"]) == (
        "xiangzhi_prod",
        "db.baoxing.example",
        5433,
        "xz",
    )
    assert shown["secret_key"] == prod_env["DJANGO_SECRET_KEY"]
    assert shown["field_key"] == prod_env["XIANGZHI_FIELD_KEY"]
    assert shown["allowed_hosts"] == ["xiangzhi.baoxing.example", "10.0.0.5"]
    assert shown["debug"] is False
    assert shown["hasher"] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert (shown["session_age"], shown["save_every_request"], shown["axes_limit"]) == (1800, True, 5)


def test_without_database_url_development_uses_sqlite_in_the_var_folder(env, tmp_path):
    env["DJANGO_SETTINGS_MODULE"] = "xiangzhi.config.settings.dev"
    result = run(["-c", SHOW_SETTINGS], env)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["engine"] == "django.db.backends.sqlite3"
    assert shown["name"] == str(tmp_path / "var" / "xiangzhi.sqlite3")
    # development keys are generated once, kept out of the code, and reused
    assert (tmp_path / "var" / "secret_key").read_text() == shown["secret_key"]
    assert (tmp_path / "var" / "field.key").read_text() == shown["field_key"]
    assert oct((tmp_path / "var" / "field.key").stat().st_mode & 0o777) == "0o600"
    assert json.loads(run(["-c", SHOW_SETTINGS], env).stdout)["secret_key"] == shown["secret_key"]


def test_database_url_is_honoured_in_development_too(env):
    env["DJANGO_SETTINGS_MODULE"] = "xiangzhi.config.settings.dev"
    env["DATABASE_URL"] = "postgres://postgres:postgres@127.0.0.1:5432/xiangzhi"
    shown = json.loads(run(["-c", SHOW_SETTINGS], env).stdout)
    assert (shown["engine"], shown["name"]) == ("django.db.backends.postgresql", "xiangzhi")


# --- X-Request-ID ----------------------------------------------------------------------------------------------

HEX_ID = re.compile(r"^[a-z2-7]{24}$")  # our request ids: base32, no digit run that looks like a number


@pytest.mark.django_db
def test_a_request_id_is_made_when_none_comes_in(client):
    first = client.get(LOGIN)["X-Request-ID"]
    second = client.get(LOGIN)["X-Request-ID"]
    assert HEX_ID.match(first) and HEX_ID.match(second) and first != second


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["req-42", "a1B2.c3_d4-E5", "x" * 64])
def test_a_client_request_id_is_never_ours(client, incoming):
    # a client choosing our id could make its audit rows pass for another request's
    answered = client.get(LOGIN, HTTP_X_REQUEST_ID=incoming)["X-Request-ID"]
    assert HEX_ID.match(answered) and answered != incoming


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming",
    [
        "has spaces in it",
        "x" * 200,
        "x" * 65,
        "<script>alert(1)</script>",
        "id\r\nSet-Cookie: sessionid=evil",
        "请求",
        "a/b",
        "",
    ],
)
def test_an_unsafe_request_id_is_replaced(client, incoming):
    response = client.get(LOGIN, HTTP_X_REQUEST_ID=incoming)
    assert HEX_ID.match(response["X-Request-ID"])
    assert "evil" not in str(response.cookies)


@pytest.mark.django_db
def test_the_request_id_reaches_the_audit_row_beside_the_clients(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("accounts:users"),
        {"username": "clerk9", "roles": ["clerk"], "password": "Initial-pass-2024"},
        HTTP_X_REQUEST_ID="trace-clerk9",
        REMOTE_ADDR="10.9.8.7",
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="accounts.user.create")
    assert (entry.request_id, entry.client_request_id, entry.ip_address) == (
        response["X-Request-ID"],
        "trace-clerk9",
        "10.9.8.7",
    )
    assert HEX_ID.match(entry.request_id)


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["has spaces in it", "x" * 65, "请求", "a/b", "<b>x</b>"])
def test_an_unsafe_client_request_id_is_not_kept(client, admin_user, incoming):
    client.force_login(admin_user)
    client.post(
        reverse("accounts:users"),
        {"username": "clerk9", "roles": ["clerk"], "password": "Initial-pass-2024"},
        HTTP_X_REQUEST_ID=incoming,
    )
    entry = AuditEntry.objects.get(action="accounts.user.create")
    assert entry.client_request_id == "" and HEX_ID.match(entry.request_id)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("proxies", "forwarded", "recorded"),
    [
        (0, "1.2.3.4", "10.0.0.2"),  # no proxy of ours: X-Forwarded-For is the client's claim, ignored
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # one proxy: the address it saw, not what the client wrote before
        (1, "", "10.0.0.2"),
        (1, "not-an-address", "10.0.0.2"),
        (2, "1.2.3.4, 172.16.0.9", "1.2.3.4"),
    ],
)
def test_the_audit_row_and_lockout_see_the_client_behind_our_proxies(
    client, admin_user, settings, proxies, forwarded, recorded
):
    from axes.helpers import get_client_ip_address

    settings.XIANGZHI_PROXY_COUNT = proxies
    client.force_login(admin_user)
    client.post(
        reverse("accounts:users"),
        {"username": "clerk9", "roles": ["clerk"], "password": "Initial-pass-2024"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert AuditEntry.objects.get(action="accounts.user.create").ip_address == recorded
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert get_client_ip_address(request) == recorded


# --- hostile bodies: 4xx, never 500 ----------------------------------------------------------------------------

TOO_BIG = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024


def test_upload_limit_is_two_mebibytes():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2 * 1024 * 1024


@pytest.mark.django_db
def test_an_oversize_login_form_is_a_400(client, alice):
    response = client.post(LOGIN, {"username": "alice", "password": "pw-for-tests-123", "pad": "x" * TOO_BIG})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_oversize_registry_form_is_a_400(client, alice, group_a1):
    from xiangzhi.registry.models import Household

    client.force_login(alice)
    response = client.post(
        reverse("registry:household_create"),
        {"group": group_a1.pk, "number": "A-500", "address": "x" * TOO_BIG},
    )
    assert response.status_code == 400
    assert not Household.objects.filter(number="A-500").exists()


@pytest.mark.django_db
def test_an_oversize_api_form_post_is_a_4xx(client, alice):
    client.force_login(alice)
    response = client.post("/api/v1/registry/households/", {"number": "A-501", "address": "x" * TOO_BIG})
    assert 400 <= response.status_code < 500


@pytest.mark.django_db
def test_an_oversize_token_request_is_a_4xx(client, alice):
    response = client.post(reverse("api-token"), {"username": "alice", "password": "x" * TOO_BIG})
    assert 400 <= response.status_code < 500


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", ["{not json", '{"username": "alice", "password": ', "[1, 2", "\xff\xfe", "null"]
)
def test_malformed_json_is_a_400(client, alice, body):
    response = client.post(reverse("api-token"), body, content_type="application/json")
    assert response.status_code == 400

    client.force_login(alice)
    response = client.post("/api/v1/registry/households/", body, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.django_db
def test_an_oversize_json_body_is_a_4xx(client, alice, group_a1):
    from xiangzhi.registry.models import Household

    client.force_login(alice)
    body = json.dumps({"group": group_a1.pk, "number": "A-502", "address": "x" * TOO_BIG})
    response = client.post("/api/v1/registry/households/", body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert not Household.objects.filter(number="A-502").exists()
