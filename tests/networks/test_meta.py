"""Shared Graph API helpers: errors, paging links, times, public images."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from leitstelle.networks import meta
from leitstelle.networks.base import IncomingItem, ItemKind, Quarantined


def test_it_drops_an_echoed_token_from_paging_links() -> None:
    link = "https://graph.facebook.com/v24.0/1/comments?access_token=SECRET&limit=25&after=QVF"
    assert (
        meta.without_token(link)
        == "https://graph.facebook.com/v24.0/1/comments?limit=25&after=QVF"
    )


def test_it_reads_graph_times() -> None:
    assert meta.parse_time("2025-06-02T09:30:00+0000") == datetime(
        2025, 6, 2, 9, 30, tzinfo=UTC
    )


@pytest.mark.parametrize("value", [None, 17, "gestern", "2025-06-02"])
def test_it_refuses_what_is_no_graph_time(value: object) -> None:
    with pytest.raises(ValueError):
        meta.parse_time(value)


@pytest.mark.parametrize("value", [0, -5, None, "x", 10**20])
def test_it_reads_no_expiry_from_zero_or_junk(value: object) -> None:
    assert meta.unix_time(value) is None


def item(at: str) -> IncomingItem:
    moment = datetime.fromisoformat(at)
    return IncomingItem(
        remote_id=at,
        kind=ItemKind.COMMENT,
        text="",
        created_at=moment,
        author_id="a",
        author_handle="a",
    )


def test_a_page_keeps_items_from_the_cursor_on_and_moves_it() -> None:
    older, same, newer = (
        item(f"2025-06-02T09:{minute}:00+00:00") for minute in ("00", "10", "20")
    )
    quarantined = [Quarantined(reason="r", raw={})]
    page = meta.since_page(
        [older, same, newer], quarantined, "2025-06-02T09:10:00+00:00"
    )
    assert page.items == (same, newer)
    assert page.cursor == {"since": "2025-06-02T09:20:00+00:00"}
    assert page.quarantined == tuple(quarantined)


def test_a_first_page_without_items_has_an_empty_cursor() -> None:
    assert meta.since_page([], [], None).cursor == {}


def test_it_finds_only_our_own_recent_post_with_the_same_text() -> None:
    now = datetime.now(UTC)
    stamp = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    posts = [
        "junk",
        {"id": "1", "message": "Andere", "created_time": stamp},
        {"id": "2", "message": "Hallo  Welt", "created_time": stamp},
    ]
    found = meta.find_own_post(
        posts, "Hallo Welt", text_key="message", time_key="created_time"
    )
    assert found is not None and found["id"] == "2"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["../secret_key", "short.jpg", f"{'a' * 43}.exe"])
def test_it_serves_no_file_but_images_being_published(name: str) -> None:
    assert Client().get(f"/kanaele/instagram/medien/{name}").status_code == 404
