"""The Mastodon connector's operations against mastodon-mock's real server."""

from __future__ import annotations

from typing import Any

import pytest
from mastodon.errors import MastodonNotFoundError

from leitstelle.lib.text import count
from leitstelle.networks.base import ItemKind, Media, OutgoingPost
from leitstelle.networks.mastodon import connector as mastodon_connector
from leitstelle.networks.mastodon.forms import channel_config
from leitstelle.networks.models import Channel
from tests.networks.mastodon.conftest import PNG, payload


def test_it_verifies_the_account(channel: Channel, alice: Any) -> None:
    account = channel.connector.verify()
    assert (account.handle, account.display_name) == ("@alice@mock.local", "Alice")
    assert account.remote_id == f"{alice.me()['id']}@mock.local"
    assert account.avatar_url.startswith("https://"), account


def test_it_publishes_an_image_with_alt_text(channel: Channel, alice: Any) -> None:
    image = Media(
        content=PNG, mime_type="image/png", alt_text="Rote Ampel", filename="a.png"
    )
    posted = channel.connector.publish(OutgoingPost(text="Achtung", media=(image,)))
    status = alice.status(posted.remote_id)
    assert [m["description"] for m in status["media_attachments"]] == ["Rote Ampel"]
    assert posted.published_at is not None and posted.url, posted


def test_it_publishes_once_per_idempotency_key(channel: Channel, alice: Any) -> None:
    post = OutgoingPost(text="Einmal", idempotency_key="post-7-attempt")
    first, second = channel.connector.publish(post), channel.connector.publish(post)
    assert first.remote_id == second.remote_id
    assert len(alice.account_statuses(alice.me()["id"])) == 1


def test_it_finds_nothing_by_idempotency_key(channel: Channel) -> None:
    """Mastodon keeps no trace of the key on the status itself."""
    channel.connector.publish(OutgoingPost(text="Hallo", idempotency_key="k-1"))
    assert channel.connector.find_published("k-1") is None


def test_it_fetches_a_comment_on_our_post(channel: Channel, bob: Any) -> None:
    posted = channel.connector.publish(OutgoingPost(text="Unfall auf der B96"))
    reply = bob.status_post(
        "@alice Ist die <b>Straße</b> frei?\nDanke", in_reply_to_id=posted.remote_id
    )
    page = channel.connector.fetch_interactions({})
    [item] = page.items
    assert (item.kind, item.remote_id) == (ItemKind.COMMENT, str(reply["id"]))
    assert (item.in_reply_to, item.root_post) == (posted.remote_id, posted.remote_id)
    assert item.text == "@alice Ist die <b>Straße</b> frei?\nDanke"
    assert (item.author_handle, item.author_name) == ("bob", "Bob")
    assert (
        item.raw["status"]["id"] == str(reply["id"])
        or item.raw["status"]["id"] == reply["id"]
    )


def test_it_fetches_only_what_came_after_the_cursor(channel: Channel, bob: Any) -> None:
    bob.status_post("@alice erste Frage")
    first = channel.connector.fetch_interactions({})
    second_status = bob.status_post("@alice zweite Frage")
    second = channel.connector.fetch_interactions(first.cursor)
    assert [item.remote_id for item in second.items] == [str(second_status["id"])]
    assert second.cursor != first.cursor


def test_it_keeps_the_cursor_when_nothing_is_new(channel: Channel, bob: Any) -> None:
    bob.status_post("@alice Frage")
    first = channel.connector.fetch_interactions({})
    again = channel.connector.fetch_interactions(first.cursor)
    assert (again.items, again.cursor, again.has_more) == ((), first.cursor, False)


def test_it_pages_through_many_mentions(
    channel: Channel, bob: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mastodon_connector, "PAGE_SIZE", 2)
    start = channel.connector.fetch_interactions({})
    texts = [f"@alice Nummer {n}" for n in range(3)]
    for text in texts:
        bob.status_post(text)
    page = channel.connector.fetch_interactions(start.cursor)
    rest = channel.connector.fetch_interactions(page.cursor)
    assert (page.has_more, rest.has_more) == (True, False)
    assert sorted(item.text for item in page.items + rest.items) == texts


def test_it_marks_direct_messages(channel: Channel, bob: Any) -> None:
    bob.status_post("@alice vertraulicher Hinweis", visibility="direct")
    [item] = channel.connector.fetch_interactions({}).items
    assert item.kind == ItemKind.DIRECT_MESSAGE


def test_it_marks_mentions_outside_our_threads(channel: Channel, bob: Any) -> None:
    bob.status_post("@alice schaut euch das an")
    [item] = channel.connector.fetch_interactions({}).items
    assert (item.kind, item.in_reply_to, item.root_post) == (ItemKind.MENTION, "", "")


def test_it_marks_replies_deeper_in_a_thread(
    channel: Channel, bob: Any, server: Any
) -> None:
    posted = channel.connector.publish(OutgoingPost(text="Hinweis"))
    carol = server.client("carol")
    comment = carol.status_post("Stimmt das?", in_reply_to_id=posted.remote_id)
    bob.status_post("@carol @alice ja", in_reply_to_id=comment["id"])
    items = channel.connector.fetch_interactions({}).items
    assert [(i.kind, i.in_reply_to) for i in items] == [
        (ItemKind.REPLY, str(comment["id"]))
    ]


