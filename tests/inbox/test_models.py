"""The inbox's models: keys, ordering, constraints."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from leitstelle.inbox.models import (
    Author,
    Interaction,
    InteractionStatus,
    SavedReply,
)
from tests.inbox.factories import (
    BASE_TIME,
    AuthorFactory,
    InboxChannelFactory,
    InteractionFactory,
)

pytestmark = pytest.mark.django_db


def test_it_refuses_a_remote_id_twice_on_one_channel() -> None:
    item = InteractionFactory(remote_id="c1")

    with pytest.raises(IntegrityError), transaction.atomic():
        InteractionFactory(remote_id="c1", channel=item.channel)


def test_it_allows_the_same_remote_id_on_two_channels() -> None:
    InteractionFactory(remote_id="c1")
    InteractionFactory(remote_id="c1")

    assert Interaction.objects.filter(remote_id="c1").count() == 2


def test_it_refuses_an_author_twice_on_one_channel() -> None:
    author = AuthorFactory(remote_id="a1")

    with pytest.raises(IntegrityError), transaction.atomic():
        Author.objects.create(channel=author.channel, remote_id="a1")


def test_it_lists_the_newest_first_then_by_id() -> None:
    channel = InboxChannelFactory()
    older = InteractionFactory(channel=channel, remote_created_at=BASE_TIME)
    tie_a = InteractionFactory(
        channel=channel, remote_created_at=BASE_TIME + timedelta(hours=1)
    )
    tie_b = InteractionFactory(
        channel=channel, remote_created_at=BASE_TIME + timedelta(hours=1)
    )

    assert list(Interaction.objects.all()) == [tie_b, tie_a, older], "keyset order"


def test_it_starts_an_interaction_as_new() -> None:
    item = InteractionFactory()

    assert item.status == InteractionStatus.NEW, "new until someone looks"
    assert (item.priority, item.categories) == (0, []), "no triage yet"


def test_it_refuses_a_saved_reply_title_twice_per_language() -> None:
    SavedReply.objects.create(title="Danke", language="de", text="Danke, {name}!")
    SavedReply.objects.create(title="Danke", language="en", text="Thanks, {name}!")

    with pytest.raises(IntegrityError), transaction.atomic():
        SavedReply.objects.create(title="Danke", language="de", text="Merci")


def test_it_refuses_a_saved_reply_language_of_one_character() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        SavedReply.objects.create(title="Danke", language="d", text="Danke")


def test_it_protects_a_channel_with_interactions() -> None:
    item = InteractionFactory()

    with pytest.raises(ProtectedError), transaction.atomic():
        item.channel.delete()
