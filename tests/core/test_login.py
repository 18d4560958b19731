"""The password step of the login, logout and the `next` parameter."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from leitstelle.core.middleware import SESSION_EPOCH_KEY
from leitstelle.core.models import AuditEvent, LoginAttempt, User
from tests.core.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings) -> None:
    """Assert the English source texts, whatever the catalog says."""
    settings.LANGUAGE_CODE = "en"


LOGIN_URL = reverse("core:login")


def post_login(
    client: Client,
    username: str,
    password: str = PASSWORD,
    *,
    address: str = "127.0.0.1",
    **fields: str,
):
    data = {"username": username, "password": password, **fields}
    return client.post(LOGIN_URL, data, REMOTE_ADDR=address)


def test_it_shows_an_accessible_login_form(client: Client) -> None:
    """The form labels its fields and sets autocomplete and autofocus."""
    content = client.get(LOGIN_URL).content.decode()
    assert 'autocomplete="username"' in content
    assert 'autocomplete="current-password"' in content
    assert 'for="id_username"' in content
    assert "autofocus" in content
    assert "auth-box" in content


def test_it_logs_an_editor_in_with_the_password_alone(
    client: Client, editor: User
) -> None:
    """An editor without second factor is logged in after the password."""
    response = post_login(client, "editor")
    assert response.status_code == 302
    assert response.url == reverse("core:dashboard")
    assert client.session[SESSION_KEY] == str(editor.pk)
    assert client.session[SESSION_EPOCH_KEY] == editor.session_epoch


def test_it_keeps_the_session_after_login(client: Client, editor: User) -> None:
    """The epoch key set at login keeps the session guard satisfied."""
    post_login(client, "editor")
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 200


def test_it_audits_a_successful_login(client: Client, editor: User) -> None:
    """The login is audited with the user as actor and counted as success."""
    post_login(client, "editor", address="10.0.0.7")
    event = AuditEvent.objects.get(action="user.login")
    assert event.actor == editor
    assert event.details == {"two_factor": False}
    assert LoginAttempt.objects.filter(username="editor", success=True).count() == 1


def test_it_refuses_a_wrong_password(client: Client, editor: User) -> None:
    """A wrong password shows a generic message and logs nobody in."""
    response = post_login(client, "editor", "wrong-password")
    assert response.status_code == 200
    assert "The username or password is not correct." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_it_audits_a_wrong_password_without_the_password(
    client: Client, editor: User
) -> None:
    """The failure is audited under the typed username, never the password."""
    post_login(client, "editor", "wrong-password-xyz")
    event = AuditEvent.objects.get(action="user.login_failed")
    assert event.actor is None
    assert event.actor_label == "editor"
    assert event.details == {"reason": "password"}
    assert "wrong-password-xyz" not in str(event.canonical_content())


def test_it_records_the_failed_attempt(client: Client, editor: User) -> None:
    """A failure is stored with username and address for the lockout."""
    post_login(client, "editor", "wrong", address="10.1.2.3")
    attempt = LoginAttempt.objects.get()
    assert (attempt.username, attempt.address, attempt.success) == (
        "editor",
        "10.1.2.3",
        False,
    )


def test_it_gives_unknown_users_the_same_message(client: Client, db) -> None:
    """An unknown username gets the message of a wrong password."""
    response = post_login(client, "nobody")
    assert "The username or password is not correct." in response.content.decode()


def test_it_refuses_an_inactive_user(client: Client, editor: User) -> None:
    """A deactivated member gets the generic message, even with the password."""
    editor.is_active = False
    editor.save()
    response = post_login(client, "editor")
    assert "The username or password is not correct." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_it_audits_an_inactive_user_with_its_reason(
    client: Client, editor: User
) -> None:
    """The audit log tells that the account was deactivated."""
    editor.is_active = False
    editor.save()
    post_login(client, "editor")
    event = AuditEvent.objects.get(action="user.login_failed")
    assert event.details == {"reason": "inactive"}


def test_it_follows_a_local_next(client: Client, editor: User) -> None:
    """After login the member lands on the page they asked for."""
    response = post_login(client, "editor", next="/konto/")
    assert response.url == "/konto/"


def test_it_refuses_an_open_redirect(client: Client, editor: User) -> None:
    """A `next` pointing to another site is ignored."""
    response = post_login(client, "editor", next="https://evil.example/")
    assert response.url == reverse("core:dashboard")


def test_it_refuses_a_scheme_relative_redirect(client: Client, editor: User) -> None:
    """A `//host` `next` is another site too."""
    response = post_login(client, "editor", next="//evil.example/x")
    assert response.url == reverse("core:dashboard")


def test_it_carries_next_into_the_form(client: Client, db) -> None:
    """The `next` of the query string becomes a hidden field."""
    content = client.get(LOGIN_URL, {"next": "/konto/"}).content.decode()
    assert 'name="next" value="/konto/"' in content


def test_it_sends_logged_in_users_on(editor_client: Client) -> None:
    """A logged-in member who opens the login page goes to the dashboard."""
    response = editor_client.get(LOGIN_URL)
    assert response.status_code == 302
    assert response.url == reverse("core:dashboard")


def test_it_logs_out_on_post(editor_client: Client, editor: User) -> None:
    """Logout ends the session, says so and is audited."""
    response = editor_client.post(reverse("core:logout"), follow=True)
    assert SESSION_KEY not in editor_client.session
    assert "You are logged out." in response.content.decode()
    assert AuditEvent.objects.get(action="user.logout").actor == editor


def test_it_refuses_logout_by_get(editor_client: Client) -> None:
    """A link or image cannot log anybody out."""
    response = editor_client.get(reverse("core:logout"))
    assert response.status_code == 405
    assert SESSION_KEY in editor_client.session


def test_it_does_not_announce_an_ended_session_after_logout(
    client: Client, editor: User
) -> None:
    """After an explicit logout the login page shows no expiry notice."""
    post_login(client, "editor")
    client.post(reverse("core:logout"))
    response = client.get(LOGIN_URL)
    assert "Your session has ended" not in response.content.decode()
