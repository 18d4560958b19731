"""Moderation: snapshots first, then the network; unsupported actions explained."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from leitstelle.core.models import AuditEvent
from leitstelle.inbox import moderation, services
from leitstelle.inbox.models import Interaction, Snapshot
from leitstelle.networks.base import AuthExpired, ContentRejected
from leitstelle.networks.exercise import services as exercise
from leitstelle.networks.exercise.connector import Exercise as ExerciseConnector
from leitstelle.networks.exercise.models import (
    ExerciseAccount,
    ExerciseBlock,
    ExerciseMute,
    ExercisePost,
)
from tests.conftest import login_client
from tests.inbox.factories import exercise_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def police() -> ExerciseAccount:
    return exercise.create_account(
        handle="polizei_test", display_name="Polizei Test", is_organisation=True
    )


@pytest.fixture
def citizen() -> ExerciseAccount:
    return exercise.create_account(handle="troll", display_name="Der Troll")


@pytest.fixture
def comment(police: ExerciseAccount, citizen: ExerciseAccount) -> ExercisePost:
    post = exercise.create_post(account=police, text="Sperrung der B6.")
    return exercise.create_post(
        account=citizen, text="Beleidigung <script>x</script>", in_reply_to=post
    )


@pytest.fixture
def item(police: ExerciseAccount, comment: ExercisePost) -> Interaction:
    channel = exercise_channel(police)
    services.poll_channel(channel_id=channel.pk)
    return Interaction.objects.select_related("channel", "author").get(
        remote_id=str(comment.pk)
    )


@pytest.fixture
def worker_client(client: Client, community_manager) -> Client:
    return login_client(client, community_manager)


def url(name: str, item: Interaction) -> str:
    return reverse(f"inbox:{name}", args=[item.pk])


def without(action: str) -> Any:
    """Patch the exercise connector's capabilities to lack `action`."""
    capabilities = replace(ExerciseConnector.capabilities, **{action: False})
    return mock.patch.object(ExerciseConnector, "capabilities", capabilities)


def test_it_hides_the_item_on_the_network(
    item: Interaction, comment: ExercisePost, community_manager
) -> None:
    moderation.hide(interaction=item, actor=community_manager)

    comment.refresh_from_db()
    item.refresh_from_db()
    assert comment.hidden_at is not None, "not hidden on the network"
    assert item.hidden_at is not None, "not marked hidden in the inbox"


def test_it_preserves_a_snapshot_before_hiding(
    item: Interaction, community_manager
) -> None:
    moderation.hide(interaction=item, actor=community_manager)

    snapshot = Snapshot.objects.get()
    assert snapshot.action == "hide"
    assert snapshot.text == "Beleidigung <script>x</script>", "text not kept"
    assert snapshot.raw == item.raw, "the full raw payload is kept"
    assert snapshot.author["handle"] == "troll", "author data not kept"
    assert snapshot.taken_by == community_manager


def test_it_stores_a_verifiable_digest(item: Interaction, community_manager) -> None:
    moderation.hide(interaction=item, actor=community_manager)

    snapshot = Snapshot.objects.get()
    assert len(snapshot.sha256) == 64
    assert moderation.snapshot_digest(snapshot) == snapshot.sha256, "digest differs"
    snapshot.text = "geändert"
    assert moderation.snapshot_digest(snapshot) != snapshot.sha256, "blind digest"


def test_it_keeps_the_snapshot_when_the_network_refuses(
    item: Interaction, community_manager
) -> None:
    refused = ContentRejected("The network refused.")
    with (
        mock.patch.object(ExerciseConnector, "hide", side_effect=refused),
        pytest.raises(moderation.ModerationError, match=r"The network refused\."),
    ):
        moderation.hide(interaction=item, actor=community_manager)

    item.refresh_from_db()
    assert Snapshot.objects.count() == 1, "the snapshot was taken first"
    assert item.hidden_at is None, "marked hidden although the network refused"
    assert AuditEvent.objects.filter(action="inbox.moderation_failed").exists()


def test_it_takes_the_snapshot_before_calling_the_network(
    item: Interaction, community_manager
) -> None:
    seen: list[int] = []

    def hide(remote_id: str) -> None:
        seen.append(Snapshot.objects.count())

    with mock.patch.object(ExerciseConnector, "hide", side_effect=hide):
        moderation.hide(interaction=item, actor=community_manager)

    assert seen == [1], "the network was called before the snapshot existed"


def test_it_shows_a_hidden_item_again(
    item: Interaction, comment: ExercisePost, community_manager
) -> None:
    moderation.hide(interaction=item, actor=community_manager)

    moderation.unhide(interaction=item, actor=community_manager)

    comment.refresh_from_db()
    item.refresh_from_db()
    assert comment.hidden_at is None, "still hidden on the network"
    assert item.hidden_at is None, "still marked hidden"
    assert Snapshot.objects.count() == 1, "unhiding needs no snapshot"


def test_it_deletes_with_a_snapshot(
    item: Interaction, comment: ExercisePost, community_manager
) -> None:
    moderation.delete(interaction=item, actor=community_manager)

    item.refresh_from_db()
    comment.refresh_from_db()
    assert comment.deleted_at is not None, "still there on the network"
    assert item.deleted_by_us_at is not None, "not marked deleted"
    assert Snapshot.objects.get().action == "delete", "no snapshot before deleting"
    assert Interaction.objects.filter(pk=item.pk).exists(), "our row is kept"


