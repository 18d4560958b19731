"""Sign in with Mastodon: OAuth end to end against mastodon-mock's server."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from leitstelle.core.models import AuditEvent
from leitstelle.networks.mastodon import services
from leitstelle.networks.models import Channel, ChannelStatus

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("mastodon:sign_in")
CALLBACK = reverse("mastodon:callback")
CONFIRM = reverse("networks:confirm", args=["mastodon"])


@pytest.fixture(autouse=True)
def english_pages(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def start(client: Client, server: Any) -> Any:
    return client.post(SIGN_IN, {"instance": server.base_url})


def grant(server: Any, authorize_url: str, username: str = "alice") -> str:
    """Act as the account holder on the instance: choose the account, allow."""
    query = {
        key: values[0]
        for key, values in parse_qs(urlsplit(authorize_url).query).items()
    }
    answer = httpx.post(
        f"{server.base_url}/oauth/authorize",
        data={
            "username": username,
            **{k: query[k] for k in ("redirect_uri", "client_id", "scope", "state")},
        },
    )
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}" == settings.BASE_URL.rstrip("/")
    return f"{back.path}?{back.query}"


def sign_in(client: Client, server: Any, username: str = "alice") -> Any:
    return client.get(grant(server, start(client, server).url, username))


def messages_of(client: Client, response: Any) -> list[str]:
    return [str(m) for m in client.get(response.url).context["messages"]]


def test_it_sends_anonymous_visitors_to_the_login(client: Client) -> None:
    for url in (SIGN_IN, CALLBACK):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(
            reverse("core:login")
        ), url


def test_it_refuses_people_who_do_not_manage_channels(analyst_client: Client) -> None:
    assert [analyst_client.get(url).status_code for url in (SIGN_IN, CALLBACK)] == [
        403,
        403,
    ]


def test_it_asks_for_the_instance(admin_client: Client) -> None:
    response = admin_client.get(SIGN_IN)
    assert response.status_code == 200
    assert b'name="instance"' in response.content


def test_it_sends_the_admin_to_the_instance(admin_client: Client, server: Any) -> None:
    response = start(admin_client, server)
    query = parse_qs(urlsplit(response.url).query)
    assert response.url.startswith(f"{server.base_url}/oauth/authorize?")
    assert query["redirect_uri"] == [settings.BASE_URL.rstrip("/") + CALLBACK]
    assert (query["scope"], query["response_type"]) == (["read write follow"], ["code"])
    assert len(query["state"][0]) >= 40


def test_it_records_the_app_registration(
    admin_client: Client, server: Any, admin_user: Any
) -> None:
    start(admin_client, server)
    event = AuditEvent.objects.get(action="mastodon.app_registered")
    assert (event.actor, event.details["instance"]) == (admin_user, server.base_url)


def test_it_keeps_the_client_secret_encrypted_in_the_session(
    admin_client: Client, server: Any
) -> None:
    start(admin_client, server)
    pending = admin_client.session[services.SESSION_KEY]
    assert pending["client_secret"].startswith("gAAAAA"), "a Fernet token"


def test_it_shows_the_signed_in_account_for_confirmation(
    admin_client: Client, server: Any
) -> None:
    response = sign_in(admin_client, server)
    assert response.url == CONFIRM
    assert b"@alice@mock.local" in admin_client.get(CONFIRM).content


def test_it_connects_the_account_after_confirmation(
    admin_client: Client, server: Any
) -> None:
    sign_in(admin_client, server)
    admin_client.post(CONFIRM, {"name": "Polizei Teststadt"})
    channel = Channel.objects.get(kind="mastodon")
    assert (channel.name, channel.handle) == ("Polizei Teststadt", "@alice@mock.local")
    assert channel.connector.verify().handle == "@alice@mock.local"
    assert channel.config["limits"]["max_characters"] == 500
    assert AuditEvent.objects.filter(
        action="channel.connected", object_id=str(channel.pk)
    ).exists()


def test_it_renews_the_access_of_a_connected_account(
    admin_client: Client, server: Any
) -> None:
    alice_id = server.client("alice").me()["id"]
    channel = Channel.objects.create(
        kind="mastodon",
        name="Alt",
        remote_id=f"{alice_id}@mock.local",
        config={"instance": server.base_url},
        status=ChannelStatus.NEEDS_REAUTH,
    )
    channel.set_credentials({"access_token": "revoked"})
    channel.save()
    response = sign_in(admin_client, server)
    channel.refresh_from_db()
    assert response.url == reverse("networks:detail", args=[channel.pk])
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.connector.verify().remote_id == channel.remote_id
    assert AuditEvent.objects.filter(action="channel.reauthorised").count() == 1


def test_it_refuses_an_answer_for_another_sign_in(
    admin_client: Client, server: Any
) -> None:
    back = grant(server, start(admin_client, server).url)
    response = admin_client.get(back.replace("state=", "state=forged"))
    assert response.url == SIGN_IN
    assert messages_of(admin_client, response) == [
        "The answer of the Mastodon server does not belong to this sign-in."
    ]
    assert services.SESSION_KEY not in admin_client.session


def test_it_reports_access_the_admin_did_not_grant(
    admin_client: Client, server: Any
) -> None:
    state = parse_qs(urlsplit(start(admin_client, server).url).query)["state"][0]
    response = admin_client.get(CALLBACK, {"error": "access_denied", "state": state})
    assert messages_of(admin_client, response) == [
        "The Mastodon server did not grant access. Please start again."
    ]


def test_it_reports_a_code_the_instance_refuses(
    admin_client: Client, server: Any
) -> None:
    state = parse_qs(urlsplit(start(admin_client, server).url).query)["state"][0]
    response = admin_client.get(CALLBACK, {"code": "not-a-code", "state": state})
    assert messages_of(admin_client, response) == [
        "The Mastodon server did not accept the sign-in. Please start again."
    ]
    assert not Channel.objects.exists()


def test_it_reports_a_sign_in_that_took_too_long(
    admin_client: Client, server: Any
) -> None:
    back = grant(server, start(admin_client, server).url)
    session = admin_client.session
    session[services.SESSION_KEY]["started_at"] = (
        time.time() - services.VALID_SECONDS - 1
    )
    session.save()
    response = admin_client.get(back)
    assert messages_of(admin_client, response) == [
        "The sign-in was not finished in time. Please start again."
    ]


def test_it_explains_an_instance_that_does_not_answer(admin_client: Client) -> None:
    response = admin_client.post(SIGN_IN, {"instance": "http://127.0.0.1:9"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "No Mastodon server answered at http://127.0.0.1:9. Check the address."
    ]
    assert not AuditEvent.objects.filter(action="mastodon.app_registered").exists()


def test_it_offers_the_sign_in_on_the_token_form(admin_client: Client) -> None:
    response = admin_client.get(reverse("networks:connect", args=["mastodon"]))
    assert f'href="{SIGN_IN}"'.encode() in response.content


def test_it_connects_with_a_pasted_token(admin_client: Client, server: Any) -> None:
    connect = reverse("networks:connect", args=["mastodon"])
    response = admin_client.post(
        connect, {"instance": server.base_url, "access_token": "bob_token"}
    )
    assert response.url == CONFIRM
    assert b"@bob@mock.local" in admin_client.get(CONFIRM).content


def test_it_explains_a_wrong_pasted_token(admin_client: Client, server: Any) -> None:
    connect = reverse("networks:connect", args=["mastodon"])
    response = admin_client.post(
        connect, {"instance": server.base_url, "access_token": "wrong"}
    )
    assert response.context["form"].non_field_errors() == [
        "Mastodon refused the access token: it is wrong, expired or revoked."
    ]
