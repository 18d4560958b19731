"""Sessions end after inactivity, and "log out everywhere" ends them all."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leitstelle.core.middleware import LAST_ACTIVE_KEY
from leitstelle.core.models import AuditEvent, User
from tests.conftest import login_client
from tests.core.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings) -> None:
    """Assert the English source texts, whatever the catalog says."""
    settings.LANGUAGE_CODE = "en"


LOGIN_URL = reverse("core:login")
ACCOUNT_URL = reverse("core:account")


def log_in(client: Client, username: str) -> Client:
    client.post(LOGIN_URL, {"username": username, "password": PASSWORD})
    assert SESSION_KEY in client.session
    return client


def expire(client: Client) -> None:
    """Pretend the session's idle time ran out."""
    key = client.session.session_key
    past = timezone.now() - timedelta(seconds=1)
    Session.objects.filter(session_key=key).update(expire_date=past)


def test_it_expires_an_idle_session(editor_client: Client) -> None:
    """After the idle time the next request goes to the login page."""
    expire(editor_client)
    response = editor_client.get(ACCOUNT_URL)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)


def idle_for(client: Client, seconds: int) -> None:
    """Pretend the user's last activity lies `seconds` back."""
    session = client.session
    session[LAST_ACTIVE_KEY] = int(time.time()) - seconds
    session.save()


def test_it_ends_a_session_kept_alive_only_by_polls(
    editor_client: Client, settings
) -> None:
    """An open tab that polls in the background does not count as activity."""
    editor_client.get(ACCOUNT_URL)
    idle_for(editor_client, settings.SESSION_IDLE_MINUTES * 60 - 5)
    poll = editor_client.get(
        ACCOUNT_URL, headers={"X-Leitstelle-Background": "1", "HX-Request": "true"}
    )
    assert poll.status_code == 200, "a poll within the idle time is answered"
    idle_for(editor_client, settings.SESSION_IDLE_MINUTES * 60 + 5)

    poll = editor_client.get(
        ACCOUNT_URL, headers={"X-Leitstelle-Background": "1", "HX-Request": "true"}
    )

    assert poll.headers["HX-Redirect"] == LOGIN_URL
    assert SESSION_KEY not in editor_client.session, "still logged in"


def test_it_counts_a_click_as_activity(editor_client: Client, settings) -> None:
    idle_for(editor_client, settings.SESSION_IDLE_MINUTES * 60 - 5)
    editor_client.get(ACCOUNT_URL)
    assert editor_client.session[LAST_ACTIVE_KEY] >= int(time.time()) - 2


def test_it_sets_the_idle_time_from_the_settings(
    editor_client: Client, settings
) -> None:
    """Each request pushes the end of the session to now plus the idle time."""
    editor_client.get(ACCOUNT_URL)
    session = Session.objects.get(session_key=editor_client.session.session_key)
    remaining = session.expire_date - timezone.now()
    idle = timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    assert idle - timedelta(seconds=30) < remaining <= idle


def test_it_extends_a_session_in_use(editor_client: Client) -> None:
    """Activity keeps a session alive: its end moves with every request."""
    key = editor_client.session.session_key
    soon = timezone.now() + timedelta(minutes=1)
    Session.objects.filter(session_key=key).update(expire_date=soon)
    editor_client.get(ACCOUNT_URL)
    assert Session.objects.get(session_key=key).expire_date > soon


def test_it_says_why_the_session_ended(client: Client, editor: User) -> None:
    """The login page explains the end of an idle session."""
    log_in(client, "editor")
    expire(client)
    response = client.get(ACCOUNT_URL, follow=True)
    assert "Your session has ended. Sessions end after 60 minutes" in (
        response.content.decode()
    )


def test_it_explains_the_session_end_only_once(client: Client, editor: User) -> None:
    """A reload of the login page no longer shows the notice."""
    log_in(client, "editor")
    expire(client)
    client.get(ACCOUNT_URL, follow=True)
    assert "Your session has ended" not in client.get(LOGIN_URL).content.decode()


def test_it_says_nothing_to_first_time_visitors(client: Client, db) -> None:
    """Somebody who was never logged in sees no expiry notice."""
    assert "Your session has ended" not in client.get(LOGIN_URL).content.decode()


def test_it_logs_out_everywhere(editor: User) -> None:
    """Another browser's session of the same user ends as well."""
    here = log_in(Client(), "editor")
    elsewhere = log_in(Client(), "editor")
    here.post(reverse("core:logout_everywhere"))
    response = elsewhere.get(ACCOUNT_URL)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)


def test_it_ends_the_current_session_too(editor_client: Client) -> None:
    """The session that asked is logged out and told so."""
    response = editor_client.post(reverse("core:logout_everywhere"), follow=True)
    assert SESSION_KEY not in editor_client.session
    assert "You are logged out on all devices" in response.content.decode()


def test_it_raises_the_session_epoch(editor_client: Client, editor: User) -> None:
    """The epoch moves on, so no old session matches it."""
    editor_client.post(reverse("core:logout_everywhere"))
    editor.refresh_from_db()
    assert editor.session_epoch == 1


def test_it_audits_logout_everywhere(editor_client: Client, editor: User) -> None:
    """The audit log records who ended all sessions."""
    editor_client.post(reverse("core:logout_everywhere"))
    event = AuditEvent.objects.get(action="user.logout_everywhere")
    assert (event.actor, event.object_id) == (editor, str(editor.pk))


def test_it_allows_a_new_login_after_logout_everywhere(editor: User) -> None:
    """A fresh login carries the new epoch and stays logged in."""
    client = log_in(Client(), "editor")
    client.post(reverse("core:logout_everywhere"))
    log_in(client, "editor")
    assert client.get(ACCOUNT_URL).status_code == 200


def test_it_refuses_logout_everywhere_by_get(editor_client: Client) -> None:
    """Only a form submission ends all sessions."""
    assert editor_client.get(reverse("core:logout_everywhere")).status_code == 405


def test_it_sends_anonymous_logout_everywhere_to_login(client: Client, db) -> None:
    """Without a session there is nothing to end."""
    response = client.post(reverse("core:logout_everywhere"))
    assert response.url.startswith(LOGIN_URL)


def test_it_keeps_other_users_sessions(editor: User, analyst: User) -> None:
    """Logging out everywhere affects only one's own sessions."""
    mine = log_in(Client(), "editor")
    theirs = login_client(Client(), analyst)
    mine.post(reverse("core:logout_everywhere"))
    assert theirs.get(ACCOUNT_URL).status_code == 200
