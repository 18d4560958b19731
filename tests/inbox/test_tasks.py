"""Polling channels: against the exercise network, and the scheduler."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from leitstelle.inbox import services, tasks
from leitstelle.inbox.ingest import IngestResult
from leitstelle.inbox.models import Interaction
from leitstelle.networks.base import InteractionPage, Unavailable
from leitstelle.networks.exercise import services as exercise
from leitstelle.networks.exercise.connector import Exercise as ExerciseConnector
from leitstelle.networks.exercise.models import ExerciseAccount, ExercisePost
from leitstelle.networks.models import Channel, ChannelStatus
from tests.inbox.factories import InboxChannelFactory, exercise_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def police() -> ExerciseAccount:
    return exercise.create_account(
        handle="polizei_test", display_name="Polizei Test", is_organisation=True
    )


@pytest.fixture
def citizen() -> ExerciseAccount:
    return exercise.create_account(handle="anwohner42", display_name="Thomas Berger")


@pytest.fixture
def channel(police: ExerciseAccount) -> Channel:
    return exercise_channel(police)


@pytest.fixture
def our_post(police: ExerciseAccount) -> ExercisePost:
    return exercise.create_post(account=police, text="Sperrung der B6 bis 18 Uhr.")


def comment(author: ExerciseAccount, parent: ExercisePost, text: str) -> ExercisePost:
    return exercise.create_post(account=author, text=text, in_reply_to=parent)


def test_it_polls_citizen_comments_into_the_inbox(
    channel: Channel, citizen: ExerciseAccount, our_post: ExercisePost
) -> None:
    first = comment(citizen, our_post, "Wie lange noch?")
    reply = comment(citizen, first, "Und die Umleitung?")

    result = services.poll_channel(channel_id=channel.pk)

    items = Interaction.objects.select_related("author").order_by("id")
    assert result == IngestResult(created=2), "both comments are new"
    assert [i.remote_id for i in items] == [str(first.pk), str(reply.pk)]
    assert [i.kind for i in items] == ["comment", "reply"], "kinds from the thread"
    assert {i.thread_key for i in items} == {str(our_post.pk)}, "one thread"
    assert {i.root_post for i in items} == {str(our_post.pk)}, "under our post"
    assert items[0].author.handle == "anwohner42", "the author is stored"
    assert items[0].author.name == "Thomas Berger", "with the name"


def test_it_moves_the_cursor_past_the_stored_comments(
    channel: Channel, citizen: ExerciseAccount, our_post: ExercisePost
) -> None:
    latest = comment(citizen, our_post, "Danke!")

    services.poll_channel(channel_id=channel.pk)

    channel.refresh_from_db()
    assert channel.cursor == {"after_id": latest.pk}, "the cursor moved"
    assert channel.last_sync_at is not None, "the sync is noted"


def test_it_finds_nothing_new_on_the_second_poll(
    channel: Channel, citizen: ExerciseAccount, our_post: ExercisePost
) -> None:
    comment(citizen, our_post, "Wie lange noch?")
    services.poll_channel(channel_id=channel.pk)

    result = services.poll_channel(channel_id=channel.pk)

    assert result == IngestResult(), "nothing new"
    assert Interaction.objects.count() == 1, "still one row"


def test_it_stores_only_the_new_comment_on_the_next_poll(
    channel: Channel, citizen: ExerciseAccount, our_post: ExercisePost
) -> None:
    comment(citizen, our_post, "Wie lange noch?")
    services.poll_channel(channel_id=channel.pk)
    comment(citizen, our_post, "Jetzt ist frei.")

    result = services.poll_channel(channel_id=channel.pk)

    assert result == IngestResult(created=1), "one new row"
    assert Interaction.objects.count() == 2, "two in all"


def test_it_follows_more_pages_within_one_poll(
    channel: Channel, citizen: ExerciseAccount, our_post: ExercisePost
) -> None:
    for n in range(3):
        comment(citizen, our_post, f"Frage {n}")

    with mock.patch("leitstelle.networks.exercise.connector.PAGE_SIZE", 1):
        result = services.poll_channel(channel_id=channel.pk, max_pages=2)

    assert result == IngestResult(created=2), "two pages of one item"
    assert Interaction.objects.count() == 2, "the third waits for the next poll"


def test_it_marks_the_channel_on_expired_access(
    police: ExerciseAccount, citizen: ExerciseAccount, our_post: ExercisePost
) -> None:
    channel = exercise_channel(police, token="revoked")
    Channel.objects.filter(pk=channel.pk).update(cursor={"after_id": 0})
    comment(citizen, our_post, "Hallo?")

    result = services.poll_channel(channel_id=channel.pk)

    channel.refresh_from_db()
    assert result == IngestResult(), "nothing stored"
    assert channel.status == ChannelStatus.NEEDS_REAUTH, "an admin must act"
    assert channel.cursor == {"after_id": 0}, "the cursor stays"
    assert not Interaction.objects.exists(), "no rows"


def test_it_records_an_unexpected_error_and_stops(channel: Channel) -> None:
    broken = mock.patch.object(
        ExerciseConnector, "fetch_interactions", side_effect=RuntimeError("boom")
    )

    with broken:
        result = services.poll_channel(channel_id=channel.pk)

    channel.refresh_from_db()
    assert result == IngestResult(), "nothing stored"
    assert channel.status == ChannelStatus.FAILING, "the failure is recorded"
    assert "RuntimeError" in channel.last_error, "named for the admin"


def test_it_records_a_network_error(channel: Channel) -> None:
    down = mock.patch.object(
        ExerciseConnector, "fetch_interactions", side_effect=Unavailable("down")
    )

    with down:
        services.poll_channel(channel_id=channel.pk)

    channel.refresh_from_db()
    assert (channel.status, channel.last_error) == ("failing", "down")


@pytest.mark.parametrize(
    "changes",
    [
        {"status": ChannelStatus.PAUSED},
        {"status": ChannelStatus.NEEDS_REAUTH},
        {
            "status": ChannelStatus.RATE_LIMITED,
            "rate_limited_until": timezone.now() + timedelta(hours=1),
        },
    ],
    ids=["paused", "needs_reauth", "rate_limited"],
)
def test_it_skips_a_channel_it_may_not_call(
    channel: Channel, changes: dict[str, Any]
) -> None:
    Channel.objects.filter(pk=channel.pk).update(**changes)
    fetch = mock.patch.object(ExerciseConnector, "fetch_interactions")

    with fetch as called:
        result = services.poll_channel(channel_id=channel.pk)

    assert result is None, "skipped"
    assert not called.called, "the network is not called"


def test_it_polls_a_channel_whose_rate_limit_is_over(channel: Channel) -> None:
    Channel.objects.filter(pk=channel.pk).update(
        status=ChannelStatus.RATE_LIMITED,
        rate_limited_until=timezone.now() - timedelta(minutes=1),
    )

    result = services.poll_channel(channel_id=channel.pk)

    channel.refresh_from_db()
    assert result == IngestResult(), "polled"
    assert channel.status == ChannelStatus.ACTIVE, "and healthy again"


def test_it_skips_a_channel_that_is_gone() -> None:
    assert services.poll_channel(channel_id=999_999) is None, "nothing to poll"


def test_it_claims_each_due_channel_once() -> None:
    now = timezone.now()
    never = InboxChannelFactory(next_sync_at=None)
    due = InboxChannelFactory(next_sync_at=now - timedelta(seconds=5))
    InboxChannelFactory(next_sync_at=now + timedelta(minutes=5))
    InboxChannelFactory(next_sync_at=None, status=ChannelStatus.PAUSED)

    first = tasks.claim_due_channels(now)
    second = tasks.claim_due_channels(now)

    due.refresh_from_db()
    assert sorted(first) == sorted([never.pk, due.pk]), "the due ones"
    assert second == [], "a second scheduler finds nothing left"
    assert due.next_sync_at == now + timedelta(seconds=60), "planned ahead"


def test_it_leaves_a_channel_another_scheduler_claimed() -> None:
    now = timezone.now()
    read = now - timedelta(seconds=5)
    channel = InboxChannelFactory(next_sync_at=read)
    stale = mock.Mock()
    stale.values_list.return_value = [(channel.pk, read, 60)]
    # The other scheduler moved the plan after this one read it.
    Channel.objects.filter(pk=channel.pk).update(next_sync_at=now)

    with mock.patch.object(services, "channels_due_for_poll", return_value=stale):
        claimed = tasks.claim_due_channels(now)

    channel.refresh_from_db()
    assert claimed == [], "the row changed under it: not claimed"
    assert channel.next_sync_at == now, "the other scheduler's plan stays"


def test_it_queues_a_poll_for_each_due_channel(
    channel: Channel,
    citizen: ExerciseAccount,
    our_post: ExercisePost,
    django_capture_on_commit_callbacks: Any,
) -> None:
    comment(citizen, our_post, "Wie lange noch?")

    with django_capture_on_commit_callbacks(execute=True):
        queued = tasks.schedule_polls.call_local()

    channel.refresh_from_db()
    assert queued == 1, "one channel due"
    assert Interaction.objects.count() == 1, "its poll ran"
    assert channel.next_sync_at > timezone.now(), "the next poll is planned"


def test_it_polls_in_the_task(channel: Channel) -> None:
    page = InteractionPage(items=(), cursor={"after_id": 5})
    fetch = mock.patch.object(
        ExerciseConnector, "fetch_interactions", return_value=page
    )

    with fetch:
        created = tasks.poll_channel_task.call_local(channel.pk)

    channel.refresh_from_db()
    assert created == 0, "nothing new"
    assert channel.cursor == {"after_id": 5}, "the task ran the poll"
