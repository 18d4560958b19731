"""Inviting by link: the link is shown once, only its hash is stored."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from leitstelle.core.models import AuditEvent, Invitation, Role
from tests.core.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

INVITE = reverse("core:invite")
USERS = reverse("core:users")
LINK = re.compile(r'<code id="invitation-link" class="secret">([^<]+)</code>')


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def invite(client, **data):
    return client.post(INVITE, {"role": "editor", **data})


def shown_link(response) -> str:
    return LINK.search(response.text).group(1)


def revoke_url(invitation: Invitation) -> str:
    return reverse("core:revoke_invitation", args=[invitation.pk])


def test_it_sends_anonymous_visitors_to_the_login(client):
    response = client.get(INVITE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("core:login"))


@pytest.mark.parametrize("role_client", ["analyst_client", "editor_client"])
def test_it_refuses_other_roles(request, role_client):
    client = request.getfixturevalue(role_client)
    assert client.get(INVITE).status_code == 403
    assert invite(client).status_code == 403
    assert not Invitation.objects.exists()


@pytest.fixture
def invitation(admin_user) -> Invitation:
    return Invitation.objects.create(
        token_hash="x" * 64,
        role=Role.EDITOR,
        created_by=admin_user,
        expires_at=timezone.now() + timedelta(days=1),
    )


def test_it_sends_anonymous_revokers_to_the_login(client, invitation):
    response = client.post(revoke_url(invitation))
    assert response.url.startswith(reverse("core:login"))
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_it_refuses_revoking_to_an_analyst(analyst_client, invitation):
    assert analyst_client.post(revoke_url(invitation)).status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_it_shows_the_invitation_form(admin_client):
    UnitFactory(name="Dresden")
    response = admin_client.get(INVITE)
    assert response.status_code == 200
    assert 'name="email"' in response.text
    assert "Dresden" in response.text


def test_it_shows_the_link_once_with_a_copy_button(admin_client, settings):
    settings.BASE_URL = "https://leitstelle.polizei.example"
    response = invite(admin_client, email="neu@polizei.example", first_name="Alex")
    link = shown_link(response)
    assert link.startswith("https://leitstelle.polizei.example/einladung/")
    assert 'data-copy="invitation-link"' in response.text
    assert "no-store" in response["Cache-Control"]
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert Invitation.objects.get().token_hash == Invitation.hash_token(token)
    assert token not in admin_client.get(USERS).text


def test_it_shows_when_the_link_expires(admin_client):
    response = invite(admin_client)
    invitation = Invitation.objects.get()
    expires = timezone.localtime(invitation.expires_at).isoformat()
    assert f'datetime="{expires}"' in response.text
    assert "Valid until" in response.text


def test_it_creates_the_invitation_with_role_and_units(admin_client, admin_user):
    unit = UnitFactory(name="Leipzig")
    invite(admin_client, role="approver", units=[unit.pk], last_name="Berger")
    invitation = Invitation.objects.get()
    assert (invitation.role, invitation.last_name) == (Role.APPROVER, "Berger")
    assert list(invitation.units.all()) == [unit]
    assert invitation.created_by == admin_user
    event = AuditEvent.objects.get(action="user.invited")
    assert event.actor == admin_user
    assert event.details["units"] == ["Leipzig"]


def test_it_refuses_an_invalid_role(admin_client):
    response = invite(admin_client, role="boss")
    assert "Select a valid choice. boss is not one of the available choices." in (
        response.text
    )
    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_refuses_an_invalid_email(admin_client):
    response = invite(admin_client, email="not-an-address")
    assert "Enter a valid email address." in response.text
    assert not Invitation.objects.exists()


def test_it_refuses_the_email_of_an_existing_user(admin_client):
    UserFactory(email="kim@polizei.example")
    response = invite(admin_client, email="kim@polizei.example", first_name="Kim")
    assert "Another user already has the e-mail address kim@polizei.example." in (
        response.text
    )
    assert 'value="Kim"' in response.text
    assert not Invitation.objects.exists()


def test_it_lists_open_invitations_with_a_revoke_button(admin_client):
    invite(admin_client, email="offen@polizei.example")
    invite(admin_client, email="weg@polizei.example")
    revoked = Invitation.objects.get(email="weg@polizei.example")
    revoked.revoked_at = timezone.now()
    revoked.save()
    response = admin_client.get(USERS)
    assert "offen@polizei.example" in response.text
    assert "weg@polizei.example" not in response.text
    open_one = Invitation.objects.get(email="offen@polizei.example")
    assert revoke_url(open_one) in response.text


def test_it_revokes_an_invitation(admin_client, admin_user):
    invite(admin_client, email="neu@polizei.example")
    invitation = Invitation.objects.get()
    response = admin_client.post(revoke_url(invitation), follow=True)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert "The invitation has been revoked." in response.text
    event = AuditEvent.objects.get(action="user.invitation_revoked")
    assert (event.actor, event.object_id) == (admin_user, str(invitation.pk))


def test_it_says_so_when_revoking_twice(admin_client):
    invite(admin_client)
    invitation = Invitation.objects.get()
    admin_client.post(revoke_url(invitation))
    response = admin_client.post(revoke_url(invitation), follow=True)
    assert "This invitation has been revoked already." in response.text


def test_it_revokes_only_by_post(admin_client):
    invite(admin_client)
    invitation = Invitation.objects.get()
    assert admin_client.get(revoke_url(invitation)).status_code == 405
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
