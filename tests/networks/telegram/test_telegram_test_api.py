"""The Telegram connector against telegram-test-api, a Bot API emulator.

It is faithful for private chats only (see the test-infrastructure recipe):
sending, editing and deleting messages and receiving direct messages through
getUpdates. Channels, discussion groups and getChat it cannot do; those run
against recorded payloads in test_connector.py. It also answers dates in
milliseconds, which the connector must survive.
"""

from __future__ import annotations

import httpx
import pytest

from leitstelle.networks.base import ItemKind, OutgoingPost
from leitstelle.networks.models import Channel
from tests.networks.telegram.conftest import TOKEN

pytestmark = pytest.mark.integration
CITIZEN = {"id": 4242, "is_bot": False, "first_name": "Erika", "username": "erika_m"}


def chat_channel(api_url: str) -> Channel:
    """A channel whose "channel" is a private chat: all the emulator knows."""
    channel = Channel(
        kind="telegram",
        name="Test",
        config={"channel": "4242", "chat_id": 4242, "api_url": api_url},
    )
    channel.set_credentials({"bot_token": TOKEN})
    return channel


def sent_text(api_url: str, remote_id: str) -> str | None:
    """Return what the emulator holds for a message the bot sent, if any."""
    message_id = int(remote_id.partition(":")[2])
    answer = httpx.post(f"{api_url}/getUpdatesHistory", json={"token": TOKEN})
    entries = [
        entry for entry in answer.json()["result"] if entry["messageId"] == message_id
    ]
    return entries[0]["message"]["text"] if entries else None


def test_it_sends_a_message(telegram_test_api: str) -> None:
    connector = chat_channel(telegram_test_api).connector
    posted = connector.publish(OutgoingPost(text="Hallo aus der Leitstelle"))
    assert posted.remote_id.startswith("4242:")
    assert sent_text(telegram_test_api, posted.remote_id) == "Hallo aus der Leitstelle"
    assert posted.published_at is None, "a millisecond date is not taken for a time"


def test_it_edits_a_message(telegram_test_api: str) -> None:
    connector = chat_channel(telegram_test_api).connector
    posted = connector.publish(OutgoingPost(text="Erste Fassung"))
    connector.edit(posted.remote_id, OutgoingPost(text="Zweite Fassung"))
    assert sent_text(telegram_test_api, posted.remote_id) == "Zweite Fassung"


def test_it_deletes_a_message(telegram_test_api: str) -> None:
    connector = chat_channel(telegram_test_api).connector
    posted = connector.publish(OutgoingPost(text="Gleich weg"))
    connector.delete(posted.remote_id)
    assert sent_text(telegram_test_api, posted.remote_id) is None


def test_it_receives_and_answers_a_direct_message(telegram_test_api: str) -> None:
    connector = chat_channel(telegram_test_api).connector
    message = {
        "botToken": TOKEN,
        "chat": {"id": 4242, "type": "private", "first_name": "Erika"},
        "from": CITIZEN,
        "date": 1748852400,
        "text": "Ich möchte einen Unfall melden.",
    }
    assert (
        httpx.post(f"{telegram_test_api}/sendMessage", json=message).status_code == 200
    )
    page = connector.fetch_interactions({})
    [item] = [
        item for item in page.items if item.text == "Ich möchte einen Unfall melden."
    ]
    assert (item.kind, item.author_handle, item.author_id) == (
        ItemKind.DIRECT_MESSAGE,
        "@erika_m",
        "4242",
    )
    assert page.cursor["offset"] > 0
    answer = connector.reply(
        item.remote_id, OutgoingPost(text="Danke, wir rufen zurück.")
    )
    assert answer.remote_id.startswith("4242:")
