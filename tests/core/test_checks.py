"""Leitstelle's system checks, and `leitstelle check`'s one-line findings."""

from __future__ import annotations

import io
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.checks import Error, Warning
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from leitstelle.core import checks
from leitstelle.core.audit import record_event
from leitstelle.core.models import WorkerHeartbeat

DB = {"databases": ["default"]}


def ids(messages: list) -> list[str]:
    return [message.id for message in messages]


def run_check_command() -> tuple[int, list[str]]:
    out = io.StringIO()
    try:
        call_command("check_setup", stdout=out)
        status = 0
    except SystemExit as exc:
        status = exc.code
    return status, out.getvalue().splitlines()


def break_the_chain() -> None:
    record_event(action="unit.created")
    record_event(action="unit.renamed")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET action = 'x' WHERE sequence = 2")


def test_it_warns_about_sqlite():
    with mock.patch.dict(
        django_settings.DATABASES["default"], ENGINE="django.db.backends.sqlite3"
    ):
        messages = checks.check_database_engine()
    assert ids(messages) == ["leitstelle.W001"]
    assert "DATABASE_URL=postgresql://" in messages[0].hint


def test_it_accepts_postgresql():
    with mock.patch.dict(
        django_settings.DATABASES["default"], ENGINE="django.db.backends.postgresql"
    ):
        assert checks.check_database_engine() == []


def test_it_warns_about_a_plain_http_base_url(settings):
    settings.BASE_URL = "http://leitstelle.polizei.example"
    assert ids(checks.check_base_url()) == ["leitstelle.W002"]


def test_it_accepts_an_https_base_url(settings):
    settings.BASE_URL = "https://leitstelle.polizei.example"
    assert checks.check_base_url() == []


def test_it_warns_about_debug_mode(settings):
    settings.DEBUG = True
    assert ids(checks.check_debug()) == ["leitstelle.W003"]


def test_it_accepts_debug_mode_off(settings):
    settings.DEBUG = False
    assert checks.check_debug() == []


@pytest.mark.django_db
def test_it_warns_when_no_worker_reported_recently(settings):
    settings.WORKER_HEARTBEAT_STALE_SECONDS = 60
    WorkerHeartbeat.objects.create(
        worker="host:1", seen_at=timezone.now() - timedelta(seconds=90)
    )
    messages = checks.check_worker_heartbeat(**DB)
    assert ids(messages) == ["leitstelle.W004"]
    assert messages[0].msg == "No background worker has reported in the last 60 seconds"


@pytest.mark.django_db
def test_it_warns_when_no_worker_ever_reported():
    assert ids(checks.check_worker_heartbeat(**DB)) == ["leitstelle.W004"]


@pytest.mark.django_db
def test_it_accepts_a_fresh_heartbeat():
    WorkerHeartbeat.objects.create(worker="host:1", seen_at=timezone.now())
    assert checks.check_worker_heartbeat(**DB) == []


def test_it_skips_database_checks_without_databases():
    assert checks.check_worker_heartbeat() == []
    assert checks.check_audit_chain() == []


@pytest.mark.django_db
def test_it_reports_a_broken_audit_chain_as_an_error():
    break_the_chain()
    (message,) = checks.check_audit_chain(**DB)
    assert isinstance(message, Error)
    assert message.id == "leitstelle.E001"
    assert message.msg == (
        "The audit log is broken at entry 2: content does not match its hash"
    )


@pytest.mark.django_db
def test_it_accepts_an_intact_audit_chain():
    record_event(action="unit.created")
    assert checks.check_audit_chain(**DB) == []


def test_it_warns_about_a_secret_key_file_others_can_read(
    settings, tmp_path, monkeypatch
):
    settings.DATA_DIR = tmp_path
    key = tmp_path / "secret"
    key.write_text("x" * 50)
    key.chmod(0o644)
    monkeypatch.delenv("LEITSTELLE_SECRET_KEY", raising=False)
    monkeypatch.setenv("LEITSTELLE_SECRET_KEY_FILE", str(key))
    (message,) = checks.check_secret_files()
    assert message.id == "leitstelle.W005"
    assert message.hint == f"run `chmod 600 {key}`"


