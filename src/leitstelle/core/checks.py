"""Leitstelle's system checks, and one-line explanations of Django's."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError
from django.utils import timezone

LEVELS = {10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL"}

# Django's deployment findings, each as "what is wrong — what to do".
EXPLANATIONS = {
    "async.E001": "DJANGO_ALLOW_ASYNC_UNSAFE is set — unset it; it is meant "
    "for browser tests only",
    "security.W001": "The security middleware is missing — keep "
    "django.middleware.security.SecurityMiddleware in MIDDLEWARE",
    "security.W002": "Clickjacking protection is missing — keep "
    "XFrameOptionsMiddleware in MIDDLEWARE",
    "security.W003": "CSRF protection is missing — keep CsrfViewMiddleware "
    "in MIDDLEWARE",
    "security.W004": "HSTS is off: browsers are not told to insist on HTTPS — "
    "send a Strict-Transport-Security header from your reverse proxy (or "
    "ignore if it already does)",
    "security.W005": "HSTS does not cover subdomains — add includeSubDomains "
    "to the proxy's Strict-Transport-Security header if all subdomains use "
    "HTTPS (or ignore)",
    "security.W006": "Browsers may guess content types — keep "
    "SECURE_CONTENT_TYPE_NOSNIFF on",
    "security.W008": "HTTPS redirect is off — let your reverse proxy redirect "
    "HTTP to HTTPS (or ignore if it already does)",
    "security.W009": "The secret key is short or guessable — unset "
    "LEITSTELLE_SECRET_KEY to use the generated one, or set 50+ random "
    "characters",
    "security.W012": "Session cookies may travel over plain HTTP — set "
    "LEITSTELLE_BASE_URL to your https:// address",
    "security.W016": "CSRF cookies may travel over plain HTTP — set "
    "LEITSTELLE_BASE_URL to your https:// address",
    "security.W018": "Debug mode is on — unset LEITSTELLE_DEBUG",
    "security.W019": "Pages may be framed by other sites — keep "
    "X_FRAME_OPTIONS = 'DENY'",
    "security.W020": "No host name is allowed — set LEITSTELLE_ALLOWED_HOSTS "
    "or LEITSTELLE_BASE_URL",
    "security.W021": "The site is not on the HSTS preload list — optional: add "
    "preload to the proxy's HSTS header once HTTPS is there to stay",
    "security.W022": "No referrer policy is sent — keep SECURE_REFERRER_POLICY set",
    "security.W025": "An old secret key is weak — remove it from SECRET_KEY_FALLBACKS",
}

# Findings that say the same as one of ours; `leitstelle check` shows ours.
DUPLICATES = {"security.W018"}


def explain(message: CheckMessage) -> str:
    """Return one line: "LEVEL id: what is wrong — what to do"."""
    level = LEVELS.get(message.level, str(message.level))
    text = EXPLANATIONS.get(message.id or "")
    if text is None:
        text = " ".join(str(message.msg).split())
        if message.hint:
            text += " — " + " ".join(str(message.hint).split())
    return f"{level} {message.id}: {text}"


@register(deploy=True)
def check_database_engine(app_configs: Any = None, **kwargs: Any) -> list:
    if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return []
    return [
        Warning(
            "The database is SQLite",
            hint="fine on one machine; with several web or worker processes "
            "set DATABASE_URL=postgresql://… (and REDIS_URL)",
            id="leitstelle.W001",
        )
    ]


@register(deploy=True)
def check_base_url(app_configs: Any = None, **kwargs: Any) -> list:
    if settings.BASE_URL.startswith("https://"):
        return []
    return [
        Warning(
            f"LEITSTELLE_BASE_URL is {settings.BASE_URL}, not https",
            hint="serve Leitstelle over HTTPS behind a reverse proxy and set "
            "LEITSTELLE_BASE_URL=https://…",
            id="leitstelle.W002",
        )
    ]


@register(deploy=True)
def check_debug(app_configs: Any = None, **kwargs: Any) -> list:
    if not settings.DEBUG:
        return []
    return [
        Warning(
            "Debug mode is on: error pages show internals to anyone",
            hint="unset LEITSTELLE_DEBUG",
            id="leitstelle.W003",
        )
    ]


@register(Tags.database, deploy=True)
def check_worker_heartbeat(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list:
    if not databases:
        return []
    from leitstelle.core.models import WorkerHeartbeat

    stale = settings.WORKER_HEARTBEAT_STALE_SECONDS
    try:
        latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    except DatabaseError:
        return [not_migrated()]
    if latest and latest.seen_at >= timezone.now() - timedelta(seconds=stale):
        return []
    return [
        Warning(
            f"No background worker has reported in the last {stale} seconds",
            hint="start one with `leitstelle worker` (or `leitstelle up`)",
            id="leitstelle.W004",
        )
    ]


@register(Tags.database, deploy=True)
def check_audit_chain(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list:
    if not databases:
        return []
    from leitstelle.core.audit import verify_chain

    try:
        report = verify_chain()
    except DatabaseError:
        return [not_migrated()]
    if report.ok:
        return []
    return [
        Error(
            f"The audit log is broken at entry {report.broken_sequence}: "
            f"{report.reason}",
            hint="keep a copy of the database for investigation and report it "
            "to your security officer; `leitstelle audit verify` shows details",
            id="leitstelle.E001",
        )
    ]


def not_migrated() -> Warning:
    return Warning(
        "The database has no Leitstelle tables yet",
        hint="run `leitstelle migrate` (`leitstelle up` does it too)",
        id="leitstelle.W007",
    )


def secret_files() -> list[Path]:
    """Return the files secrets come from: secret key, encryption keys."""
    files = [settings.DATA_DIR / "encryption_keys"]
    if not os.environ.get("LEITSTELLE_SECRET_KEY", "").strip():
        named = os.environ.get("LEITSTELLE_SECRET_KEY_FILE", "").strip()
        files.insert(0, Path(named) if named else settings.DATA_DIR / "secret_key")
    return files


@register()
def check_secret_files(app_configs: Any = None, **kwargs: Any) -> list:
    findings = []
    for path in secret_files():
        try:
            mode = path.stat().st_mode
        except OSError:
            continue
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            findings.append(
                Warning(
                    f"The secret file {path} can be read by other users "
                    f"(mode {stat.S_IMODE(mode):o})",
                    hint=f"run `chmod 600 {path}`",
                    id="leitstelle.W005",
                )
            )
    return findings


@register()
def check_huey_immediate(app_configs: Any = None, **kwargs: Any) -> list:
    if settings.TESTING or not settings.HUEY.get("immediate"):
        return []
    return [
        Warning(
            "Background tasks run inside web requests (immediate mode)",
            hint="unset LEITSTELLE_HUEY_IMMEDIATE; it is meant for tests only",
            id="leitstelle.W006",
        )
    ]
