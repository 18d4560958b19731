"""The `leitstelle` console script fronts the management commands."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import django
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection

from leitstelle import cli
from leitstelle.core import bootstrap
from leitstelle.core.audit import record_event
from leitstelle.core.models import AuditEvent, Role, User

# Management commands close the database connections when they finish,
# which only a test outside a transaction survives.
db_committed = pytest.mark.django_db(transaction=True)


def tamper_with_entry(sequence: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET action = 'x' WHERE sequence = %s", [sequence]
        )


def test_it_prints_usage_without_a_command(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: leitstelle <command>")
    assert "audit verify" in out


def test_it_prints_usage_for_help(capsys):
    assert cli.main(["--help"]) == 0
    assert "createadmin" in capsys.readouterr().out


def test_it_passes_other_commands_through_to_django(capsys):
    assert cli.main(["version"]) == 0
    assert capsys.readouterr().out.strip() == django.get_version()


def test_it_rejects_an_unknown_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["fly"])
    assert exit_.value.code == 1
    assert "Unknown command: 'fly'" in capsys.readouterr().err


@db_committed
def test_it_confirms_an_intact_audit_log(capsys):
    record_event(action="unit.created")
    record_event(action="unit.renamed")
    assert cli.main(["audit", "verify"]) == 0
    assert capsys.readouterr().out == "Audit log intact: 2 entries checked.\n"


@db_committed
def test_it_names_the_first_broken_audit_entry(capsys):
    for step in range(3):
        record_event(action="unit.renamed", details={"step": step})
    tamper_with_entry(2)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["audit", "verify"])
    assert exit_.value.code == 1
    assert capsys.readouterr().err == (
        "Audit log broken at entry 2: content does not match its hash.\n"
    )


@db_committed
def test_it_creates_an_admin_and_prints_the_password_once(capsys):
    assert (
        cli.main(["createadmin", "--username", "chefin", "--email", "c@p.example"]) == 0
    )
    out = capsys.readouterr().out
    password = re.search(r"Password \(shown only now\): (\S+)", out).group(1)
    user = User.objects.get(username="chefin")
    assert user.role == Role.ADMIN
    assert user.email == "c@p.example"
    assert user.check_password(password)
    assert out.count(password) == 1


@db_committed
def test_it_audits_the_created_admin(capsys):
    cli.main(["createadmin", "--username", "chefin"])
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_label) == ("user.created", "system")
    assert event.details["reason"] == "createadmin"


@db_committed
def test_it_refuses_an_admin_name_that_is_taken(capsys):
    cli.main(["createadmin", "--username", "chefin"])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        cli.main(["createadmin", "--username", "chefin"])
    assert exit_.value.code == 1
    assert "No administrator created (username:" in capsys.readouterr().err
    assert User.objects.count() == 1


@db_committed
def test_check_runs_leitstelles_deployment_checks(capsys, settings, monkeypatch):
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    settings.BASE_URL = "http://leitstelle.polizei.example"
    # Browser tests leave Playwright's event loop in this thread; without the
    # "async unsafe" escape hatch the ORM must run in a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(cli.main, ["check"]).result() == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("WARNING leitstelle.W002: ") for line in lines), lines


def test_the_worker_refuses_immediate_mode(capsys, settings):
    settings.HUEY = {**settings.HUEY, "immediate": True}
    with pytest.raises(SystemExit) as exit_:
        cli.main(["worker"])
    assert exit_.value.code == 1
    assert "LEITSTELLE_HUEY_IMMEDIATE is on" in capsys.readouterr().err


def test_it_shows_a_configuration_error_as_one_sentence(capsys, monkeypatch):
    def misconfigured(args: list[str]) -> int:
        raise ImproperlyConfigured("REDIS_URL must look like redis://…, not 'x'.")

    monkeypatch.setattr(cli, "run", misconfigured)
    assert cli.main(["migrate"]) == 2
    assert capsys.readouterr().err == "REDIS_URL must look like redis://…, not 'x'.\n"


def test_it_explains_an_unreachable_database(capsys, monkeypatch):
    def unreachable(args: list[str]) -> int:
        raise OperationalError("connection failed: Connection refused")

    monkeypatch.setattr(cli, "run", unreachable)
    monkeypatch.setattr(bootstrap, "database_is_reachable", lambda: False)
    assert cli.main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert "Connection refused." in err
    assert err.startswith(("Cannot reach the database at ", "Cannot open the SQLite"))


def test_it_lets_other_database_errors_through(monkeypatch):
    def broken_query(args: list[str]) -> int:
        raise OperationalError("no such table: core_widget")

    monkeypatch.setattr(cli, "run", broken_query)
    monkeypatch.setattr(bootstrap, "database_is_reachable", lambda: True)
    with pytest.raises(OperationalError, match="no such table"):
        cli.main(["migrate"])
