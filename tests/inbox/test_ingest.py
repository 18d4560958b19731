"""Storing pages of incoming items: idempotent, edits, quarantine, cursor."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import DatabaseError, connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leitstelle.inbox.ingest import IngestResult, ingest_page
from leitstelle.inbox.models import (
    Author,
    Interaction,
    InteractionRevision,
    QuarantinedPayload,
)
from leitstelle.inbox.services import mark_deleted_on_network
from leitstelle.networks.base import ItemKind, Quarantined
from leitstelle.networks.models import Channel, ChannelStatus
from tests.inbox.factories import BASE_TIME, InboxChannelFactory, incoming, page

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel() -> Channel:
    return InboxChannelFactory()


def test_it_stores_a_new_item_with_its_author_and_thread(channel: Channel) -> None:
    result = ingest_page(channel=channel, page=page(incoming("c1")))

    item = Interaction.objects.get()
    assert result == IngestResult(created=1), "one item is new"
    assert (item.channel, item.remote_id, item.kind) == (channel, "c1", "comment")
    assert (item.root_post, item.thread_key, item.in_reply_to) == (
        "post-1",
        "post-1",
        "post-1",
    ), "the thread is keyed by our post"
    assert item.author.handle == "anwohner42", "the author is stored"
    assert item.author.name == "Thomas Berger", "with the display name"
    assert item.status == "new", "a new item starts as new"
    assert item.raw == {"id": "c1", "text": "…"}, "the raw payload is kept"


def test_it_keys_an_item_outside_our_posts_by_its_own_id(channel: Channel) -> None:
    mention = incoming("m1", kind=ItemKind.MENTION, root_post="", in_reply_to="")

    ingest_page(channel=channel, page=page(mention))

    assert Interaction.objects.get().thread_key == "m1", "its own thread"


def test_it_stores_the_same_page_twice_once(channel: Channel) -> None:
    same = page(incoming("c1"), incoming("c2"))
    ingest_page(channel=channel, page=same)

    result = ingest_page(channel=channel, page=same)

    assert result == IngestResult(unchanged=2), "nothing new the second time"
    assert Interaction.objects.count() == 2, "one row per item"
    assert Author.objects.count() == 1, "one row per author"


def test_it_stores_a_remote_id_twice_in_one_page_once(channel: Channel) -> None:
    result = ingest_page(
        channel=channel,
        page=page(incoming("c1", text="erste"), incoming("c1", text="zweite")),
    )

    assert result.created == 1, "counted once"
    assert Interaction.objects.get().text == "zweite", "the later copy wins"


def test_it_records_an_edit_as_a_revision(channel: Channel) -> None:
    ingest_page(channel=channel, page=page(incoming("c1", text="Alt")))
    edited_at = BASE_TIME + timedelta(minutes=5)

    result = ingest_page(
        channel=channel,
        page=page(
            incoming("c1", text="Neu", edited_at=edited_at, raw={"v": 2}),
        ),
    )

    item = Interaction.objects.get()
    revision = InteractionRevision.objects.get()
    assert result == IngestResult(updated=1), "one edit"
    assert (item.text, item.edited_at, item.raw) == ("Neu", edited_at, {"v": 2})
    assert revision.interaction == item, "the revision belongs to the item"
    assert revision.text == "Alt", "the old text is kept"
    assert revision.raw == {"id": "c1", "text": "…"}, "with its old payload"


def test_it_leaves_an_unchanged_item_untouched(channel: Channel) -> None:
    ingest_page(channel=channel, page=page(incoming("c1")))
    Interaction.objects.update(status="answered")

    ingest_page(channel=channel, page=page(incoming("c1", raw={"other": True})))

    item = Interaction.objects.get()
    assert item.status == "answered", "its status stays"
    assert item.raw == {"id": "c1", "text": "…"}, "its payload stays"
    assert not InteractionRevision.objects.exists(), "no revision"


def test_it_updates_an_authors_changed_name(channel: Channel) -> None:
    ingest_page(channel=channel, page=page(incoming("c1")))

    ingest_page(
        channel=channel,
        page=page(incoming("c2", author_name="T. Berger", author_avatar_url="")),
    )

    author = Author.objects.get()
    assert author.name == "T. Berger", "the new name is stored"
    assert author.profile_url == "https://net.example/@anwohner42", "URL stays"


def test_it_quarantines_the_connectors_rejects(channel: Channel) -> None:
    rejects = (Quarantined("KeyError: 'id'", {"text": "ohne id"}),)

    result = ingest_page(
        channel=channel, page=page(incoming("c1"), quarantined=rejects)
    )

    stored = QuarantinedPayload.objects.get()
    assert result == IngestResult(created=1, quarantined=1), "the rest is stored"
    assert stored.channel == channel, "kept with its channel"
    assert stored.reason == "KeyError: 'id'", "with the reason"
    assert stored.raw_body == '{"text": "ohne id"}', "and the raw payload as JSON"


def test_it_keeps_a_payload_that_is_not_json_as_repr(channel: Channel) -> None:
    rejects = (Quarantined("odd", {1, 2}),)

    ingest_page(channel=channel, page=page(quarantined=rejects))

    assert QuarantinedPayload.objects.get().raw_body in ("{1, 2}", '"{1, 2}"')


def test_it_quarantines_an_item_it_cannot_store(channel: Channel) -> None:
    bad = incoming("c2", created_at="gestern")

    result = ingest_page(channel=channel, page=page(incoming("c1"), bad))

    stored = QuarantinedPayload.objects.get()
    assert result == IngestResult(created=1, quarantined=1), "the rest goes on"
    assert "created_at is str" in stored.reason, "the reason names the field"
    assert '"id": "c2"' in stored.raw_body, "the payload is kept"


def test_it_quarantines_an_overlong_remote_id(channel: Channel) -> None:
    result = ingest_page(channel=channel, page=page(incoming("x" * 300)))

    assert result == IngestResult(quarantined=1), "it cannot be keyed"
    assert "longer than 255" in QuarantinedPayload.objects.get().reason


def test_it_strips_nul_characters(channel: Channel) -> None:
    item = incoming("c1", text="a\x00b", author_name="N\x00N", raw={"t\x00": ["x\x00"]})

    ingest_page(channel=channel, page=page(item))

    stored = Interaction.objects.select_related("author").get()
    assert stored.text == "ab", "NUL removed from the text"
    assert stored.author.name == "NN", "and from the author"
    assert stored.raw == {"t": ["x"]}, "and from the payload"


def test_it_drops_an_overlong_url_and_cuts_a_long_name(channel: Channel) -> None:
    long_url = "https://net.example/" + "x" * 1000

    ingest_page(
        channel=channel,
        page=page(incoming("c1", url=long_url, author_name="N" * 300)),
    )

    stored = Interaction.objects.select_related("author").get()
    assert stored.url == "", "a cut URL would be wrong"
    assert stored.author.name == "N" * 255, "names are cut to fit"


def test_it_moves_the_cursor_and_heals_the_channel(channel: Channel) -> None:
    Channel.objects.filter(pk=channel.pk).update(
        status=ChannelStatus.FAILING, failure_count=3
    )
    channel.refresh_from_db()

    ingest_page(channel=channel, page=page(incoming("c1"), cursor={"after": 7}))

    channel.refresh_from_db()
    assert channel.cursor == {"after": 7}, "the cursor moved"
    assert (channel.status, channel.failure_count) == ("active", 0), "healed"
    assert channel.last_sync_at is not None, "the sync is noted"


def test_it_does_not_unpause_a_paused_channel(channel: Channel) -> None:
    Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.PAUSED)

    ingest_page(channel=channel, page=page(incoming("c1"), cursor={"after": 7}))

    channel.refresh_from_db()
    assert channel.status == "paused", "an admin's pause stays"
    assert channel.cursor == {"after": 7}, "the stored items still move it"


def test_it_keeps_the_cursor_when_storing_fails(channel: Channel) -> None:
    Channel.objects.filter(pk=channel.pk).update(cursor={"after": 1})
    channel.refresh_from_db()
    failing = mock.patch.object(
        Interaction.objects, "bulk_create", side_effect=DatabaseError("disk full")
    )

    with failing, pytest.raises(DatabaseError):
        ingest_page(channel=channel, page=page(incoming("c1"), cursor={"after": 9}))

    channel.refresh_from_db()
    assert channel.cursor == {"after": 1}, "the cursor did not move"
    assert not Author.objects.exists(), "the authors were rolled back"
    assert not Interaction.objects.exists(), "nothing stored"


def test_it_makes_a_naive_time_aware(channel: Channel) -> None:
    naive = datetime(2026, 11, 1, 8, 0)

    ingest_page(channel=channel, page=page(incoming("c1", created_at=naive)))

    assert Interaction.objects.get().remote_created_at == naive.replace(tzinfo=UTC)


def test_it_marks_items_deleted_on_the_network(channel: Channel) -> None:
    ingest_page(channel=channel, page=page(incoming("c1"), incoming("c2")))

    marked = mark_deleted_on_network(channel=channel, remote_ids=["c1", "zz"])

    deleted = Interaction.objects.filter(deleted_on_network_at__isnull=False)
    assert marked == 1, "only the known item"
    assert list(deleted.values_list("remote_id", flat=True)) == ["c1"], "kept"
    assert Interaction.objects.count() == 2, "nothing is removed"


def test_it_keeps_items_of_two_channels_apart(channel: Channel) -> None:
    other = InboxChannelFactory()

    ingest_page(channel=channel, page=page(incoming("c1")))
    ingest_page(channel=other, page=page(incoming("c1")))

    assert Interaction.objects.count() == 2, "the same id on two channels"
    assert Author.objects.count() == 2, "authors belong to their channel"


TEXT = st.text(max_size=40)
OPTIONAL_TIME = st.none() | st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2100, 1, 1),
    timezones=st.just(UTC),
)
RAW = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3)
    ),
    max_leaves=8,
)
ITEMS = st.builds(
    incoming,
    remote_id=st.sampled_from(["c1", "c2", "c3", "", "\x00", "ä" * 256]),
    text=TEXT,
    kind=st.sampled_from([*ItemKind, "weird"]),
    created_at=st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1)
    )
    | st.none(),
    edited_at=OPTIONAL_TIME,
    author_id=st.sampled_from(["a1", "a2", ""]) | TEXT,
    author_handle=TEXT,
    author_name=TEXT | st.none() | st.integers(),
    author_avatar_url=TEXT,
    url=TEXT,
    in_reply_to=TEXT,
    root_post=st.sampled_from(["", "post-1"]),
    media_urls=st.lists(TEXT, max_size=2).map(tuple),
    raw=st.dictionaries(TEXT, RAW, max_size=3),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(ITEMS, max_size=6))
def test_it_never_crashes_on_random_items(channel: Channel, items: list) -> None:
    result = ingest_page(channel=channel, page=page(*items, cursor={"n": 1}))

    assert result.created + result.updated + result.unchanged <= len(items)
    assert result.quarantined <= len(items), "every item counted at most once"
    texts = Interaction.objects.values_list("text", flat=True)
    assert not any("\x00" in text for text in texts), "NUL never stored"


@pytest.mark.django_db(transaction=True)
def test_it_stores_a_page_two_pollers_bring_at_once_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time anyway")
    channel = InboxChannelFactory()
    same = page(*(incoming(f"c{n}") for n in range(50)))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def poller() -> None:
        try:
            barrier.wait(timeout=5)
            ingest_page(channel=Channel.objects.get(pk=channel.pk), page=same)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=poller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == [], "neither poller failed"
    assert Interaction.objects.count() == 50, "each item stored once"
    assert Author.objects.count() == 1, "the author stored once"