def test_it_blocks_the_author(
    item: Interaction, citizen: ExerciseAccount, community_manager
) -> None:
    moderation.block(interaction=item, actor=community_manager)

    item.author.refresh_from_db()
    assert ExerciseBlock.objects.filter(target=citizen).exists(), "not blocked"
    assert item.author.blocked_at is not None, "not marked blocked"


def test_it_mutes_the_author(
    item: Interaction, citizen: ExerciseAccount, community_manager
) -> None:
    moderation.mute(interaction=item, actor=community_manager)

    item.author.refresh_from_db()
    assert ExerciseMute.objects.filter(target=citizen).exists(), "not muted"
    assert item.author.muted_at is not None, "not marked muted"


@pytest.mark.parametrize(
    ("action", "event"),
    [
        ("hide", "inbox.hidden"),
        ("block", "inbox.author_blocked"),
        ("mute", "inbox.author_muted"),
    ],
)
def test_it_audits_each_action(
    item: Interaction, community_manager, action: str, event: str
) -> None:
    getattr(moderation, action)(interaction=item, actor=community_manager)

    assert AuditEvent.objects.filter(action=event).count() == 1, event


@pytest.mark.parametrize("action", ["hide", "block", "mute"])
def test_it_explains_an_unsupported_action(
    item: Interaction, community_manager, action: str
) -> None:
    capability = "hide" if action == "hide" else action
    with (
        without(capability),
        mock.patch.object(ExerciseConnector, action) as network,
        pytest.raises(moderation.ModerationError, match="does not let Leitstelle"),
    ):
        getattr(moderation, action)(interaction=item, actor=community_manager)

    assert not network.called, "the network was called anyway"
    assert not Snapshot.objects.exists(), "a snapshot for nothing"


def test_it_explains_when_a_network_deletes_no_comments(
    worker_client: Client, item: Interaction
) -> None:
    with without("delete_comments"):
        page = worker_client.get(url("detail", item)).text

    assert url("delete", item) not in page, "a delete button that cannot work"
    assert "does not let Leitstelle delete other people&#x27;s comments" in page


def test_it_knows_which_networks_delete_comments(item: Interaction) -> None:
    item.channel.kind = "mastodon"
    assert not moderation.supports(item.channel, "delete"), "Mastodon cannot"
    item.channel.kind = "facebook"
    assert moderation.supports(item.channel, "delete"), "a Facebook page can"


# Views


def test_it_hides_from_the_thread(
    worker_client: Client, item: Interaction, comment: ExercisePost
) -> None:
    response = worker_client.post(url("hide", item), follow=True)

    comment.refresh_from_db()
    assert comment.hidden_at is not None, "not hidden"
    assert "A snapshot was kept." in response.text, "no confirmation"


def test_it_offers_the_moderation_buttons(
    worker_client: Client, item: Interaction
) -> None:
    page = worker_client.get(url("detail", item)).text

    assert 'data-shortcut="h"' in page, "no hide button for the h shortcut"
    assert url("hide", item) in page and url("block", item) in page
    assert f'action="{url("delete", item)}" data-confirm=' in page, "unconfirmed"


def test_it_explains_unsupported_actions_on_the_page(
    worker_client: Client, item: Interaction
) -> None:
    with without("hide"):
        page = worker_client.get(url("detail", item)).text

    assert url("hide", item) not in page, "a hide button that cannot work"
    assert "does not let Leitstelle hide comments" in page, "not explained"


def test_it_shows_the_network_error(worker_client: Client, item: Interaction) -> None:
    refused = ContentRejected("Only replies in the account's own threads.")
    with mock.patch.object(ExerciseConnector, "mute", side_effect=refused):
        response = worker_client.post(url("mute", item), follow=True)

    assert "Only replies in the account&#x27;s own threads." in response.text


@pytest.mark.parametrize("role", ["analyst", "editor", "approver"])
@pytest.mark.parametrize("action", ["hide", "unhide", "delete", "block", "mute"])
def test_it_refuses_moderation_by_readers(
    client: Client,
    item: Interaction,
    comment: ExercisePost,
    role: str,
    action: str,
    request: Any,
) -> None:
    login_client(client, request.getfixturevalue(role))

    response = client.post(url(action, item))

    comment.refresh_from_db()
    assert response.status_code == 403, f"{role} may {action}"
    assert comment.hidden_at is None and comment.deleted_at is None


def test_it_refuses_get_requests(worker_client: Client, item: Interaction) -> None:
    assert worker_client.get(url("hide", item)).status_code == 405


def test_it_marks_the_channel_when_access_expired(
    item: Interaction, community_manager
) -> None:
    expired = AuthExpired("The exercise network no longer accepts this channel.")
    with (
        mock.patch.object(ExerciseConnector, "hide", side_effect=expired),
        pytest.raises(moderation.ModerationError),
    ):
        moderation.hide(interaction=item, actor=community_manager)

    item.channel.refresh_from_db()
    assert item.channel.status == "needs_reauth", "admins are not told"


def test_it_leaves_the_channel_alone_when_one_item_is_refused(
    item: Interaction, community_manager
) -> None:
    refused = ContentRejected("Only replies in the account's own threads.")
    with (
        mock.patch.object(ExerciseConnector, "hide", side_effect=refused),
        pytest.raises(moderation.ModerationError),
    ):
        moderation.hide(interaction=item, actor=community_manager)

    item.channel.refresh_from_db()
    assert item.channel.last_error == "", "one refused item marks the channel"
