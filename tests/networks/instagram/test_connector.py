"""The Instagram connector against recorded Graph API payloads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leitstelle.networks import meta
from leitstelle.networks.base import (
    ConnectorError,
    ContentRejected,
    ItemKind,
    Media,
    OutgoingPost,
)
from leitstelle.networks.instagram.connector import comment_item, with_replies
from leitstelle.networks.models import Channel
from leitstelle.networks.payloads import parse_each
from tests.networks.graph_errors import (
    GRAPH_ERRORS,
    IDS,
    Answer,
    answer_with,
    assert_carries,
)
from tests.networks.instagram.conftest import (
    IG_ID,
    MEDIA_ID,
    PAGE_ID,
    make_channel,
    payload,
)

JPEG = b"\xff\xd8\xff\xe0 a tiny jpeg"


def form(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.content.decode())


def test_it_finds_the_account_linked_to_the_page(graph: respx.MockRouter) -> None:
    channel = make_channel()
    channel.config = {"page_id": PAGE_ID}
    route = graph.get(f"/{PAGE_ID}").respond(json=payload("page_with_account.json"))
    account = channel.connector.verify()
    assert (account.remote_id, account.handle) == (IG_ID, "polizei_musterstadt")
    assert account.avatar_url.endswith("avatar.jpg")
    assert account.profile_url == "https://www.instagram.com/polizei_musterstadt/"
    assert channel.config["ig_user_id"] == IG_ID
    assert "instagram_business_account" in route.calls.last.request.url.params["fields"]


def test_it_refuses_a_page_without_a_linked_account(
    channel: Channel, graph: respx.MockRouter
) -> None:
    graph.get(f"/{PAGE_ID}").respond(json=payload("page_without_account.json"))
    with pytest.raises(ConnectorError, match="no Instagram business account"):
        channel.connector.verify()


def test_it_reads_the_token_expiry_with_an_app_token(graph: respx.MockRouter) -> None:
    channel = make_channel(app_token="APP|SECRET")
    graph.get(f"/{PAGE_ID}").respond(json=payload("page_with_account.json"))
    debug = {
        "data": {
            "is_valid": True,
            "expires_at": 1767225600,
            "data_access_expires_at": 0,
        }
    }
    graph.get("/debug_token").respond(json=debug)
    channel.connector.verify()
    assert channel.credentials_expire_at == datetime(2026, 1, 1, tzinfo=UTC)


def published_routes(graph: respx.MockRouter) -> None:
    graph.get("/17889455560051444").respond(json=payload("container_finished.json"))
    graph.post(f"/{IG_ID}/media_publish").respond(json=payload("media_publish.json"))
    graph.get(f"/{MEDIA_ID}").respond(json=payload("media.json"))


@pytest.mark.django_db
def test_it_publishes_an_image_with_caption_and_alt_text(
    channel: Channel, graph: respx.MockRouter
) -> None:
    served: list[bytes] = []

    def create(request: httpx.Request) -> httpx.Response:
        url = form(request)["image_url"][0]
        served.append(Client().get(urlsplit(url).path).getvalue())
        return httpx.Response(200, json=payload("container.json"))

    container = graph.post(f"/{IG_ID}/media").mock(side_effect=create)
    published_routes(graph)
    image = Media(content=JPEG, mime_type="image/jpeg", alt_text="Streifenwagen")
    posted = channel.connector.publish(
        OutgoingPost(text="Kontrolle #polizei", media=(image,))
    )
    sent = form(container.calls.last.request)
    assert (sent["caption"], sent["alt_text"]) == (
        ["Kontrolle #polizei"],
        ["Streifenwagen"],
    )
    assert sent["image_url"][0].startswith(
        f"{django_settings.BASE_URL}/kanaele/instagram/medien/"
    )
    assert served == [JPEG], "Instagram could fetch the image while publishing"
    assert (posted.remote_id, posted.url) == (
        MEDIA_ID,
        "https://www.instagram.com/p/DAbCdEfGhIj/",
    )
    assert posted.published_at == datetime(2025, 6, 2, 8, 15, tzinfo=UTC)


@pytest.mark.django_db
def test_it_removes_the_served_image_after_publishing(
    channel: Channel, graph: respx.MockRouter
) -> None:
    container = graph.post(f"/{IG_ID}/media").respond(json=payload("container.json"))
    published_routes(graph)
    channel.connector.publish(
        OutgoingPost(text="x", media=(Media(JPEG, "image/jpeg"),))
    )
    name = Path(urlsplit(form(container.calls.last.request)["image_url"][0]).path).name
    assert Client().get(f"/kanaele/instagram/medien/{name}").status_code == 404


def test_it_publishes_a_carousel(channel: Channel, graph: respx.MockRouter) -> None:
    child = graph.post(f"/{IG_ID}/media", data__contains={"is_carousel_item": "true"})
    child.respond(json=payload("container_child.json"))
    carousel = graph.post(f"/{IG_ID}/media").respond(json=payload("container.json"))
    graph.get("/17889455560051445").respond(json=payload("container_finished.json"))
    published_routes(graph)
    images = (Media(JPEG, "image/jpeg"), Media(JPEG, "image/jpeg"))
    channel.connector.publish(OutgoingPost(text="Zwei Bilder", media=images))
    assert child.call_count == 2
    sent = form(carousel.calls.last.request)
    assert sent["media_type"] == ["CAROUSEL"]
    assert sent["children"] == ["17889455560051445,17889455560051445"]


def test_it_waits_while_instagram_processes_the_image(
    channel: Channel, graph: respx.MockRouter, pauses: list[float]
) -> None:
    graph.post(f"/{IG_ID}/media").respond(json=payload("container.json"))
    graph.get("/17889455560051444").side_effect = [
        httpx.Response(200, json=payload("container_in_progress.json")),
        httpx.Response(200, json=payload("container_finished.json")),
    ]
    graph.post(f"/{IG_ID}/media_publish").respond(json=payload("media_publish.json"))
    graph.get(f"/{MEDIA_ID}").respond(json=payload("media.json"))
    channel.connector.publish(
        OutgoingPost(text="x", media=(Media(JPEG, "image/jpeg"),))
    )
    assert pauses == [2]


def test_it_rejects_an_image_instagram_could_not_process(
    channel: Channel, graph: respx.MockRouter
) -> None:
    graph.post(f"/{IG_ID}/media").respond(json=payload("container.json"))
    graph.get("/17889455560051444").respond(json=payload("container_error.json"))
    publish = graph.post(f"/{IG_ID}/media_publish")
    with pytest.raises(ContentRejected, match="could not process") as caught:
        channel.connector.publish(
            OutgoingPost(text="x", media=(Media(JPEG, "image/jpeg"),))
        )
    assert caught.value.reason == "ERROR"
    assert not publish.called


def test_it_passes_on_why_the_image_could_not_be_fetched(
    channel: Channel, graph: respx.MockRouter
) -> None:
    graph.post(f"/{IG_ID}/media").respond(400, json=payload("error_invalid_image.json"))
    with pytest.raises(ContentRejected, match="could not be fetched") as caught:
        channel.connector.publish(
            OutgoingPost(text="x", media=(Media(JPEG, "image/jpeg"),))
        )
    assert caught.value.reason.startswith("The media could not be fetched")


def test_it_refuses_a_post_without_an_image(channel: Channel) -> None:
    with pytest.raises(ContentRejected, match="without an image"):
        channel.connector.publish(OutgoingPost(text="Nur Text"))


def test_it_refuses_an_image_type_instagram_does_not_take(channel: Channel) -> None:
    post = OutgoingPost(text="x", media=(Media(b"<svg/>", "image/svg+xml"),))
    with pytest.raises(ContentRejected, match="image/svg"):
        channel.connector.publish(post)


def test_it_finds_a_recent_post_by_its_caption(
    channel: Channel, graph: respx.MockRouter
) -> None:
    media = payload("media_list.json")
    media["data"][0]["timestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
    graph.get(f"/{IG_ID}/media").respond(json=media)
    post = OutgoingPost(text="Verkehrskontrolle heute in der Innenstadt. #polizei")
    found = channel.connector.find_published("k", post=post)
    assert found is not None and found.remote_id == MEDIA_ID


def test_it_finds_no_post_with_another_caption(
    channel: Channel, graph: respx.MockRouter
) -> None:
    graph.get(f"/{IG_ID}/media").respond(json=payload("media_list.json"))
    assert channel.connector.find_published("k", post=OutgoingPost(text="Neu")) is None


def test_it_deletes_a_post(channel: Channel, graph: respx.MockRouter) -> None:
    route = graph.delete(f"/{MEDIA_ID}").respond(json=payload("success.json"))
    channel.connector.delete(MEDIA_ID)
    assert route.called


def comment_routes(graph: respx.MockRouter) -> respx.Route:
    graph.get(f"/{IG_ID}/media").respond(json={"data": [{"id": MEDIA_ID}]})
    second = graph.get(f"/{MEDIA_ID}/comments", params={"after": "QVFIUm2"})
    second.respond(json=payload("comments_page2.json"))
    graph.get(f"/{MEDIA_ID}/comments").respond(json=payload("comments.json"))
    return second


def test_it_fetches_comments_with_their_replies(
    channel: Channel, graph: respx.MockRouter
) -> None:
    comment_routes(graph)
    page = channel.connector.fetch_interactions({})
    comment, reply, _thanks, praise = page.items
    assert (comment.kind, comment.in_reply_to, comment.root_post) == (
        ItemKind.COMMENT,
        MEDIA_ID,
        MEDIA_ID,
    )
    assert (reply.kind, reply.in_reply_to) == (ItemKind.REPLY, comment.remote_id)
    assert (reply.author_id, reply.author_handle) == ("17841400000000002", "hans_b")
    assert reply.author_url == "https://www.instagram.com/hans_b/"
    assert praise.text == "Super Arbeit", "the second page of comments was read"
    assert page.cursor == {"since": "2025-06-02T09:20:00+00:00"}


def test_it_keeps_only_comments_after_the_cursor(
    channel: Channel, graph: respx.MockRouter
) -> None:
    comment_routes(graph)
    page = channel.connector.fetch_interactions({"since": "2025-06-02T09:00:00+00:00"})
    assert [item.text for item in page.items] == [
        "Wie lange dauert die Kontrolle?",
        "Bis etwa 14 Uhr.",
    ]


def test_it_quarantines_a_broken_reply_alone(
    channel: Channel, graph: respx.MockRouter
) -> None:
    graph.get(f"/{IG_ID}/media").respond(json={"data": [{"id": MEDIA_ID}]})
    broken = payload("comments.json")
    broken["data"][0]["replies"]["data"][0]["timestamp"] = None
    del broken["paging"]
    graph.get(f"/{MEDIA_ID}/comments").respond(json=broken)
    page = channel.connector.fetch_interactions({})
    [quarantined] = page.quarantined
    assert quarantined.raw["id"] == "17873440459141029"
    assert "time" in quarantined.reason
    assert [item.text for item in page.items] == [
        "Wie lange dauert die Kontrolle?",
        "Danke!",
    ]


def test_it_replies_to_a_comment(channel: Channel, graph: respx.MockRouter) -> None:
    route = graph.post("/17873440459141021/replies").respond(
        json=payload("reply_created.json")
    )
    posted = channel.connector.reply(
        "17873440459141021", OutgoingPost(text="Bis 14 Uhr.")
    )
    assert posted.remote_id == "17873440459141030"
    assert form(route.calls.last.request) == {"message": ["Bis 14 Uhr."]}


@pytest.mark.parametrize(("method", "value"), [("hide", "true"), ("unhide", "false")])
def test_it_hides_and_unhides_a_comment(
    channel: Channel, graph: respx.MockRouter, method: str, value: str
) -> None:
    route = graph.post("/17873440459141021").respond(json=payload("success.json"))
    getattr(channel.connector, method)("17873440459141021")
    assert form(route.calls.last.request) == {"hide": [value]}


def test_it_fetches_followers_and_post_metrics(
    channel: Channel, graph: respx.MockRouter
) -> None:
    graph.get(f"/{IG_ID}").respond(json=payload("account_metrics.json"))
    graph.get(f"/{MEDIA_ID}").respond(json=payload("media_metrics.json"))
    metrics = channel.connector.fetch_metrics((MEDIA_ID,))
    assert metrics.followers == 23045
    assert (metrics.posts[0].likes, metrics.posts[0].replies) == (311, 24)


def test_its_rules_require_an_image_and_allow_no_edits() -> None:
    connector = make_channel().connector
    assert connector.media_rules.requires_media
    assert connector.text_rules.max_length == 2200
    assert not connector.capabilities.edit and connector.capabilities.hide


def test_it_does_not_edit(channel: Channel) -> None:
    with pytest.raises(NotImplementedError):
        channel.connector.edit(MEDIA_ID, OutgoingPost(text="x"))


odd = st.one_of(
    st.none(), st.integers(), st.text(), st.booleans(), st.lists(st.integers())
)
reply = st.fixed_dictionaries(
    {},
    optional={
        "id": odd,
        "text": odd,
        "timestamp": st.one_of(odd, st.just("2025-06-02T09:00:00+0000")),
    },
)
comment = st.fixed_dictionaries(
    {},
    optional={
        "id": odd,
        "text": odd,
        "timestamp": st.one_of(odd, st.just("2025-06-02T09:00:00+0000")),
        "from": st.one_of(
            odd, st.dictionaries(st.sampled_from(["id", "username"]), odd)
        ),
        "username": odd,
        "replies": st.one_of(
            odd,
            st.fixed_dictionaries(
                {"data": st.one_of(odd, st.lists(reply, max_size=3))}
            ),
        ),
    },
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(comment, odd), max_size=5))
def test_odd_comments_never_crash_and_go_to_quarantine(raws: list) -> None:
    entries = with_replies(raws)
    items, quarantined = parse_each(
        entries,
        lambda entry: comment_item(entry, MEDIA_ID),
        kept=lambda entry: entry[0],
    )
    assert len(items) + len(quarantined) == len(entries) >= len(raws)
    assert all(q.reason for q in quarantined), quarantined


@pytest.mark.django_db
def test_public_media_is_served_only_while_publishing() -> None:
    with meta.public_media([Media(JPEG, "image/jpeg")], kind="instagram") as [url]:
        path = urlsplit(url).path
        response = Client().get(path)
        assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
    assert Client().get(path).status_code == 404


@pytest.mark.parametrize(("answer", "error", "detail"), GRAPH_ERRORS, ids=IDS)
def test_it_turns_graph_errors_into_typed_errors(
    channel: Channel, graph: respx.MockRouter, answer: Answer, error: type, detail: dict
) -> None:
    answer_with(graph.post("/17873440459141021/replies"), answer)
    with pytest.raises(error) as caught:
        channel.connector.reply("17873440459141021", OutgoingPost(text="Hallo"))
    assert_carries(caught.value, detail)
