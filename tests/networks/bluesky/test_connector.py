"""The Bluesky connector against a real local network (PDS and AppView)."""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from atproto import Client, models
from django.test import override_settings

from leitstelle.networks.base import (
    AuthExpired,
    ContentRejected,
    ItemKind,
    Media,
    OutgoingPost,
)
from leitstelle.networks.bluesky.client import tid_for
from leitstelle.networks.bluesky.forms import ConnectForm
from leitstelle.networks.models import Channel
from tests.networks.bluesky.conftest import Devnet, token, until

pytestmark = pytest.mark.integration

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mP4z8AAAAMBAQD3A0FDAAAAAElFTkSuQmCC"
)
numbers = itertools.count()


def unique(text: str) -> str:
    return f"{text} #{next(numbers)}-{datetime.now(UTC).timestamp():.0f}"


ALICE = ("alice.test", "alice-pass")


def access(
    identifier: str = ALICE[0], password: str = ALICE[1]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return config and credentials the way the connect page gets them."""
    form = ConnectForm({"identifier": identifier, "app_password": password})
    assert form.is_valid(), form.errors
    return form.channel_data()


def channel_with(config: dict[str, Any], credentials: dict[str, Any]) -> Channel:
    channel = Channel(
        kind="bluesky", name="alice", remote_id=config["did"], config=config
    )
    channel.set_credentials(credentials)
    return channel


def connected(identifier: str = ALICE[0], password: str = ALICE[1]) -> Channel:
    return channel_with(*access(identifier, password))


@pytest.fixture(scope="session")
def alice_access(devnet: Devnet) -> tuple[dict[str, Any], dict[str, Any]]:
    with override_settings(BLUESKY_PLC_URL=devnet.plc, BLUESKY_RESOLVER_URL=devnet.pds):
        return access()


@pytest.fixture
def channel(
    network: Devnet, alice_access: tuple[dict[str, Any], dict[str, Any]]
) -> Channel:
    """alice.test's channel, unsaved, on a session shared by the tests."""
    return channel_with(*alice_access)


def ended_session(channel: Channel) -> str:
    """A session the PDS will not honour: signed by nobody, expired in 2020."""
    did = channel.config["did"]
    tokens = [
        token(scope, did=did, expires=1577840400)
        for scope in ("com.atproto.access", "com.atproto.refresh")
    ]
    return ":::".join(["alice.test", did, *tokens, channel.config["pds_url"]])


def notified(channel: Channel, cursor: dict[str, Any], uri: str) -> Any:
    """Poll the connector until the notification for `uri` comes in."""

    def check() -> Any:
        page = channel.connector.fetch_interactions(cursor)
        return next((item for item in page.items if item.remote_id == uri), None)

    return until(check)


def published_post(channel: Channel, alice: Client, text: str) -> str:
    uri = channel.connector.publish(OutgoingPost(text=text)).remote_id
    until(
        lambda: alice.get_posts([uri]).posts
    )  # a reply to it notifies only once indexed
    return uri


def reply_as(client: Client, uri: str, text: str) -> str:
    parent = models.create_strong_ref(client.get_posts([uri]).posts[0])
    return client.send_post(
        text, reply_to=models.AppBskyFeedPost.ReplyRef(root=parent, parent=parent)
    ).uri


def test_it_finds_the_server_of_a_handle(network: Devnet) -> None:
    channel = connected()
    assert channel.config["pds_url"] == network.pds
    assert channel.config["did"].startswith("did:plc:")


def test_it_connects_with_a_did(network: Devnet) -> None:
    did = connected().config["did"]
    assert connected(did).config == {"did": did, "pds_url": network.pds}


def test_it_refuses_a_wrong_app_password(network: Devnet) -> None:
    form = ConnectForm({"identifier": "alice.test", "app_password": "wrong-pass"})
    assert form.errors["app_password"] == ["Bluesky did not accept this app password."]


def test_it_refuses_an_unknown_handle(network: Devnet) -> None:
    form = ConnectForm({"identifier": "@nobody.test", "app_password": "x"})
    assert form.errors["identifier"] == ["No Bluesky account nobody.test was found."]


@pytest.mark.parametrize("did", ["did:example:123", "did:plc:"])
def test_it_refuses_a_did_it_cannot_look_up(network: Devnet, did: str) -> None:
    form = ConnectForm({"identifier": did, "app_password": "x"})
    assert form.errors["identifier"] == [f"No Bluesky account {did} was found."]


def test_it_verifies_the_account(channel: Channel) -> None:
    account = until(channel.connector.verify)
    assert (account.remote_id, account.handle) == (channel.config["did"], "@alice.test")
    assert account.profile_url == "https://bsky.app/profile/alice.test"


def test_it_publishes_an_image_with_alt_text(channel: Channel, alice: Client) -> None:
    image = Media(content=PNG, mime_type="image/png", alt_text="Rote Ampel")
    posted = channel.connector.publish(
        OutgoingPost(text=unique("Achtung"), media=(image,))
    )
    [view] = until(lambda: alice.get_posts([posted.remote_id]).posts)
    assert [image.alt for image in view.embed.images] == ["Rote Ampel"]
    assert posted.url.startswith(
        f"https://bsky.app/profile/{channel.config['did']}/post/"
    )


def test_it_publishes_once_per_idempotency_key(channel: Channel) -> None:
    post = OutgoingPost(text=unique("Einmal"), idempotency_key=unique("key"))
    first, second = channel.connector.publish(post), channel.connector.publish(post)
    assert first.remote_id == second.remote_id
    assert channel.connector.find_published(post.idempotency_key) == first


def test_it_finds_nothing_for_an_unknown_key(channel: Channel) -> None:
    assert channel.connector.find_published(unique("never-used")) is None


def test_it_links_addresses_and_mentions(channel: Channel, alice: Client) -> None:
    posted = channel.connector.publish(
        OutgoingPost(text=unique("Infos: https://example.org @bob.test"))
    )
    [view] = until(lambda: alice.get_posts([posted.remote_id]).posts)
    features = [
        type(f).__name__ for facet in view.record.facets for f in facet.features
    ]
    assert sorted(features) == ["Link", "Mention"]


def test_it_fetches_a_comment_on_our_post(
    channel: Channel, alice: Client, bob: Client
) -> None:
    start = channel.connector.fetch_interactions({})
    post = published_post(channel, alice, unique("Sperrung"))
    reply = reply_as(bob, post, "@alice.test Gilt das auch für Räder?")
    item = notified(channel, start.cursor, reply)
    assert (item.kind, item.in_reply_to, item.root_post) == (
        ItemKind.COMMENT,
        post,
        post,
    )
    assert (item.author_handle, item.text) == (
        "bob.test",
        "@alice.test Gilt das auch für Räder?",
    )


def test_it_moves_the_cursor_past_what_it_returned(
    channel: Channel, alice: Client, bob: Client
) -> None:
    start = channel.connector.fetch_interactions({})
    reply = reply_as(bob, published_post(channel, alice, unique("Frage")), "Antwort")
    notified(channel, start.cursor, reply)
    page = channel.connector.fetch_interactions(start.cursor)
    again = channel.connector.fetch_interactions(page.cursor)
    assert reply not in [item.remote_id for item in again.items]


def test_it_replies_in_the_thread(channel: Channel, alice: Client, bob: Client) -> None:
    post = published_post(channel, alice, unique("Hinweis"))
    comment = reply_as(bob, post, "Wann?")
    until(lambda: alice.get_posts([comment]).posts)
    answer = channel.connector.reply(comment, OutgoingPost(text="Ab 18 Uhr."))
    [view] = until(lambda: alice.get_posts([answer.remote_id]).posts)
    assert (view.record.reply.root.uri, view.record.reply.parent.uri) == (post, comment)


def test_it_hides_a_reply_in_our_thread(
    channel: Channel, alice: Client, bob: Client
) -> None:
    post = published_post(channel, alice, unique("Thread"))
    reply = reply_as(bob, post, "Beleidigung")
    until(lambda: alice.get_posts([reply]).posts)
    channel.connector.hide(reply)
    gate = until(lambda: alice.get_post_thread(post).thread.post.threadgate)
    assert gate.record.hidden_replies == [reply]


def test_it_unhides_a_reply(channel: Channel, alice: Client, bob: Client) -> None:
    post = published_post(channel, alice, unique("Thread"))
    reply = reply_as(bob, post, "Doch okay")
    until(lambda: alice.get_posts([reply]).posts)
    channel.connector.hide(reply)
    channel.connector.unhide(reply)
    gate = alice.com.atproto.repo.get_record(
        {
            "repo": channel.config["did"],
            "collection": "app.bsky.feed.threadgate",
            "rkey": post.rsplit("/", 1)[1],
        }
    )
    assert gate.value.hidden_replies == []


def test_it_refuses_to_hide_replies_in_other_threads(
    channel: Channel, alice: Client, bob: Client
) -> None:
    other = bob.send_post(unique("Bobs Post")).uri
    until(lambda: alice.get_posts([other]).posts)
    reply = reply_as(alice, other, "Hallo Bob")
    until(lambda: alice.get_posts([reply]).posts)
    with pytest.raises(ContentRejected, match="only replies in threads of our posts"):
        channel.connector.hide(reply)


def test_it_deletes_a_post(channel: Channel, alice: Client) -> None:
    post = published_post(channel, alice, unique("Weg damit"))
    channel.connector.delete(post)
    assert until(lambda: not alice.get_posts([post]).posts)


def test_it_fetches_followers_and_post_counts(
    channel: Channel, alice: Client, bob: Client
) -> None:
    post = published_post(channel, alice, unique("Zählt mich"))
    view = bob.get_posts([post]).posts[0]
    bob.like(view.uri, view.cid)
    bob.repost(view.uri, view.cid)
    reply_as(bob, post, "Gut")
    if not bob.get_profile("alice.test").viewer.following:
        bob.follow(channel.config["did"])

    def counted() -> Any:
        metrics = channel.connector.fetch_metrics((post,))
        counts = metrics.posts[0]
        counted = (counts.likes, counts.shares, counts.replies) == (1, 1, 1)
        return counted and (metrics.followers or 0) >= 1

    assert until(counted)


def test_it_blocks_an_account(channel: Channel, alice: Client, bob: Client) -> None:
    channel.connector.block(bob.me.did)
    assert until(lambda: alice.get_profile(bob.me.did).viewer.blocking)
    channel.connector.block(bob.me.did)  # once is enough: no second block record
    blocks = alice.com.atproto.repo.list_records(
        {"repo": channel.config["did"], "collection": "app.bsky.graph.block"}
    )
    assert len(blocks.records) == 1
    alice.app.bsky.graph.block.delete(
        channel.config["did"], blocks.records[0].uri.rsplit("/", 1)[1]
    )


def test_it_mutes_an_account(channel: Channel, alice: Client, bob: Client) -> None:
    channel.connector.mute(bob.me.did)
    assert alice.get_profile(bob.me.did).viewer.muted is True
    alice.unmute(bob.me.did)


def test_it_searches_posts(channel: Channel, bob: Client) -> None:
    word = f"Wortsuche{next(numbers)}{datetime.now(UTC).timestamp():.0f}"
    bob.send_post(f"Wo ist die {word}?")
    found = until(lambda: channel.connector.search(word))
    assert [item.author_handle for item in found] == ["bob.test"]


@pytest.mark.django_db
def test_it_saves_a_refreshed_session(network: Devnet) -> None:
    channel = connected()  # its own session: refreshing ends the old one
    channel.save()
    before = channel.credentials["session"]
    channel.connector.client._refresh_and_set_session()
    channel.refresh_from_db()
    assert channel.credentials["session"] not in ("", before)
    assert channel.credentials["app_password"] == "alice-pass"


@pytest.mark.django_db
def test_it_logs_in_again_once_the_session_has_ended(channel: Channel) -> None:
    channel.set_credentials({**channel.credentials, "session": ended_session(channel)})
    channel.save()
    assert until(channel.connector.verify).handle == "@alice.test"
    channel.refresh_from_db()
    assert channel.credentials["session"] != ended_session(channel)


def test_it_asks_for_new_access_when_the_app_password_is_revoked(
    channel: Channel,
) -> None:
    channel.set_credentials(
        {
            **channel.credentials,
            "session": ended_session(channel),
            "app_password": "revoked",
        }
    )
    with pytest.raises(AuthExpired, match="AuthenticationRequired"):
        channel.connector.verify()


def test_it_derives_record_keys_in_tid_syntax() -> None:
    keys = {tid_for(f"key-{n}") for n in range(200)}
    assert len(keys) == 200
    assert all(len(k) == 13 and k[0] in "234567abcdefghij" for k in keys)
    assert tid_for("a") == tid_for("a")
