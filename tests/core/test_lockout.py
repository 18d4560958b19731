"""Repeated failed logins lock out per username and per client address."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leitstelle.core.models import AuditEvent, LoginAttempt, User
from tests.core.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings) -> None:
    """Assert the English source texts, whatever the catalog says."""
    settings.LANGUAGE_CODE = "en"


LOGIN_URL = reverse("core:login")
LOCKED = "Too many failed login attempts. For your protection, login is locked"


@pytest.fixture(autouse=True)
def limits(settings) -> None:
    settings.LOGIN_MAX_FAILURES_PER_USER = 3
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 5
    settings.LOGIN_LOCKOUT_MINUTES = 15


def attempt(
    client: Client, username: str, password: str, address: str = "10.0.0.1"
) -> str:
    data = {"username": username, "password": password}
    return client.post(LOGIN_URL, data, REMOTE_ADDR=address).content.decode()


def fail(client: Client, username: str, times: int, address: str = "10.0.0.1") -> str:
    content = ""
    for _number in range(times):
        content = attempt(client, username, "wrong", address)
    return content


def test_it_locks_a_username_after_too_many_failures(
    client: Client, editor: User
) -> None:
    """The failure that reaches the limit already says so."""
    content = fail(client, "editor", 3)
    assert LOCKED in content
    assert "for 15 minutes. Try again later or ask an administrator." in content


def test_it_refuses_the_right_password_while_locked(
    client: Client, editor: User
) -> None:
    """Even the correct password does not get through a lockout."""
    fail(client, "editor", 3)
    content = attempt(client, "editor", PASSWORD)
    assert LOCKED in content
    assert SESSION_KEY not in client.session


def test_it_locks_a_username_across_addresses(client: Client, editor: User) -> None:
    """Spreading guesses over many addresses does not help."""
    for number in range(3):
        attempt(client, "editor", "wrong", address=f"10.0.1.{number}")
    content = attempt(client, "editor", PASSWORD, address="10.0.2.1")
    assert LOCKED in content


def test_it_locks_usernames_regardless_of_case(client: Client, editor: User) -> None:
    """ "EDITOR" and "editor" share one counter."""
    fail(client, "EDITOR", 3)
    assert LOCKED in attempt(client, "editor", PASSWORD)


def test_it_locks_unknown_usernames_with_the_same_message(client: Client, db) -> None:
    """The lockout does not reveal whether an account exists."""
    assert LOCKED in fail(client, "nobody", 3)


def test_it_locks_an_address_after_too_many_failures(
    client: Client, editor: User
) -> None:
    """Guessing many usernames from one address locks that address."""
    for number in range(5):
        attempt(client, f"guess{number}", "wrong")
    content = attempt(client, "editor", PASSWORD)
    assert LOCKED in content
    assert SESSION_KEY not in client.session


def test_it_lets_other_addresses_in_during_an_address_lockout(
    client: Client, editor: User
) -> None:
    """An address lockout does not hit colleagues elsewhere."""
    for number in range(5):
        attempt(client, f"guess{number}", "wrong")
    attempt(client, "editor", PASSWORD, address="10.9.9.9")
    assert SESSION_KEY in client.session


def test_it_audits_the_lockout_once(client: Client, editor: User) -> None:
    """Attempts during the lockout do not add further lockout entries."""
    fail(client, "editor", 5)
    events = AuditEvent.objects.filter(action="user.locked_out")
    assert events.count() == 1
    assert events.get().actor_label == "editor"
    assert events.get().details == {"scopes": ["user"], "minutes": 15}


def test_it_audits_attempts_during_the_lockout(client: Client, editor: User) -> None:
    """A refused attempt while locked is audited with reason "locked"."""
    fail(client, "editor", 3)
    attempt(client, "editor", PASSWORD)
    event = AuditEvent.objects.filter(action="user.login_failed").first()
    assert event.details == {"reason": "locked"}


def test_it_audits_an_address_lockout(client: Client, editor: User) -> None:
    """The address lockout names its scope."""
    for number in range(5):
        attempt(client, f"guess{number}", "wrong")
    event = AuditEvent.objects.get(action="user.locked_out")
    assert event.details["scopes"] == ["address"]
    assert event.address == "10.0.0.1"


def test_it_unlocks_after_the_lockout_window(client: Client, editor: User) -> None:
    """Once the failures are older than the window, login works again."""
    fail(client, "editor", 3)
    LoginAttempt.objects.update(created_at=timezone.now() - timedelta(minutes=16))
    attempt(client, "editor", PASSWORD)
    assert SESSION_KEY in client.session


def test_it_forgives_failures_before_a_successful_login(
    client: Client, editor: User
) -> None:
    """Typos followed by a successful login do not count towards a lockout."""
    fail(client, "editor", 2)
    attempt(client, "editor", PASSWORD)
    client.post(reverse("core:logout"))
    fail(client, "editor", 2)
    attempt(client, "editor", PASSWORD)
    assert SESSION_KEY in client.session


def test_it_counts_wrong_codes_towards_the_lockout(
    client: Client, admin_user: User
) -> None:
    """Guessing the second factor locks out like guessing the password."""
    attempt(client, "admin", PASSWORD)
    totp = pyotp.TOTP(admin_user.totp_secret)
    valid = {totp.now(), totp.at(timezone.now() - timedelta(seconds=30))}
    valid.add(totp.at(timezone.now() + timedelta(seconds=30)))
    wrong = next(code for code in ("000000", "111111", "222222") if code not in valid)
    for _number in range(3):
        response = client.post(reverse("core:login_code"), {"code": wrong})
    assert LOCKED in response.content.decode()
    response = client.post(reverse("core:login_code"), {"code": totp.now()})
    assert LOCKED in response.content.decode()
    assert SESSION_KEY not in client.session
