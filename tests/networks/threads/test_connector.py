"""The Threads connector against recorded Threads API payloads."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leitstelle.networks.base import ContentRejected, ItemKind, Media, OutgoingPost
from leitstelle.networks.models import Channel
from leitstelle.networks.payloads import parse_each
from leitstelle.networks.threads.connector import thread_item
from leitstelle.networks.threads.forms import ConnectForm
from tests.networks.graph_errors import (
    GRAPH_ERRORS,
    IDS,
    Answer,
    answer_with,
    assert_carries,
)
from tests.networks.threads.conftest import POST_ID, payload

PNG = b"\x89PNG\r\n\x1a\n not really"


def form(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.content.decode())


def test_it_verifies_the_profile(channel: Channel, api: respx.MockRouter) -> None:
    route = api.get("/me").respond(json=payload("me.json"))
    account = channel.connector.verify()
    assert (account.remote_id, account.handle) == (
        "1234567890123456",
        "polizei.musterstadt",
    )
    assert account.display_name == "Polizei Musterstadt"
    assert account.avatar_url.endswith("threads-avatar.jpg")
    assert account.profile_url == "https://www.threads.net/@polizei.musterstadt"
    assert route.calls.last.request.headers["Authorization"] == "Bearer THREADS-TOKEN"


def published(api: respx.MockRouter) -> respx.Route:
    route = api.post("/me/threads_publish").respond(json=payload("publish.json"))
    api.get(f"/{POST_ID}").respond(json=payload("post.json"))
    return route


def test_it_publishes_text_without_waiting(
    channel: Channel, api: respx.MockRouter, pauses: list[float]
) -> None:
    container = api.post("/me/threads").respond(json=payload("container.json"))
    status = api.get("/17999999999999901")
    publish = published(api)
    posted = channel.connector.publish(OutgoingPost(text="Rettungsgasse bilden!"))
    assert form(container.calls.last.request) == {
        "text": ["Rettungsgasse bilden!"],
        "media_type": ["TEXT"],
    }
    assert form(publish.calls.last.request) == {"creation_id": ["17999999999999901"]}
    assert posted.remote_id == POST_ID
    assert posted.url.endswith("/post/DAbCdEfGhIj")
    assert posted.published_at == datetime(2025, 6, 2, 8, 15, tzinfo=UTC)
    assert not status.called and pauses == []


def test_it_publishes_an_image_with_alt_text(
    channel: Channel, api: respx.MockRouter
) -> None:
    container = api.post("/me/threads").respond(json=payload("container.json"))
    api.get("/17999999999999901").respond(json=payload("container_finished.json"))
    published(api)
    image = Media(content=PNG, mime_type="image/png", alt_text="Stau auf der A4")
    channel.connector.publish(OutgoingPost(text="Stau", media=(image,)))
    sent = form(container.calls.last.request)
    assert (sent["media_type"], sent["alt_text"]) == (["IMAGE"], ["Stau auf der A4"])
    assert urlsplit(sent["image_url"][0]).path.startswith("/kanaele/threads/medien/")
    assert sent["image_url"][0].startswith(django_settings.BASE_URL)


def test_it_publishes_a_carousel(channel: Channel, api: respx.MockRouter) -> None:
    child = api.post("/me/threads", data__contains={"is_carousel_item": "true"})
    child.respond(json=payload("container_child.json"))
    carousel = api.post("/me/threads").respond(json=payload("container.json"))
    api.get("/17999999999999902").respond(json=payload("container_finished.json"))
    api.get("/17999999999999901").respond(json=payload("container_finished.json"))
    published(api)
    images = (Media(PNG, "image/png"), Media(PNG, "image/png"))
    channel.connector.publish(OutgoingPost(text="Bilder", media=images))
    assert child.call_count == 2
    sent = form(carousel.calls.last.request)
    assert (sent["media_type"], sent["children"]) == (
        ["CAROUSEL"],
        ["17999999999999902,17999999999999902"],
    )


def test_it_rejects_an_image_threads_could_not_process(
    channel: Channel, api: respx.MockRouter
) -> None:
    api.post("/me/threads").respond(json=payload("container.json"))
    api.get("/17999999999999901").respond(json=payload("container_error.json"))
    with pytest.raises(ContentRejected, match="could not process"):
        channel.connector.publish(
            OutgoingPost(text="x", media=(Media(PNG, "image/png"),))
        )


def test_it_replies_with_reply_to_id(channel: Channel, api: respx.MockRouter) -> None:
    container = api.post("/me/threads").respond(json=payload("container.json"))
    published(api)
    channel.connector.reply("18000000000000101", OutgoingPost(text="Ja, wieder frei."))
    sent = form(container.calls.last.request)
    assert sent["reply_to_id"] == ["18000000000000101"]
    assert sent["text"] == ["Ja, wieder frei."]


def test_it_finds_a_recent_post_with_the_same_text(
    channel: Channel, api: respx.MockRouter
) -> None:
    posts = payload("threads.json")
    posts["data"][0]["timestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
    api.get("/me/threads").respond(json=posts)
    post = OutgoingPost(text="Unfall auf der A4, bitte Rettungsgasse bilden!")
    found = channel.connector.find_published("k", post=post)
    assert found is not None and found.remote_id == POST_ID


def test_it_finds_nothing_older_than_a_day(
    channel: Channel, api: respx.MockRouter
) -> None:
    api.get("/me/threads").respond(json=payload("threads.json"))
    post = OutgoingPost(text="Unfall auf der A4, bitte Rettungsgasse bilden!")
    assert channel.connector.find_published("k", post=post) is None


def test_it_deletes_a_post(channel: Channel, api: respx.MockRouter) -> None:
    route = api.delete(f"/{POST_ID}").respond(json=payload("delete.json"))
    channel.connector.delete(POST_ID)
    assert route.called


def conversation(api: respx.MockRouter) -> respx.Route:
    api.get("/me/threads").respond(json={"data": [{"id": POST_ID}]})
    second = api.get(f"/{POST_ID}/conversation", params={"after": "QVFIUmN2"})
    second.respond(json=payload("conversation_page2.json"))
    api.get(f"/{POST_ID}/conversation").respond(json=payload("conversation.json"))
    return second


def test_it_fetches_replies_of_any_depth_but_not_its_own(
    channel: Channel, api: respx.MockRouter
) -> None:
    conversation(api)
    page = channel.connector.fetch_interactions({})
    nested, first, older = page.items
    assert (nested.kind, nested.in_reply_to, nested.root_post) == (
        ItemKind.REPLY,
        "18000000000000101",
        POST_ID,
    )
    assert (first.kind, first.in_reply_to) == (ItemKind.COMMENT, POST_ID)
    assert first.media_urls == (
        "https://scontent.cdninstagram.com/v/t51/reply-photo.jpg",
    )
    assert (first.author_handle, first.author_url) == (
        "erika.muster",
        "https://www.threads.net/@erika.muster",
    )
    assert older.text == "Gute Fahrt allen", "the second page was read"
    assert page.cursor == {"since": "2025-06-02T09:20:00+00:00"}


def test_it_stops_paging_at_replies_older_than_the_cursor(
    channel: Channel, api: respx.MockRouter
) -> None:
    second = conversation(api)
    page = channel.connector.fetch_interactions({"since": "2025-06-02T09:10:00+00:00"})
    assert [item.remote_id for item in page.items] == ["18000000000000102"]
    assert not second.called


def test_it_quarantines_a_reply_without_author(
    channel: Channel, api: respx.MockRouter
) -> None:
    api.get("/me/threads").respond(json={"data": [{"id": POST_ID}]})
    broken = {
        "data": [{"id": "1", "text": "?", "timestamp": "2025-06-02T09:00:00+0000"}]
    }
    api.get(f"/{POST_ID}/conversation").respond(json=broken)
    page = channel.connector.fetch_interactions({})
    assert page.items == ()
    assert page.quarantined[0].raw == broken["data"][0]
    assert "username" in page.quarantined[0].reason


@pytest.mark.parametrize(("method", "value"), [("hide", "true"), ("unhide", "false")])
def test_it_hides_and_unhides_a_reply(
    channel: Channel, api: respx.MockRouter, method: str, value: str
) -> None:
    route = api.post("/18000000000000101/manage_reply").respond(
        json=payload("manage_reply.json")
    )
    getattr(channel.connector, method)("18000000000000101")
    assert form(route.calls.last.request) == {"hide": [value]}


def test_it_fetches_followers_and_post_insights(
    channel: Channel, api: respx.MockRouter
) -> None:
    api.get("/me/threads_insights").respond(json=payload("user_insights.json"))
    api.get(f"/{POST_ID}/insights").respond(json=payload("media_insights.json"))
    metrics = channel.connector.fetch_metrics((POST_ID,))
    assert metrics.followers == 8123
    [post] = metrics.posts
    assert (post.likes, post.replies, post.shares, post.reach) == (210, 31, 15, 5400)


def test_it_searches_recent_posts(channel: Channel, api: respx.MockRouter) -> None:
    route = api.get("/keyword_search").respond(json=payload("keyword_search.json"))
    [hit] = channel.connector.search("A4")
    assert (hit.kind, hit.author_handle, hit.text) == (
        ItemKind.MENTION,
        "driver_a4",
        "Stau auf der A4 bei Dresden",
    )
    params = route.calls.last.request.url.params
    assert (params["q"], params["search_type"]) == ("A4", "RECENT")


def test_its_rules_are_the_documented_limits(channel: Channel) -> None:
    connector = channel.connector
    assert connector.text_rules.max_length == 500
    assert connector.media_rules.alt_text_length == 1000
    assert not connector.capabilities.edit and connector.capabilities.search


def test_it_does_not_edit(channel: Channel) -> None:
    with pytest.raises(NotImplementedError):
        channel.connector.edit(POST_ID, OutgoingPost(text="x"))


@pytest.mark.parametrize(("answer", "error", "detail"), GRAPH_ERRORS, ids=IDS)
def test_it_turns_errors_into_typed_errors(
    channel: Channel, api: respx.MockRouter, answer: Answer, error: type, detail: dict
) -> None:
    answer_with(api.get("/me"), answer)
    with pytest.raises(error) as caught:
        channel.connector.verify()
    assert_carries(caught.value, detail)


def test_its_form_keeps_the_token_as_credentials() -> None:
    form = ConnectForm({"access_token": " THQWERT123 "})
    assert form.is_valid(), form.errors
    assert form.channel_data() == ({}, {"access_token": "THQWERT123"})


def test_its_form_refuses_a_token_with_spaces() -> None:
    form = ConnectForm({"access_token": "two words"})
    assert not form.is_valid()
    assert form.errors["access_token"] == ["A token contains no spaces."]


odd = st.one_of(
    st.none(), st.integers(), st.text(), st.booleans(), st.lists(st.integers())
)
reply = st.fixed_dictionaries(
    {},
    optional={
        "id": odd,
        "text": odd,
        "username": odd,
        "timestamp": st.one_of(odd, st.just("2025-06-02T09:00:00+0000")),
        "root_post": st.one_of(odd, st.dictionaries(st.just("id"), odd)),
        "replied_to": st.one_of(odd, st.dictionaries(st.just("id"), odd)),
        "media_url": odd,
        "permalink": odd,
    },
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(reply, odd), max_size=5))
def test_odd_replies_never_crash_and_go_to_quarantine(raws: list) -> None:
    items, quarantined = parse_each(raws, lambda raw: thread_item(raw, post_id=POST_ID))
    assert len(items) + len(quarantined) == len(raws)
    assert all(q.reason for q in quarantined), quarantined
