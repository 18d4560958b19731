"""Leitstelle's one settings file: every value comes from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def envbool(name: str, default: bool = False) -> bool:
    value = envstr(name).lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name} must be 1/true/yes/on or 0/false/no/off, not {value!r}."
    )


def envint(name: str, default: int) -> int:
    value = envstr(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, not {value!r}."
        ) from None


def envsecret(name: str) -> str:
    """Return NAME, or the contents of the file named by NAME_FILE."""
    value = envstr(name)
    path = envstr(f"{name}_FILE")
    if value or not path:
        return value
    try:
        return Path(path).read_text().strip()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"{name}_FILE points to {path}, which cannot be read: {exc.strerror}."
        ) from None


def prepare_data_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"  # processes start together
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"LEITSTELLE_DATA_DIR {path} is not writable ({exc.strerror}): "
            "create it or point LEITSTELLE_DATA_DIR to a writable folder."
        ) from None
    return path


def generated_secret(path: Path) -> str:
    """Return the secret stored in PATH, creating it on first start."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def parse_base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ImproperlyConfigured(
            "LEITSTELLE_BASE_URL must look like https://leitstelle.example.org, "
            f"not {value!r}."
        )
    return value.rstrip("/")


def parse_database_url(value: str, data_dir: Path) -> dict:
    if not value:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": data_dir / "leitstelle.sqlite3",
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    if urlsplit(value).scheme not in {"postgres", "postgresql", "sqlite"}:
        raise ImproperlyConfigured(
            "DATABASE_URL must start with postgresql:// (or sqlite://), "
            f"not {value.split(':', 1)[0]!r}."
        )
    try:
        config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {exc}.") from None
    return config


def parse_redis_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"redis", "rediss", "unix"} or not (
        parts.hostname or parts.path
    ):
        raise ImproperlyConfigured(
            f"REDIS_URL must look like redis://127.0.0.1:6379/0, not {value!r}."
        )
    return value


DATA_DIR = prepare_data_dir(Path(envstr("LEITSTELLE_DATA_DIR", "var")).resolve())
TESTING = envbool("LEITSTELLE_TESTING")
DEBUG = envbool("LEITSTELLE_DEBUG")
SECRET_KEY = envsecret("LEITSTELLE_SECRET_KEY") or generated_secret(
    DATA_DIR / "secret_key"
)
BASE_URL = parse_base_url(envstr("LEITSTELLE_BASE_URL", "http://127.0.0.1:8000"))
ALLOWED_HOSTS = [
    host.strip()
    for host in envstr("LEITSTELLE_ALLOWED_HOSTS").split(",")
    if host.strip()
] or [urlsplit(BASE_URL).hostname, "localhost", "127.0.0.1"]
CSRF_TRUSTED_ORIGINS = [BASE_URL]
CSRF_FAILURE_VIEW = "leitstelle.core.views.errors.csrf_failure"
HTTPS = BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "template_partials",
    "huey.contrib.djhuey",
    "leitstelle.core",
    "leitstelle.networks",
    "leitstelle.networks.exercise",
    "leitstelle.inbox",
    "leitstelle.publishing",
    "leitstelle.triage",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "leitstelle.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "leitstelle.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "leitstelle.core.middleware.SessionGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "leitstelle.urls"
WSGI_APPLICATION = "leitstelle.wsgi.application"
ASGI_APPLICATION = "leitstelle.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "leitstelle.core.context_processors.shell",
            ],
        },
    }
]

DATABASES = {"default": parse_database_url(envstr("DATABASE_URL"), DATA_DIR)}
if TESTING and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a worker started by a test sees the same
    # rows; one per test run, so that parallel runs do not clobber each other.
    DATABASES["default"]["TEST"] = {
        "NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:dashboard"
VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{VALIDATORS}.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Pre-publish link checks call the linked servers; off where there is no
# internet (the check then says it was skipped).
PUBLISHING_LINK_CHECKS = envbool("LEITSTELLE_LINK_CHECKS", True)

SESSION_IDLE_MINUTES = envint("LEITSTELLE_SESSION_IDLE_MINUTES", 60)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"

LOGIN_MAX_FAILURES_PER_USER = envint("LEITSTELLE_LOGIN_MAX_FAILURES_PER_USER", 5)
LOGIN_MAX_FAILURES_PER_ADDRESS = envint("LEITSTELLE_LOGIN_MAX_FAILURES_PER_ADDRESS", 20)
LOGIN_LOCKOUT_MINUTES = envint("LEITSTELLE_LOGIN_LOCKOUT_MINUTES", 15)

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LANGUAGE_COOKIE_NAME = "leitstelle_language"
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
WHITENOISE_USE_FINDERS = TESTING or DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

REDIS_URL = envstr("REDIS_URL")
HUEY_IMMEDIATE = envbool("LEITSTELLE_HUEY_IMMEDIATE")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": envstr("LEITSTELLE_HUEY_NAME", "leitstelle"),
        "url": parse_redis_url(REDIS_URL),
        "immediate": HUEY_IMMEDIATE,
        "utc": True,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "leitstelle",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "utc": True,
    }
WORKER_HEARTBEAT_STALE_SECONDS = envint("LEITSTELLE_WORKER_STALE_SECONDS", 180)

# Bluesky: the PLC directory (did:plc documents) and a service that resolves
# handles DNS and HTTPS do not resolve; the tests point both at a local network.
BLUESKY_PLC_URL = envstr("LEITSTELLE_BLUESKY_PLC_URL", "https://plc.directory")
BLUESKY_RESOLVER_URL = envstr(
    "LEITSTELLE_BLUESKY_RESOLVER_URL", "https://public.api.bsky.app"
)

# Triage: the languages the organisation's items come in (ISO 639-1 codes;
# others are "unknown"), and a model folder instead of the shipped model.
TRIAGE_LANGUAGES = envstr("LEITSTELLE_TRIAGE_LANGUAGES", "de,en,tr,ar,ru,uk,pl,fr")
TRIAGE_MODEL_DIR = envstr("LEITSTELLE_TRIAGE_MODEL_DIR")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LEITSTELLE_LOG_LEVEL", "INFO")},
    "loggers": {
        "huey": {"level": "WARNING" if TESTING else "INFO"},
        # httpx logs every request URL at INFO; Telegram's carry the bot token.
        "httpx": {"level": "WARNING"},
    },
}
