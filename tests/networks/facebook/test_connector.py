"""The Facebook page connector against recorded Graph API payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leitstelle.networks.base import (
    AuthExpired,
    ConnectorError,
    ContentRejected,
    ItemKind,
    Media,
    OutgoingPost,
)
from leitstelle.networks.facebook.connector import comment_item
from leitstelle.networks.models import Channel
from leitstelle.networks.payloads import parse_each
from tests.networks.facebook.conftest import PAGE_ID, POST_ID, make_channel, payload
from tests.networks.graph_errors import (
    GRAPH_ERRORS,
    IDS,
    Answer,
    answer_with,
    assert_carries,
)

JPEG = b"\xff\xd8\xff\xe0 not really a jpeg"


def form(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.content.decode())


def test_it_verifies_the_page(channel: Channel, graph: respx.MockRouter) -> None:
    graph.get("/me").respond(json=payload("me.json"))
    account = channel.connector.verify()
    assert (account.remote_id, account.handle) == (PAGE_ID, "polizei.musterstadt")
    assert account.display_name == "Polizei Musterstadt"
    assert account.avatar_url.endswith("avatar.jpg"), account
    assert account.profile_url == "https://www.facebook.com/polizei.musterstadt"


def test_it_sends_the_token_in_a_header_not_the_url(
    channel: Channel, graph: respx.MockRouter
) -> None:
    route = graph.get("/me").respond(json=payload("me.json"))
    channel.connector.verify()
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer PAGE-TOKEN"
    assert "PAGE-TOKEN" not in str(request.url)


def test_it_reads_the_token_expiry_with_an_app_token(graph: respx.MockRouter) -> None:
    channel = make_channel(app_token="APP|SECRET")
    graph.get("/me").respond(json=payload("me.json"))
    debug = graph.get("/debug_token").respond(json=payload("debug_token.json"))
    account = channel.connector.verify()
    # expires_at 0 means never; data access ends 2026-01-01.
    expected = datetime(2026, 1, 1, tzinfo=UTC)
    assert channel.credentials_expire_at == expected
    assert account.extra["credentials_expire_at"] == expected.isoformat()
    assert "pages_manage_posts" in account.extra["scopes"]
    request = debug.calls.last.request
    assert request.headers["Authorization"] == "Bearer APP|SECRET"
    assert request.url.params["input_token"] == "PAGE-TOKEN"


def test_it_refuses_a_revoked_token_on_verify(graph: respx.MockRouter) -> None:
    channel = make_channel(app_token="APP|SECRET")
    graph.get("/me").respond(json=payload("me.json"))
    graph.get("/debug_token").respond(json=payload("debug_token_invalid.json"))
    with pytest.raises(AuthExpired, match="no longer valid"):
        channel.connector.verify()


def test_it_refuses_a_token_of_another_page(graph: respx.MockRouter) -> None:
    channel = make_channel()
    channel.config["page_id"] = "999"
    graph.get("/me").respond(json=payload("me.json"))
    with pytest.raises(ConnectorError, match="another page") as caught:
        channel.connector.verify()
    assert caught.value.permanent


def test_it_publishes_text_to_the_feed(
    channel: Channel, graph: respx.MockRouter
) -> None:
    route = graph.post(f"/{PAGE_ID}/feed").respond(json=payload("feed_post.json"))
    posted = channel.connector.publish(OutgoingPost(text="Guten Morgen"))
    assert posted.remote_id == "104512345678901_122100000000000001"
    assert posted.url == "https://www.facebook.com/104512345678901_122100000000000001"
    assert form(route.calls.last.request) == {"message": ["Guten Morgen"]}


def test_it_publishes_a_photo_with_alt_text(
    channel: Channel, graph: respx.MockRouter
) -> None:
    route = graph.post(f"/{PAGE_ID}/photos").respond(
        json=payload("photo_published.json")
    )
    image = Media(
        content=JPEG, mime_type="image/jpeg", alt_text="Unfallstelle", filename="a.jpg"
    )
    posted = channel.connector.publish(OutgoingPost(text="Sperrung", media=(image,)))
    assert posted.remote_id == "104512345678901_122100000000000002"
    body = route.calls.last.request.content
    assert b'name="alt_text_custom"\r\n\r\nUnfallstelle' in body
    assert b'name="message"\r\n\r\nSperrung' in body
    assert JPEG in body


def test_it_publishes_several_photos_as_one_post(
    channel: Channel, graph: respx.MockRouter
) -> None:
    photos = graph.post(f"/{PAGE_ID}/photos").respond(
        json=payload("photo_unpublished.json")
    )
    feed = graph.post(f"/{PAGE_ID}/feed").respond(json=payload("feed_post.json"))
    images = tuple(Media(content=JPEG, mime_type="image/jpeg") for _ in range(2))
    channel.connector.publish(OutgoingPost(text="Zwei Bilder", media=images))
    assert photos.call_count == 2
    assert b'name="published"\r\n\r\nfalse' in photos.calls.last.request.content
    sent = form(feed.calls.last.request)
    assert json.loads(sent["attached_media[1]"][0]) == {
        "media_fbid": "122100000000000102"
    }
    assert sent["message"] == ["Zwei Bilder"]


def test_it_finds_a_recent_post_with_the_same_text(
    channel: Channel, graph: respx.MockRouter
) -> None:
    posts = payload("published_posts.json")
    posts["data"][1]["created_time"] = datetime.now(UTC).strftime(
        "%Y-%m-%dT%H:%M:%S+0000"
    )
    graph.get(f"/{PAGE_ID}/published_posts").respond(json=posts)
    post = OutgoingPost(text="Guten  Morgen aus der\nLeitstelle!", idempotency_key="k")
    found = channel.connector.find_published("k", post=post)
    assert found is not None and found.remote_id == "104512345678901_122100000000000001"
    assert found.url.endswith("/posts/122100000000000001")


def test_it_finds_nothing_when_the_same_text_is_old(
    channel: Channel, graph: respx.MockRouter
) -> None:
    graph.get(f"/{PAGE_ID}/published_posts").respond(
        json=payload("published_posts.json")
    )
    post = OutgoingPost(text="Guten Morgen aus der Leitstelle!", idempotency_key="k")
    assert channel.connector.find_published("k", post=post) is None


def test_it_needs_the_post_to_find_it(channel: Channel) -> None:
    with pytest.raises(ValueError, match="pass the post"):
        channel.connector.find_published("k")


def test_it_edits_the_text_of_a_post(channel: Channel, graph: respx.MockRouter) -> None:
    route = graph.post(f"/{POST_ID}").respond(json=payload("success.json"))
    edited = channel.connector.edit(POST_ID, OutgoingPost(text="Korrigiert"))
    assert edited.remote_id == POST_ID
    assert form(route.calls.last.request) == {"message": ["Korrigiert"]}


def test_it_refuses_to_edit_images(channel: Channel) -> None:
    post = OutgoingPost(text="x", media=(Media(content=JPEG, mime_type="image/jpeg"),))
    with pytest.raises(ContentRejected, match="cannot change the images"):
        channel.connector.edit(POST_ID, post)


def test_it_deletes_a_post(channel: Channel, graph: respx.MockRouter) -> None:
    route = graph.delete(f"/{POST_ID}").respond(json=payload("success.json"))
    channel.connector.delete(POST_ID)
    assert route.called


def watch_one_post(graph: respx.MockRouter) -> None:
    posts = {"data": [{"id": POST_ID}]}
    graph.get(f"/{PAGE_ID}/published_posts").respond(json=posts)


def comment_pages(graph: respx.MockRouter) -> respx.Route:
    """Route both comment pages; return the second one's route."""
    after = "WTI5dGJXVnVkRjlqZAFhKemIzSTZAM"
    second = graph.get(f"/{POST_ID}/comments", params={"after": after})
    second.respond(json=payload("comments_page2.json"))
    graph.get(f"/{POST_ID}/comments").respond(json=payload("comments_page1.json"))
    return second


