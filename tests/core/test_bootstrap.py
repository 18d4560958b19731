"""First start: the first administrator, and plain database errors."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError

from leitstelle.core.bootstrap import (
    PASSWORD_ALPHABET,
    create_admin,
    create_first_admin,
    database_location,
    generate_password,
    short_reason,
    unreachable_message,
)
from leitstelle.core.models import AuditEvent, Role, User
from tests.core.factories import UserFactory

POSTGRES = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": "leitstelle",
    "USER": "leitstelle",
    "PASSWORD": "geheim-123",
    "HOST": "db.polizei.example",
    "PORT": 5433,
}
SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/var/x.sqlite3"}
REFUSED = (
    'connection failed: connection to server at "127.0.0.1", port 1 failed: '
    "Connection refused\n\tIs the server running on that host and accepting "
    "TCP/IP connections?"
)


@pytest.mark.django_db
def test_it_creates_the_first_admin_with_a_working_password():
    new = create_first_admin()
    user = User.objects.get()
    assert new is not None
    assert (user.username, user.role) == ("admin", Role.ADMIN)
    assert user.check_password(new.password)


@pytest.mark.django_db
def test_it_audits_the_first_admin_as_created_by_the_system():
    new = create_first_admin()
    event = AuditEvent.objects.get()
    assert event.action == "user.created"
    assert event.actor_label == "system"
    assert event.object_id == str(new.user.pk)
    assert event.details == {
        "username": "admin",
        "role": "admin",
        "reason": "first start",
    }


@pytest.mark.django_db
def test_it_creates_no_first_admin_when_any_user_exists():
    UserFactory(username="kim", role=Role.ANALYST)
    assert create_first_admin() is None
    assert list(User.objects.values_list("username", flat=True)) == ["kim"]
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_second_admin_with_the_same_name():
    create_admin(username="chefin", reason="createadmin")
    with pytest.raises(ValidationError) as error:
        create_admin(username="chefin", reason="createadmin")
    assert list(error.value.message_dict) == ["username"]
    assert User.objects.count() == 1


def test_it_generates_long_unambiguous_passwords():
    passwords = {generate_password() for _ in range(20)}
    assert len(passwords) == 20
    for password in passwords:
        groups = password.split("-")
        assert [len(group) for group in groups] == [5, 5, 5, 5]
        assert set("".join(groups)) <= set(PASSWORD_ALPHABET)


def test_it_names_host_and_port_but_never_the_password():
    assert database_location(POSTGRES) == "db.polizei.example:5433"


def test_it_names_the_sqlite_file():
    assert database_location(SQLITE) == "/srv/var/x.sqlite3"


def test_it_shortens_a_driver_error_to_its_reason():
    assert short_reason(OperationalError(REFUSED)) == "Connection refused"


def test_it_explains_an_unreachable_database_in_one_sentence():
    message = unreachable_message(OperationalError(REFUSED), POSTGRES)
    assert message == (
        "Cannot reach the database at db.polizei.example:5433: Connection "
        "refused. Check DATABASE_URL."
    )
    assert "geheim" not in message


def test_it_explains_an_unopenable_sqlite_file():
    error = OperationalError("unable to open database file")
    assert unreachable_message(error, SQLITE) == (
        "Cannot open the SQLite database at /srv/var/x.sqlite3: unable to open "
        "database file. Check LEITSTELLE_DATA_DIR and DATABASE_URL."
    )
