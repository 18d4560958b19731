"""Connecting Bluesky through the channel pages, against the local network."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from leitstelle.core.models import AuditEvent
from leitstelle.networks.models import Channel
from tests.networks.bluesky.conftest import Devnet, until

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

CONNECT = reverse("networks:connect", args=["bluesky"])
CONFIRM = reverse("networks:confirm", args=["bluesky"])


@pytest.fixture(autouse=True)
def english_pages(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_it_shows_the_account_before_saving(
    admin_client: Client, network: Devnet
) -> None:
    response = until(
        lambda: admin_client.post(
            CONNECT, {"identifier": "bob.test", "app_password": "bob-pass"}
        ).get("Location")
    )
    assert response == CONFIRM
    assert b"@bob.test" in admin_client.get(CONFIRM).content
    assert not Channel.objects.exists()


def test_it_saves_the_channel_with_encrypted_credentials(
    admin_client: Client, network: Devnet
) -> None:
    until(
        lambda: admin_client.post(
            CONNECT, {"identifier": "bob.test", "app_password": "bob-pass"}
        ).get("Location")
    )
    admin_client.post(CONFIRM, {"name": "Bob"})
    channel = Channel.objects.get(kind="bluesky")
    assert (channel.handle, channel.config["pds_url"]) == ("@bob.test", network.pds)
    assert "bob-pass" not in channel.credentials_encrypted
    assert channel.credentials["app_password"] == "bob-pass"
    assert AuditEvent.objects.filter(
        action="channel.connected", object_id=str(channel.pk)
    ).exists()


def test_it_explains_a_wrong_app_password(
    admin_client: Client, network: Devnet
) -> None:
    # The local network on a busy 2-core machine sometimes answers late; a
    # "not reachable" form error is retried, the wrong password never is.
    for _attempt in range(3):
        response = admin_client.post(
            CONNECT, {"identifier": "bob.test", "app_password": "wrong"}
        )
        errors = response.context["form"].errors
        if "app_password" in errors or "__all__" not in errors:
            break
        time.sleep(2)
    assert errors.get("app_password") == [
        "Bluesky did not accept this app password."
    ], errors
