"""Recorded notifications become inbox items; odd ones go to quarantine."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leitstelle.networks.base import ItemKind
from leitstelle.networks.mastodon.parse import html_to_text
from leitstelle.networks.models import Channel
from tests.networks.mastodon.conftest import payload

NOTIFICATIONS = "/api/v1/notifications"
RECORDED: list[dict[str, Any]] = payload("notifications.json")


def serve(server: Any, notes: Any) -> Any:
    return server.fault(
        path=NOTIFICATIONS, methods=["GET"], status=200, body=notes, count=1
    )


def fetch(
    channel: Channel, server: Any, notes: Any, cursor: dict[str, Any] | None = None
) -> Any:
    with serve(server, notes):
        return channel.connector.fetch_interactions(cursor or {})


@pytest.fixture
def recorded_channel(channel: Channel) -> Channel:
    """Our account as the recorded payloads know it (id 109)."""
    channel.remote_id = "109@social.example"
    return channel


def test_it_reads_a_recorded_comment(recorded_channel: Channel, server: Any) -> None:
    page = fetch(recorded_channel, server, RECORDED)
    comment = next(
        item for item in page.items if item.remote_id == "103186126728896492"
    )
    assert comment.kind == ItemKind.COMMENT
    assert (comment.in_reply_to, comment.root_post) == (
        "103186038209478945",
        "103186038209478945",
    )
    assert (comment.author_id, comment.author_handle, comment.author_name) == (
        "971724",
        "zsc@other.example",
        "Zoe",
    )
    assert comment.media_urls == (RECORDED[1]["status"]["media_attachments"][0]["url"],)
    assert comment.created_at.isoformat() == "2024-05-02T07:49:01.940000+00:00"


def test_it_keeps_line_breaks_and_full_links_of_a_recorded_comment(
    recorded_channel: Channel, server: Any
) -> None:
    page = fetch(recorded_channel, server, RECORDED)
    comment = next(item for item in page.items if item.kind == ItemKind.COMMENT)
    assert comment.text == (
        "@polizei_test Ist die B96 wieder frei?\n\nDanke & Gruß\nZoe https://www.example.org/verkehr/b96"
    )


def test_it_reads_a_recorded_direct_message(
    recorded_channel: Channel, server: Any
) -> None:
    page = fetch(recorded_channel, server, RECORDED)
    message = next(
        item for item in page.items if item.remote_id == "103186200000000001"
    )
    assert (message.kind, message.url) == (
        ItemKind.DIRECT_MESSAGE,
        RECORDED[0]["status"]["uri"],
    )


def test_it_keeps_the_raw_payload(recorded_channel: Channel, server: Any) -> None:
    page = fetch(recorded_channel, server, RECORDED)
    assert page.items[0].raw["status"]["content"] == RECORDED[0]["status"]["content"]


def test_it_quarantines_a_notification_without_account(
    recorded_channel: Channel, server: Any
) -> None:
    broken = copy.deepcopy(RECORDED[1])
    del broken["status"]["account"]
    page = fetch(recorded_channel, server, [RECORDED[0], broken])
    assert [item.remote_id for item in page.items] == ["103186200000000001"]
    [quarantined] = page.quarantined
    assert quarantined.reason == "status.account is missing or not an object"
    assert quarantined.raw["id"] == "34975861" or quarantined.raw["id"] == 34975861


def test_it_moves_past_a_page_of_broken_notifications(
    recorded_channel: Channel, server: Any
) -> None:
    broken = {**RECORDED[1], "status": None}
    page = fetch(recorded_channel, server, [broken], cursor={"min_id": "100"})
    assert (page.items, len(page.quarantined)) == ((), 1)
    assert page.cursor == {"min_id": "34975861"}


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>eins</p><p>zwei</p>", "eins\n\nzwei"),
        ("<p>eins<br>zwei<br />drei</p>", "eins\nzwei\ndrei"),
        ("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", "<script>alert(1)</script>"),
        ("<p>ok<script>alert(1)</script><style>p{}</style></p>", "ok"),
        (
            '<p><a href="https://x.example/a"><span class="invisible">https://</span>x.example/a</a></p>',
            "https://x.example/a",
        ),
        ("<ul><li>a</li><li>b</li></ul>", "a\n\nb"),
        ("nur Text &amp; mehr", "nur Text & mehr"),
        ("", ""),
    ],
)
def test_it_turns_status_html_into_plain_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def key_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        yield (*prefix, key)
        yield from key_paths(item, (*prefix, key))


PATHS = sorted({path for note in RECORDED for path in key_paths(note)}, key=repr)
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
    note = copy.deepcopy(draw(st.sampled_from(RECORDED)))
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


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(notes=st.lists(mangled_notifications() | json_values, min_size=1, max_size=4))
def test_it_never_crashes_on_odd_notifications(
    recorded_channel: Channel, server: Any, notes: list[Any]
) -> None:
    """Every notification ends up as an item or in quarantine with a reason."""
    page = fetch(recorded_channel, server, notes)
    assert len(page.items) + len(page.quarantined) == len(notes)
    assert all(q.reason for q in page.quarantined), page.quarantined
    assert "min_id" in page.cursor