def test_it_fetches_comments_and_replies(
    channel: Channel, graph: respx.MockRouter
) -> None:
    watch_one_post(graph)
    comment_pages(graph)
    page = channel.connector.fetch_interactions({})
    reply, comment, first = page.items
    assert (reply.kind, reply.in_reply_to) == (
        ItemKind.REPLY,
        "122100000000000003_1500000000000001",
    )
    assert (comment.kind, comment.in_reply_to, comment.root_post) == (
        ItemKind.COMMENT,
        POST_ID,
        POST_ID,
    )
    assert comment.media_urls == (
        "https://scontent.example.fbcdn.net/v/t39/comment-photo.jpg",
    )
    assert (comment.author_id, comment.author_name) == (
        "7100000000000002",
        "Hans Muster",
    )
    assert first.text == "Ist die Straße wieder frei?"
    assert page.cursor == {"since": "2025-06-02T09:30:00+00:00"}
    assert reply.raw["from"]["name"] == "Erika Mustermann"


def test_it_follows_comment_pages_without_the_echoed_token(
    channel: Channel, graph: respx.MockRouter
) -> None:
    watch_one_post(graph)
    second = comment_pages(graph)
    channel.connector.fetch_interactions({})
    assert "access_token" not in str(second.calls.last.request.url)


def test_it_stops_at_comments_older_than_the_cursor(
    channel: Channel, graph: respx.MockRouter
) -> None:
    watch_one_post(graph)
    second = comment_pages(graph)
    page = channel.connector.fetch_interactions({"since": "2025-06-02T09:20:00+00:00"})
    assert [item.remote_id for item in page.items] == [
        "122100000000000003_1500000000000003"
    ]
    assert not second.called


