"""Sign in with X (OAuth 2.0 PKCE) end to end through the Django test client."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
import respx
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from leitstelle.core.models import AuditEvent
from leitstelle.networks.models import Channel
from leitstelle.networks.x import views
from leitstelle.networks.x.client import TOKEN_URL
from tests.networks.x.conftest import ME, OAUTH1, make_channel, payload

pytestmark = pytest.mark.django_db
START = reverse("x:oauth_start")
CALLBACK = reverse("x:oauth_callback")
SIGN_IN = {"client_id": "CLIENT-ID", "client_secret": "CLIENT-SECRET", "tier": "basic"}


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def start(client: Client) -> dict[str, list[str]]:
    """Start a sign-in; return the query X's authorize page would get."""
    response = client.post(START, SIGN_IN)
    assert response.status_code == 302, response.content
    assert response["Location"].startswith("https://x.com/i/oauth2/authorize?")
    return parse_qs(urlsplit(response["Location"]).query)


@pytest.mark.parametrize("url", [START, CALLBACK])
def test_it_sends_anonymous_visitors_to_the_login(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


@pytest.mark.parametrize("url", [START, CALLBACK])
def test_it_refuses_non_admins(analyst_client: Client, url: str) -> None:
    assert analyst_client.get(url).status_code == 403


def test_it_shows_the_callback_address_to_register(admin_client: Client) -> None:
    response = admin_client.get(START)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{settings.BASE_URL}{CALLBACK}" in page
    assert "offline.access" in page
    assert 'name="client_id"' in page and 'name="tier"' in page


def test_it_keeps_the_form_on_bad_input(admin_client: Client) -> None:
    response = admin_client.post(
        START, {"client_id": "", "client_secret": "kept?", "tier": "gold"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"client_id", "tier"}
    assert views.SESSION_KEY not in admin_client.session


def test_it_sends_the_admin_to_x_with_pkce(admin_client: Client) -> None:
    query = start(admin_client)
    pending = admin_client.session[views.SESSION_KEY]
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(pending["verifier"].encode()).digest()
    )
    assert query["code_challenge"] == [challenge.rstrip(b"=").decode()]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] == [pending["state"]]
    assert query["client_id"] == ["CLIENT-ID"]
    assert query["redirect_uri"] == [f"{settings.BASE_URL}{CALLBACK}"]
    assert "offline.access" in query["scope"][0].split()
    assert "CLIENT-SECRET" not in str(dict(admin_client.session)), (
        "the secret is kept encrypted"
    )


def test_it_refuses_an_answer_with_the_wrong_state(admin_client: Client) -> None:
    start(admin_client)
    with respx.mock(assert_all_called=False) as mock:
        token = mock.post(TOKEN_URL)
        response = admin_client.get(CALLBACK, {"state": "forged", "code": "CODE"})
    assert response.status_code == 302 and response["Location"] == START
    assert "does not match the sign-in started here" in messages_of(response)[0]
    assert not token.called
    assert views.SESSION_KEY not in admin_client.session
    assert not Channel.objects.exists()


def test_it_refuses_an_answer_without_a_started_sign_in(admin_client: Client) -> None:
    response = admin_client.get(CALLBACK, {"state": "any", "code": "CODE"})
    assert response["Location"] == START
    assert "No sign-in with X was started" in messages_of(response)[0]


def test_it_says_when_x_did_not_grant_access(admin_client: Client) -> None:
    state = start(admin_client)["state"][0]
    response = admin_client.get(CALLBACK, {"state": state, "error": "access_denied"})
    assert response["Location"] == START
    assert messages_of(response) == ["X did not grant access (access_denied)."]


def test_it_says_why_x_refused_the_code(admin_client: Client) -> None:
    state = start(admin_client)["state"][0]
    with respx.mock() as mock:
        mock.post(TOKEN_URL).respond(400, json=payload("token_error.json"))
        response = admin_client.get(CALLBACK, {"state": state, "code": "OLD"})
    assert response["Location"] == START
    assert (
        "Value passed for the authorization code was invalid."
        in messages_of(response)[0]
    )


def signed_in(client: Client) -> tuple:
    """Run start and callback with X answering; return (response, token route)."""
    state = start(client)["state"][0]
    verifier = client.session[views.SESSION_KEY]["verifier"]
    with respx.mock() as mock:
        token = mock.post(TOKEN_URL).respond(json=payload("token.json"))
        mock.get("https://api.x.com/2/users/me").respond(json=payload("users_me.json"))
        response = client.get(CALLBACK, {"state": state, "code": "THE-CODE"})
    sent = parse_qs(token.calls.last.request.content.decode())
    assert sent["code_verifier"] == [verifier]
    assert (sent["code"], sent["grant_type"]) == (["THE-CODE"], ["authorization_code"])
    assert sent["redirect_uri"] == [f"{settings.BASE_URL}{CALLBACK}"]
    assert token.calls.last.request.headers["Authorization"].startswith("Basic ")
    return response


def test_it_connects_the_signed_in_account_after_confirmation(
    admin_client: Client,
) -> None:
    response = signed_in(admin_client)
    confirm = reverse("networks:confirm", kwargs={"kind": "x"})
    assert response["Location"] == confirm
    page = admin_client.get(confirm).content.decode()
    assert "polizei_musterstadt" in page
    saved = admin_client.post(confirm, {"name": "Polizei Musterstadt auf X"})
    channel = Channel.objects.get(kind="x")
    assert saved["Location"] == reverse(
        "networks:detail", kwargs={"channel_id": channel.pk}
    )
    assert (channel.remote_id, channel.config) == (
        ME,
        {"tier": "basic", "auth": "oauth2"},
    )
    credentials = channel.credentials
    assert credentials["access_token"] == "REDACTED-ACCESS-TOKEN"
    assert credentials["refresh_token"] == "REDACTED-REFRESH-TOKEN"
    assert credentials["client_id"] == "CLIENT-ID"
    event = AuditEvent.objects.get(action="channel.connected")
    assert event.details["remote_id"] == ME


def test_it_reauthorises_the_channel_the_account_already_has(
    admin_client: Client,
) -> None:
    existing = make_channel("basic", **OAUTH1)
    existing.status = "needs_reauth"
    existing.save()
    response = signed_in(admin_client)
    assert response["Location"] == reverse(
        "networks:detail", kwargs={"channel_id": existing.pk}
    )
    existing.refresh_from_db()
    assert existing.status == "active"
    assert existing.credentials["access_token"] == "REDACTED-ACCESS-TOKEN"
    assert existing.config["auth"] == "oauth2"
    assert AuditEvent.objects.filter(action="channel.reauthorised").count() == 1
    assert messages_of(response) == ["The channel has been connected again."]


def test_a_sign_in_answer_is_used_only_once(admin_client: Client) -> None:
    state = start(admin_client)["state"][0]
    admin_client.get(CALLBACK, {"state": state, "error": "access_denied"})
    response = admin_client.get(CALLBACK, {"state": state, "code": "AGAIN"})
    assert "No sign-in with X was started" in messages_of(response)[-1]


def test_the_connect_page_offers_the_sign_in(admin_client: Client) -> None:
    page = admin_client.get(
        reverse("networks:connect", kwargs={"kind": "x"})
    ).content.decode()
    assert f'href="{START}"' in page
    assert "Or sign in with X instead" in page
