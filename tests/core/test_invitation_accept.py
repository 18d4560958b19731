"""A new member accepts an invitation link and chooses a login."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leitstelle.core.models import AuditEvent, Invitation, Role, User
from tests.core.factories import UnitFactory

pytestmark = pytest.mark.django_db

TOKEN = "einladung-abc-123"
URL = reverse("core:accept_invitation", args=[TOKEN])
NEW_PASSWORD = "Leuchtturm-Wellen-2024"


@pytest.fixture(autouse=True)
def english(settings) -> None:
    """Assert the English source texts, whatever the catalog says."""
    settings.LANGUAGE_CODE = "en"


def make_invitation(admin: User, **fields: object) -> Invitation:
    defaults = {
        "token_hash": Invitation.hash_token(TOKEN),
        "email": "neu@polizei.example",
        "first_name": "Alex",
        "last_name": "Neumann",
        "role": Role.EDITOR,
        "created_by": admin,
        "expires_at": timezone.now() + timedelta(days=7),
    }
    return Invitation.objects.create(**{**defaults, **fields})


@pytest.fixture
def invitation(admin_user: User) -> Invitation:
    invitation = make_invitation(admin_user)
    invitation.units.add(UnitFactory(name="Dresden"))
    return invitation


def accept(client: Client, **fields: str):
    data = {
        "username": "aneumann",
        "first_name": "Alex",
        "last_name": "Neumann",
        "password": NEW_PASSWORD,
        "password_repeat": NEW_PASSWORD,
        **fields,
    }
    return client.post(URL, data)


def test_it_shows_the_form_with_names_prefilled(
    client: Client, invitation: Invitation
) -> None:
    """The names the admin entered are already filled in."""
    content = client.get(URL).content.decode()
    assert 'value="Alex"' in content
    assert 'value="Neumann"' in content
    assert 'autocomplete="new-password"' in content


def test_it_names_role_and_units(client: Client, invitation: Invitation) -> None:
    """The invitee sees what they are invited as."""
    content = client.get(URL).content.decode()
    assert "as Editor." in content
    assert "Dresden" in content


def test_it_creates_the_account(client: Client, invitation: Invitation) -> None:
    """The new user gets the invitation's role, units and e-mail."""
    accept(client)
    user = User.objects.get(username="aneumann")
    assert user.role == Role.EDITOR
    assert [unit.name for unit in user.units.all()] == ["Dresden"]
    assert user.email == "neu@polizei.example"
    assert user.check_password(NEW_PASSWORD)


def test_it_marks_the_invitation_used(client: Client, invitation: Invitation) -> None:
    """The invitation remembers who accepted it."""
    accept(client)
    invitation.refresh_from_db()
    assert invitation.accepted_by == User.objects.get(username="aneumann")


def test_it_logs_an_editor_in_right_away(
    client: Client, invitation: Invitation
) -> None:
    """Without a required second factor the member is logged in."""
    response = accept(client)
    assert response.url == reverse("core:dashboard")
    assert client.get(reverse("core:dashboard")).status_code == 200


def test_it_audits_the_acceptance(client: Client, invitation: Invitation) -> None:
    """The audit log records the new member, role and units."""
    accept(client)
    user = User.objects.get(username="aneumann")
    event = AuditEvent.objects.get(action="user.invitation_accepted")
    assert (event.actor, event.object_id) == (user, str(user.pk))
    assert event.details == {
        "invitation": invitation.pk,
        "role": "editor",
        "units": ["Dresden"],
    }


def test_it_sends_an_invited_admin_to_the_setup(
    client: Client, admin_user: User
) -> None:
    """A role that needs a second factor continues with the QR code."""
    make_invitation(admin_user, role=Role.APPROVER)
    response = accept(client)
    assert response.url == reverse("core:two_factor_setup")
    assert SESSION_KEY not in client.session
    assert "<svg" in client.get(response.url).content.decode()


def test_it_refuses_an_expired_invitation(client: Client, admin_user: User) -> None:
    """An expired link says so, with status 410."""
    make_invitation(admin_user, expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(URL)
    assert response.status_code == 410
    assert "This invitation has expired" in response.content.decode()


def test_it_refuses_a_used_invitation(client: Client, invitation: Invitation) -> None:
    """A link works once; the second visitor is told so."""
    accept(client)
    response = Client().get(URL)
    assert response.status_code == 410
    assert "This invitation has already been used" in response.content.decode()


def test_it_refuses_to_accept_a_used_invitation_twice(
    client: Client, invitation: Invitation
) -> None:
    """A second submission of the form creates no second account."""
    accept(client)
    response = accept(Client(), username="zweiter")
    assert response.status_code == 410
    assert not User.objects.filter(username="zweiter").exists()


def test_it_refuses_a_revoked_invitation(client: Client, admin_user: User) -> None:
    """A withdrawn link says so."""
    make_invitation(admin_user, revoked_at=timezone.now())
    response = client.get(URL)
    assert response.status_code == 410
    assert "This invitation was withdrawn" in response.content.decode()


def test_it_refuses_an_unknown_token(client: Client, db) -> None:
    """A mistyped link is not found."""
    response = client.get(reverse("core:accept_invitation", args=["unbekannt"]))
    assert response.status_code == 404
    assert "This invitation link is not valid" in response.content.decode()


def test_it_refuses_a_weak_password(client: Client, invitation: Invitation) -> None:
    """Django's password rules apply; the form keeps what was typed."""
    response = accept(client, password="kurz", password_repeat="kurz")
    content = response.content.decode()
    assert "This password is too short." in content
    assert 'value="aneumann"' in content
    assert not User.objects.filter(username="aneumann").exists()


def test_it_refuses_a_password_like_the_username(
    client: Client, invitation: Invitation
) -> None:
    """The password must not resemble the chosen username."""
    response = accept(
        client,
        username="leuchtturmwellen",
        password="leuchtturmwellen1",
        password_repeat="leuchtturmwellen1",
    )
    assert "The password is too similar to the username." in response.content.decode()


def test_it_refuses_differing_passwords(client: Client, invitation: Invitation) -> None:
    """Both password fields must match."""
    response = accept(client, password_repeat="Leuchtturm-Wellen-2025")
    assert "The two passwords differ." in response.content.decode()
    assert not User.objects.filter(username="aneumann").exists()


def test_it_refuses_a_taken_username(
    client: Client, invitation: Invitation, editor: User
) -> None:
    """Usernames are unique, whatever their case."""
    response = accept(client, username="EDITOR")
    assert "This username is taken." in response.content.decode()


def test_it_refuses_an_invalid_username(client: Client, invitation: Invitation) -> None:
    """Spaces and such are not allowed in usernames."""
    response = accept(client, username="a neumann")
    assert "Enter a valid username." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.accepted_by is None


def test_it_asks_a_logged_in_user_to_log_out_first(
    editor_client: Client, invitation: Invitation
) -> None:
    """An invitation is for a new member, not for the one logged in."""
    content = editor_client.get(URL).content.decode()
    assert "You are already logged in" in content
    invitation.refresh_from_db()
    assert invitation.accepted_by is None
