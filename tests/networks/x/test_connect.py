"""Connecting an X account with OAuth 1.0a keys through the UI."""

from __future__ import annotations

import pytest
import respx
from django.test import Client
from django.urls import reverse

from leitstelle.networks.models import Channel
from tests.networks.x.conftest import ME, OAUTH1, payload

pytestmark = pytest.mark.django_db


def test_an_admin_connects_an_account_with_keys_and_a_tier(
    admin_client: Client, api: respx.MockRouter
) -> None:
    api.get("/2/users/me").respond(json=payload("users_me.json"))
    admin_client.post(
        reverse("networks:connect", kwargs={"kind": "x"}), {**OAUTH1, "tier": "free"}
    )
    admin_client.post(reverse("networks:confirm", kwargs={"kind": "x"}), {"name": "X"})
    channel = Channel.objects.get(kind="x")
    assert (channel.remote_id, channel.config) == (
        ME,
        {"tier": "free", "auth": "oauth1"},
    )
    assert channel.credentials == OAUTH1
    assert not channel.connector.capabilities.inbox
