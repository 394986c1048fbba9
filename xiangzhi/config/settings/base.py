"""Settings shared by every environment; everything secret or site-specific comes from the environment."""

import datetime
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parents[3]
# All generated local state (database, development keys, uploads) lives in one git-ignored folder.
VAR_DIR = Path(os.environ.get("XIANGZHI_VAR_DIR", BASE_DIR / "var"))


def local_secret(name: str, nbytes: int = 32) -> str:
    """Read a development secret from VAR_DIR, creating it once; production passes secrets in the environment."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or local_secret("secret_key", 48)
# Master key for personal data at rest; derived keys encrypt fields and build blind indexes (core.crypto).
FIELD_ENCRYPTION_KEY = os.environ.get("XIANGZHI_FIELD_KEY") or local_secret("field.key", 32)

DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "xiangzhi.core",
    "xiangzhi.areas",
    "xiangzhi.accounts",
    "xiangzhi.messaging",
    "xiangzhi.imports",
    "xiangzhi.registry",
    "xiangzhi.notices",
    "xiangzhi.visits",
    "xiangzhi.freshness",
    "xiangzhi.livedata",
    "xiangzhi.monitoring",
    "xiangzhi.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "xiangzhi.core.middleware.RequestContextMiddleware",
    "xiangzhi.core.middleware.NotFoundMiddleware",
    "xiangzhi.core.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "xiangzhi.accounts.middleware.PasswordChangeRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xiangzhi.config.urls"
# Tracebacks (debug page, error mail, logs) show local variables and POST data with personal numbers replaced.
DEFAULT_EXCEPTION_REPORTER_FILTER = "xiangzhi.core.debug.PersonalDataReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "xiangzhi.core.debug.PersonalDataReporter"
WSGI_APPLICATION = "xiangzhi.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "xiangzhi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "xiangzhi.accounts.context_processors.permissions",
            ],
        },
    },
]
# Every form's errors summarised and linked, required fields marked, sections as fieldsets (core/forms.py).
FORM_RENDERER = "xiangzhi.core.forms.FormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'xiangzhi.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets readers work during writes; FULL sync keeps a power cut from losing a committed write.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "xiangzhi.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout: 5 failures lock the account (not the address) for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
# 30 minutes from the fifth failure, as the locked-out page says; a try during the lock does not restart it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "xiangzhi.accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "xiangzhi.core.context.client_ip"
# How many reverse proxies of ours stand in front of the app (0: clients connect directly). Behind one, the
# client's address comes from X-Forwarded-For, for the audit log and the lockout alike.
XIANGZHI_PROXY_COUNT = int(os.environ.get("XIANGZHI_PROXY_COUNT", "0"))

# Idle timeout: the session ends 30 minutes after the last request.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "xiangzhi" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

# Files only some users may see (residents' document photos, `livedata`): outside the web root and MEDIA_ROOT,
# served by a view that checks who asks. Tests keep them in memory.
PRIVATE_ROOT = VAR_DIR / "private"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_ROOT, "base_url": None},
    },
}
# A document photo sent with a change request is deleted this long after the request is decided.
XIANGZHI_CHANGE_PHOTO_RETENTION = datetime.timedelta(
    days=int(os.environ.get("XIANGZHI_CHANGE_PHOTO_DAYS", "30"))
)

# A user told this many times within the window that an ID number they entered is already registered may not enter
# ID numbers until the window has passed (validation must not become a way to test guessed numbers).
XIANGZHI_DUPLICATE_ID_LIMIT = 10
XIANGZHI_DUPLICATE_ID_WINDOW = datetime.timedelta(hours=1)

# An API token works this long after it was issued; then the script or app logs in again.
XIANGZHI_TOKEN_MAX_AGE = datetime.timedelta(days=int(os.environ.get("XIANGZHI_TOKEN_DAYS", "30")))

# How long an Idempotency-Key (or a page form's one-time token) is remembered (core.idempotency.idempotency_purge).
XIANGZHI_IDEMPOTENCY_RETENTION = datetime.timedelta(hours=24)

# Searches by a whole phone or ID number (a check of a number the user typed, each audited) one account may make
# in an hour; beyond it a search by number finds nothing until the hour's oldest check ages out.
XIANGZHI_NUMBER_SEARCHES_PER_HOUR = int(os.environ.get("XIANGZHI_NUMBER_SEARCHES_PER_HOUR", "20"))

# The Chinese font printed documents embed (a .ttf, .otf or .ttc file); empty: the first of
# xiangzhi.core.pdf.DEFAULT_FONTS installed (Debian's fonts-noto-cjk).
XIANGZHI_PDF_FONT = os.environ.get("XIANGZHI_PDF_FONT", "")

# Oversize requests are refused with a 400 before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "xiangzhi.accounts.api.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "xiangzhi.core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "xiangzhi.core.api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "xiangzhi.core.api.base.exception_handler",
}


SPECTACULAR_SETTINGS = {
    "TITLE": "xiangzhi 乡治 API",
    "DESCRIPTION": _("Digital-village governance: registry, monitoring, points and the Love Supermarket."),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema names every endpoint and field: signed-in users only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request bodies are documented as JSON only: the nested ones (a resident's phones and flags, a relationship
    # map) cannot be sent as a form. Form posts stay accepted for the token login and the browsable API.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # Every answer and error is documented per endpoint (xiangzhi.core.api.schema).
    # One name per choice set, so the schema has no enum collision (a warning under `check --deploy`).
    "ENUM_NAME_OVERRIDES": {
        "ResidenceStatusEnum": "xiangzhi.registry.choices.ResidenceStatus",
        "LivingResidenceStatusEnum": "xiangzhi.registry.choices.LIVING_RESIDENCE_CHOICES",
    },
}


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Lockout is per account by design (another account on the same address stays usable), so axes' advice to
# also key on the IP address does not apply.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Background tasks (`xiangzhi.core.background`): rows in the database, run by `manage.py worker` — no broker.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Text messages (`xiangzhi.messaging`). The default sender only writes the outbox and the log, so a town without an
# SMS contract still works; set XIANGZHI_SMS_GATEWAY_URL to send through an HTTP gateway.
XIANGZHI_SMS_GATEWAY_URL = os.environ.get("XIANGZHI_SMS_GATEWAY_URL", "")
XIANGZHI_SMS_GATEWAY_TOKEN = os.environ.get("XIANGZHI_SMS_GATEWAY_TOKEN", "")
XIANGZHI_SMS_GATEWAY_TIMEOUT = float(os.environ.get("XIANGZHI_SMS_GATEWAY_TIMEOUT", "10"))
XIANGZHI_SMS_SENDER = os.environ.get(
    "XIANGZHI_SMS_SENDER",
    "xiangzhi.messaging.senders.HttpGatewaySender"
    if XIANGZHI_SMS_GATEWAY_URL
    else "xiangzhi.messaging.senders.OutboxOnlySender",
)

# Residents sign in with a code sent to a phone on record (`xiangzhi.portal`).
XIANGZHI_SIGN_IN_CODE_TTL = datetime.timedelta(minutes=5)
XIANGZHI_SIGN_IN_CODE_INTERVAL = datetime.timedelta(seconds=60)  # between two codes to one phone
XIANGZHI_SIGN_IN_CODES_PER_PHONE_PER_HOUR = 5
XIANGZHI_SIGN_IN_CODES_PER_ADDRESS_PER_HOUR = int(
    os.environ.get("XIANGZHI_SIGN_IN_CODES_PER_ADDRESS_PER_HOUR", "30")
)
XIANGZHI_SIGN_IN_FAILURES_TO_LOCK = 5
XIANGZHI_SIGN_IN_LOCK = datetime.timedelta(minutes=30)
