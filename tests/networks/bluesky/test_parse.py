"""Recorded notifications become inbox items; odd ones go to quarantine."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leitstelle.networks.base import ItemKind
from leitstelle.networks.bluesky.connector import Bluesky
from leitstelle.networks.models import Channel
from tests.networks.bluesky.conftest import payload, xrpc

LIST = xrpc("app.bsky.notification.listNotifications")
RECORDED: dict[str, Any] = payload("listNotifications.json")
NOTES: list[dict[str, Any]] = RECORDED["notifications"]
REPLY, OLD_REPLY = (note for note in NOTES if note["reason"] == "reply")
MENTION = next(note for note in NOTES if note["reason"] == "mention")
QUOTE = next(note for note in NOTES if note["reason"] == "quote")


def serve(pds: respx.MockRouter, *pages: dict[str, Any]) -> respx.Route:
    return pds.get(LIST).mock(
        side_effect=[respx.MockResponse(200, json=page) for page in pages]
    )


def fetch(
    channel: Channel,
    pds: respx.MockRouter,
    notes: Any,
    cursor: dict[str, Any] | None = None,
) -> Any:
    serve(pds, {"notifications": notes})
    return channel.connector.fetch_interactions(cursor or {})


def test_it_reads_a_recorded_comment_with_an_image(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    [item] = [
        i
        for i in fetch(recorded_channel, pds, NOTES).items
        if i.remote_id == REPLY["uri"]
    ]
    parent = REPLY["record"]["reply"]["parent"]["uri"]
    assert (item.kind, item.in_reply_to, item.root_post) == (
        ItemKind.COMMENT,
        parent,
        parent,
    )
    assert (item.author_handle, item.text) == (
        "bob.test",
        "@alice.test Gilt das auch für Radfahrer?",
    )
    cid = REPLY["record"]["embed"]["images"][0]["image"]["ref"]["$link"]
    assert item.media_urls == (
        f"https://cdn.bsky.app/img/feed_fullsize/plain/{REPLY['author']['did']}/{cid}@jpeg",
    )
    assert (
        item.url
        == f"https://bsky.app/profile/bob.test/post/{REPLY['uri'].rsplit('/', 1)[1]}"
    )


def test_it_reads_a_recorded_mention_and_quote(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    items = {i.remote_id: i for i in fetch(recorded_channel, pds, NOTES).items}
    assert items[MENTION["uri"]].kind == ItemKind.MENTION
    assert (items[QUOTE["uri"]].kind, items[QUOTE["uri"]].root_post) == (
        ItemKind.QUOTE,
        QUOTE["reasonSubject"],
    )


def test_it_leaves_likes_out(recorded_channel: Channel, pds: respx.MockRouter) -> None:
    page = fetch(recorded_channel, pds, NOTES)
    assert (len(page.items), page.quarantined) == (4, ())


def test_it_keeps_the_raw_payload(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    [item] = [
        i
        for i in fetch(recorded_channel, pds, NOTES).items
        if i.remote_id == REPLY["uri"]
    ]
    assert item.raw == REPLY


def test_it_starts_the_cursor_at_the_newest_notification(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    page = fetch(recorded_channel, pds, NOTES)
    assert (page.cursor, page.has_more) == (
        {"since": "2026-11-25T18:53:41.095000+00:00"},
        False,
    )


def test_it_starts_at_the_beginning_without_notifications(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    page = fetch(recorded_channel, pds, [])
    assert page.cursor == {"since": "1970-01-01T00:00:00+00:00"}


def test_it_returns_only_what_is_newer_than_the_cursor(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    page = fetch(recorded_channel, pds, NOTES, cursor={"since": MENTION["indexedAt"]})
    assert [item.remote_id for item in page.items] == [QUOTE["uri"]]


def test_it_pages_back_until_it_reaches_the_cursor(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    since = {"since": "2026-11-25T18:50:00Z"}
    route = serve(
        pds,
        {"notifications": NOTES[:2], "cursor": "page-2"},
        {"notifications": NOTES[2:]},
    )
    first = recorded_channel.connector.fetch_interactions(since)
    second = recorded_channel.connector.fetch_interactions(first.cursor)
    assert (first.has_more, first.cursor["page"], second.has_more) == (
        True,
        "page-2",
        False,
    )
    assert route.calls[1].request.url.params["cursor"] == "page-2"
    assert [i.remote_id for i in first.items + second.items] == [
        QUOTE["uri"],
        MENTION["uri"],
        REPLY["uri"],
    ]
    assert second.cursor == {"since": "2026-11-25T18:53:41.095000+00:00"}


def test_it_quarantines_a_notification_without_author(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    broken = copy.deepcopy(REPLY)
    del broken["author"]
    page = fetch(recorded_channel, pds, [MENTION, broken])
    assert [item.remote_id for item in page.items] == [MENTION["uri"]]
    assert [(q.reason, q.raw) for q in page.quarantined] == [
        ("author is missing or not an object", broken)
    ]


def test_it_reads_recorded_search_results(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    pds.get(xrpc("app.bsky.feed.searchPosts")).respond(json=payload("searchPosts.json"))
    found = recorded_channel.connector.search("Sperrung")
    assert [(item.author_id, item.text) for item in found] == [
        (post["author"]["did"], post["record"]["text"])
        for post in payload("searchPosts.json")["posts"]
    ]


def test_it_reads_recorded_counts(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    pds.get(xrpc("app.bsky.actor.getProfile")).respond(json=payload("getProfile.json"))
    pds.get(xrpc("app.bsky.feed.getPosts")).respond(json=payload("getPosts.json"))
    [post] = payload("getPosts.json")["posts"]
    metrics = recorded_channel.connector.fetch_metrics((post["uri"],))
    assert metrics.followers == payload("getProfile.json")["followersCount"]
    assert metrics.posts[0].replies == post["replyCount"]


def key_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    items: Any = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        yield (*prefix, key)
        yield from key_paths(item, (*prefix, key))


PATHS = sorted({path for note in NOTES for path in key_paths(note)}, key=repr)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mangled_notifications(draw: st.DrawFn) -> Any:
    """A recorded notification with fields dropped, nulled or replaced."""
    note = copy.deepcopy(draw(st.sampled_from(NOTES)))
    for path in draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=4)):
        parent: Any = note
        for key in path[:-1]:
            try:
                parent = parent[key]
            except (KeyError, IndexError, TypeError):
                break
        else:
            action = draw(st.sampled_from(["drop", "null", "replace"]))
            if isinstance(parent, dict) and action == "drop":
                parent.pop(path[-1], None)
            elif isinstance(parent, dict) or (
                isinstance(parent, list)
                and isinstance(path[-1], int)
                and path[-1] < len(parent)
            ):
                parent[path[-1]] = None if action == "null" else draw(json_values)
    return note


@pytest.fixture
def connector(recorded_channel: Channel) -> Bluesky:
    """One connector (and SDK client) for all examples: clients are slow to make."""
    return recorded_channel.connector  # type: ignore[return-value]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(notes=st.lists(mangled_notifications() | json_values, min_size=1, max_size=4))
def test_it_never_crashes_on_odd_notifications(
    connector: Bluesky, pds: respx.MockRouter, notes: list[Any]
) -> None:
    """Each notification is an item, in quarantine, or a like (left out)."""
    serve(pds, {"notifications": notes})
    page = connector.fetch_interactions({})
    left_out = [
        n
        for n in notes
        if isinstance(n, dict)
        and isinstance(n.get("reason"), str)
        and n["reason"] not in {"reply", "mention", "quote"}
    ]
    assert len(page.items) + len(page.quarantined) + len(left_out) == len(notes)
    assert all(q.reason for q in page.quarantined), page.quarantined
    assert "since" in page.cursor
