"""Connecting a Telegram channel and its discussion group through the UI."""

from __future__ import annotations

import pytest
import respx
from django.test import Client
from django.urls import reverse

from leitstelle.networks.models import Channel
from tests.networks.telegram.conftest import CHANNEL_ID, GROUP_ID, TOKEN, payload

pytestmark = pytest.mark.django_db


def test_an_admin_connects_a_channel_and_its_group(
    admin_client: Client, bot: respx.MockRouter
) -> None:
    bot.post("getMe").respond(json=payload("getMe.json"))
    bot.post("getChat").respond(json=payload("getChat_channel.json"))
    bot.post("getChatMember").respond(json=payload("getChatMember_admin.json"))
    form = {"bot_token": TOKEN, "channel": "@polizei_musterstadt"}
    admin_client.post(reverse("networks:connect", kwargs={"kind": "telegram"}), form)
    admin_client.post(
        reverse("networks:confirm", kwargs={"kind": "telegram"}), {"name": "Telegram"}
    )
    channel = Channel.objects.get(kind="telegram")
    assert channel.remote_id == str(CHANNEL_ID)
    assert channel.config == {
        "channel": "@polizei_musterstadt",
        "chat_id": CHANNEL_ID,
        "discussion_group_id": GROUP_ID,
    }
    assert channel.credentials == {"bot_token": TOKEN}