def test_it_keeps_the_cursor_when_nothing_is_new(
    channel: Channel, graph: respx.MockRouter
) -> None:
    watch_one_post(graph)
    graph.get(f"/{POST_ID}/comments").respond(json=payload("comments_empty.json"))
    cursor = {"since": "2025-06-02T09:30:00+00:00"}
    page = channel.connector.fetch_interactions(cursor)
    assert (page.items, page.cursor) == ((), cursor)


def test_it_quarantines_a_comment_without_a_time(
    channel: Channel, graph: respx.MockRouter
) -> None:
    watch_one_post(graph)
    broken = {"data": [{"id": "c1", "message": "Hallo"}]}
    graph.get(f"/{POST_ID}/comments").respond(json=broken)
    page = channel.connector.fetch_interactions({})
    [quarantined] = page.quarantined
    assert page.items == ()
    assert quarantined.raw == {"id": "c1", "message": "Hallo"}
    assert "time" in quarantined.reason


def test_it_replies_to_a_comment(channel: Channel, graph: respx.MockRouter) -> None:
    comment_id = "122100000000000003_1500000000000002"
    route = graph.post(f"/{comment_id}/comments").respond(
        json=payload("comment_created.json")
    )
    posted = channel.connector.reply(
        comment_id, OutgoingPost(text="Etwa zwei Stunden.")
    )
    assert posted.remote_id == "122100000000000003_1500000000000009"
    assert form(route.calls.last.request) == {"message": ["Etwa zwei Stunden."]}


@pytest.mark.parametrize(("method", "value"), [("hide", "true"), ("unhide", "false")])
def test_it_hides_and_unhides_a_comment(
    channel: Channel, graph: respx.MockRouter, method: str, value: str
) -> None:
    route = graph.post("/c-1").respond(json=payload("success.json"))
    getattr(channel.connector, method)("c-1")
    assert form(route.calls.last.request) == {"is_hidden": [value]}


def test_it_blocks_a_person_from_the_page(
    channel: Channel, graph: respx.MockRouter
) -> None:
    route = graph.post(f"/{PAGE_ID}/blocked").respond(json=payload("blocked.json"))
    channel.connector.block("7100000000000002")
    assert form(route.calls.last.request) == {"user": ['["7100000000000002"]']}


def test_it_fetches_followers_and_post_metrics(
    channel: Channel, graph: respx.MockRouter
) -> None:
    graph.get(f"/{PAGE_ID}").respond(json=payload("page_followers.json"))
    graph.get(f"/{POST_ID}").respond(json=payload("post_metrics.json"))
    metrics = channel.connector.fetch_metrics((POST_ID,))
    assert metrics.followers == 48211
    [post] = metrics.posts
    assert (post.likes, post.replies, post.shares) == (128, 17, 9)


def test_it_counts_no_shares_when_graph_leaves_them_out(
    channel: Channel, graph: respx.MockRouter
) -> None:
    graph.get(f"/{PAGE_ID}").respond(json={"fan_count": 10, "id": PAGE_ID})
    body = payload("post_metrics.json")
    del body["shares"]
    graph.get(f"/{POST_ID}").respond(json=body)
    metrics = channel.connector.fetch_metrics((POST_ID,))
    assert (metrics.followers, metrics.posts[0].shares) == (10, 0)


def test_its_capabilities_match_the_page_api() -> None:
    capabilities = make_channel().connector.capabilities
    assert (capabilities.edit, capabilities.hide, capabilities.block) == (
        True,
        True,
        True,
    )
    assert not capabilities.search and not capabilities.direct_messages


odd = st.one_of(
    st.none(), st.integers(), st.text(), st.booleans(), st.lists(st.integers())
)
comment = st.fixed_dictionaries(
    {},
    optional={
        "id": odd,
        "message": odd,
        "created_time": st.one_of(odd, st.just("2025-06-02T09:30:00+0000")),
        "from": st.one_of(odd, st.dictionaries(st.sampled_from(["id", "name"]), odd)),
        "parent": st.one_of(odd, st.dictionaries(st.just("id"), odd)),
        "attachment": odd,
        "permalink_url": odd,
    },
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(comment, odd), max_size=5))
def test_odd_comments_never_crash_and_go_to_quarantine(raws: list) -> None:
    items, quarantined = parse_each(raws, lambda raw: comment_item(raw, POST_ID))
    assert len(items) + len(quarantined) == len(raws)
    assert all(q.reason for q in quarantined), quarantined
    assert all(any(q.raw is raw for raw in raws) for q in quarantined)


@pytest.mark.parametrize(("answer", "error", "detail"), GRAPH_ERRORS, ids=IDS)
def test_it_turns_graph_errors_into_typed_errors(
    channel: Channel, graph: respx.MockRouter, answer: Answer, error: type, detail: dict
) -> None:
    answer_with(graph.post(f"/{PAGE_ID}/feed"), answer)
    with pytest.raises(error) as caught:
        channel.connector.publish(OutgoingPost(text="Hallo"))
    assert_carries(caught.value, detail)