def test_it_replies_to_a_comment_mentioning_its_author(
    channel: Channel, bob: Any, alice: Any
) -> None:
    posted = channel.connector.publish(OutgoingPost(text="Hinweis"))
    comment = bob.status_post("@alice Wann?", in_reply_to_id=posted.remote_id)
    answer = channel.connector.reply(
        str(comment["id"]), OutgoingPost(text="Ab 18 Uhr.")
    )
    status = alice.status(answer.remote_id)
    assert status["in_reply_to_id"] == comment["id"]
    assert "@bob" in status["content"] and status["visibility"] == "public"


def test_it_answers_a_direct_message_directly(
    channel: Channel, bob: Any, alice: Any
) -> None:
    message = bob.status_post("@alice vertraulich", visibility="direct")
    answer = channel.connector.reply(str(message["id"]), OutgoingPost(text="Danke"))
    assert alice.status(answer.remote_id)["visibility"] == "direct"


def test_it_edits_a_status(channel: Channel, alice: Any) -> None:
    posted = channel.connector.publish(OutgoingPost(text="Tippfeler"))
    edited = channel.connector.edit(posted.remote_id, OutgoingPost(text="Tippfehler"))
    status = alice.status(posted.remote_id)
    assert edited.remote_id == posted.remote_id
    assert (status["content"], status["edited_at"] is not None) == (
        "<p>Tippfehler</p>",
        True,
    )


def test_it_deletes_a_status(channel: Channel, alice: Any) -> None:
    posted = channel.connector.publish(OutgoingPost(text="Weg damit"))
    channel.connector.delete(posted.remote_id)
    with pytest.raises(MastodonNotFoundError):
        alice.status(posted.remote_id)


def test_it_treats_a_status_deleted_before_as_deleted(channel: Channel) -> None:
    posted = channel.connector.publish(OutgoingPost(text="Weg damit"))
    channel.connector.delete(posted.remote_id)
    assert channel.connector.delete(posted.remote_id) is None


def test_it_blocks_an_author(channel: Channel, alice: Any, bob: Any) -> None:
    bob_id = str(bob.me()["id"])
    channel.connector.block(bob_id)
    [relationship] = alice.account_relationships(bob_id)
    assert relationship["blocking"] is True


def test_it_mutes_an_author(channel: Channel, alice: Any, bob: Any) -> None:
    bob_id = str(bob.me()["id"])
    channel.connector.mute(bob_id)
    [relationship] = alice.account_relationships(bob_id)
    assert relationship["muting"] is True


def test_it_fetches_followers_and_post_counts(channel: Channel, bob: Any) -> None:
    posted = channel.connector.publish(OutgoingPost(text="Zählt mich"))
    bob.account_follow(bob.account_lookup("alice")["id"])
    bob.status_favourite(posted.remote_id)
    bob.status_reblog(posted.remote_id)
    bob.status_post("@alice gut", in_reply_to_id=posted.remote_id)
    metrics = channel.connector.fetch_metrics((posted.remote_id,))
    assert metrics.followers == 1
    [post] = metrics.posts
    assert (post.remote_id, post.likes, post.shares, post.replies) == (
        posted.remote_id,
        1,
        1,
        1,
    )


def test_it_searches_a_hashtag(channel: Channel, bob: Any) -> None:
    bob.status_post("Stau am #Kreuz Nord")
    bob.status_post("Sonnenschein")
    found = channel.connector.search("#Kreuz")
    assert [item.text for item in found] == ["Stau am #Kreuz Nord"]


def test_it_searches_statuses(channel: Channel, bob: Any) -> None:
    bob.status_post("Blitzer in der Hauptstraße")
    found = channel.connector.search("Blitzer")
    assert [item.author_handle for item in found] == ["bob"]


def test_it_counts_grapheme_clusters_as_mastodon_does() -> None:
    """StatusLengthValidator counts a family emoji or "é" (e + accent) once."""
    config = channel_config(
        "https://social.example",
        {"domain": "social.example", "limits": {"max_characters": 500}},
    )
    rules = Channel(kind="mastodon", config=config).connector.text_rules
    assert count("\U0001f468\u200d\U0001f469\u200d\U0001f467 cafe\u0301", rules) == 6
    assert count("siehe https://polizei.example/a/very/long/path", rules) == 6 + 23


def test_it_takes_its_limits_from_the_instance() -> None:
    configuration = payload("instance_v2.json")["configuration"]
    limits = {**configuration["statuses"], **configuration["media_attachments"]}
    config = channel_config(
        "https://social.example", {"domain": "social.example", "limits": limits}
    )
    connector = Channel(kind="mastodon", config=config).connector
    assert (connector.text_rules.max_length, connector.text_rules.url_length) == (
        5000,
        23,
    )
    assert (
        connector.media_rules.max_images,
        connector.media_rules.max_image_bytes,
    ) == (6, 16777216)
    assert "image/heic" in connector.media_rules.image_types
    assert connector.media_rules.video_types == (
        "video/webm",
        "video/mp4",
        "video/quicktime",
    )


def test_it_falls_back_to_a_stock_instance_limits() -> None:
    connector = Channel(
        kind="mastodon", config={"instance": "https://x.example"}
    ).connector
    assert (connector.text_rules.max_length, connector.media_rules.alt_text_length) == (
        500,
        1500,
    )