def test_it_accepts_a_private_secret_key_file(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    key = tmp_path / "secret"
    key.write_text("x" * 50)
    key.chmod(0o600)
    monkeypatch.delenv("LEITSTELLE_SECRET_KEY", raising=False)
    monkeypatch.setenv("LEITSTELLE_SECRET_KEY_FILE", str(key))
    assert checks.check_secret_files() == []


def test_it_checks_the_generated_secret_key_file(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    (tmp_path / "secret_key").write_text("x" * 50)
    (tmp_path / "secret_key").chmod(0o640)
    monkeypatch.delenv("LEITSTELLE_SECRET_KEY", raising=False)
    monkeypatch.delenv("LEITSTELLE_SECRET_KEY_FILE", raising=False)
    assert ids(checks.check_secret_files()) == ["leitstelle.W005"]


def test_it_warns_about_an_encryption_key_file_others_can_read(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    (tmp_path / "encryption_keys").write_text("k")
    (tmp_path / "encryption_keys").chmod(0o604)
    (message,) = checks.check_secret_files()
    assert message.msg == (
        f"The secret file {tmp_path / 'encryption_keys'} can be read by other users "
        "(mode 604)"
    )


def test_it_ignores_key_files_when_the_key_is_given_directly(
    settings, tmp_path, monkeypatch
):
    settings.DATA_DIR = tmp_path
    key = tmp_path / "secret"
    key.write_text("x" * 50)
    key.chmod(0o644)
    monkeypatch.setenv("LEITSTELLE_SECRET_KEY", "y" * 50)
    monkeypatch.setenv("LEITSTELLE_SECRET_KEY_FILE", str(key))
    assert checks.check_secret_files() == []


def test_it_warns_about_immediate_tasks_outside_tests(settings):
    settings.TESTING = False
    settings.HUEY = {**settings.HUEY, "immediate": True}
    assert ids(checks.check_huey_immediate()) == ["leitstelle.W006"]


def test_it_allows_immediate_tasks_in_tests(settings):
    settings.TESTING = True
    settings.HUEY = {**settings.HUEY, "immediate": True}
    assert checks.check_huey_immediate() == []


def test_it_explains_djangos_findings_in_plain_words():
    message = Warning("You have not set SECURE_SSL_REDIRECT …", id="security.W008")
    assert checks.explain(message) == (
        "WARNING security.W008: HTTPS redirect is off — let your reverse proxy "
        "redirect HTTP to HTTPS (or ignore if it already does)"
    )


def test_it_puts_unknown_findings_on_one_line():
    message = Error("Something\n   is off.", hint="Fix\nit.", id="other.E001")
    assert checks.explain(message) == "ERROR other.E001: Something is off. — Fix it."


@pytest.fixture
def deployed(monkeypatch):
    """Drop what only the browser tests need, as on a real server."""
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)


@pytest.mark.django_db
@pytest.mark.usefixtures("deployed")
def test_the_command_prints_one_line_per_finding(settings):
    settings.BASE_URL = "http://leitstelle.polizei.example"
    status, lines = run_check_command()
    assert status == 0
    assert lines
    assert all(" — " in line for line in lines), lines
    assert (
        "WARNING leitstelle.W002: LEITSTELLE_BASE_URL is "
        "http://leitstelle.polizei.example, not https — serve Leitstelle over "
        "HTTPS behind a reverse proxy and set LEITSTELLE_BASE_URL=https://…"
    ) in lines


@pytest.mark.django_db
@pytest.mark.usefixtures("deployed")
def test_the_command_fails_on_errors_and_lists_them_first():
    break_the_chain()
    status, lines = run_check_command()
    assert status == 1
    assert lines[0].startswith("ERROR leitstelle.E001: The audit log is broken")


@pytest.mark.django_db
@pytest.mark.usefixtures("deployed")
def test_the_command_shows_debug_mode_once(settings):
    settings.DEBUG = True
    _status, lines = run_check_command()
    assert [line for line in lines if "ebug" in line] == [
        "WARNING leitstelle.W003: Debug mode is on: error pages show internals "
        "to anyone — unset LEITSTELLE_DEBUG"
    ]


@pytest.mark.django_db
def test_the_command_explains_djangos_async_safety_error(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    status, lines = run_check_command()
    assert status == 1
    assert lines[0] == (
        "ERROR async.E001: DJANGO_ALLOW_ASYNC_UNSAFE is set — unset it; it is "
        "meant for browser tests only"
    )
