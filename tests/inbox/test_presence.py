"""Presence: who else has a thread open or is typing a reply."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leitstelle.core.models import Unit
from leitstelle.inbox import presence, tasks
from leitstelle.inbox.models import Interaction, Presence
from tests.conftest import login_client
from tests.core.factories import UserFactory
from tests.inbox.factories import InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def item() -> Interaction:
    return InteractionFactory()


@pytest.fixture
def colleague(db):
    return UserFactory(username="kollegin", first_name="Eva", last_name="Kollegin")


def heartbeat(client: Client, item: Interaction, **data: str):
    return client.post(reverse("inbox:presence", args=[item.pk]), data)


def test_it_shows_a_colleague_viewing_the_thread(
    item: Interaction, community_manager, colleague
) -> None:
    presence.touch(interaction=item, user=colleague)

    found = presence.colleagues(interaction=item, user=community_manager)

    assert [(c.name, c.typing) for c in found] == [("Eva Kollegin", False)]


def test_it_does_not_show_oneself(item: Interaction, community_manager) -> None:
    presence.touch(interaction=item, user=community_manager)

    assert presence.colleagues(interaction=item, user=community_manager) == []


def test_it_forgets_a_colleague_after_the_heartbeats_stop(
    item: Interaction, community_manager, colleague
) -> None:
    presence.touch(interaction=item, user=colleague)
    Presence.objects.update(seen_at=timezone.now() - timedelta(seconds=31))

    assert presence.colleagues(interaction=item, user=community_manager) == []


def test_it_shows_typing_only_while_it_lasts(
    item: Interaction, community_manager, colleague
) -> None:
    presence.touch(interaction=item, user=colleague, typing=True)
    typing = presence.colleagues(interaction=item, user=community_manager)
    Presence.objects.update(typing_until=timezone.now() - timedelta(seconds=1))
    stopped = presence.colleagues(interaction=item, user=community_manager)

    assert [c.typing for c in typing] == [True], "typing not shown"
    assert [c.typing for c in stopped] == [False], "typing shown after it stopped"


def test_it_keeps_one_row_per_user_and_thread(item: Interaction, colleague) -> None:
    presence.touch(interaction=item, user=colleague)
    presence.touch(interaction=item, user=colleague, typing=True)

    assert Presence.objects.count() == 1


def test_it_prunes_old_heartbeats(item: Interaction, colleague) -> None:
    presence.touch(interaction=item, user=colleague)
    fresh = InteractionFactory()
    presence.touch(interaction=fresh, user=colleague)
    Presence.objects.filter(interaction=item).update(
        seen_at=timezone.now() - timedelta(hours=2)
    )

    pruned = tasks.prune_presence.call_local()

    assert pruned == 1, "the old heartbeat stays"
    assert Presence.objects.get().interaction == fresh, "the fresh one went"


# Views


def test_it_answers_the_heartbeat_with_the_colleagues(
    client: Client, item: Interaction, community_manager, colleague
) -> None:
    presence.touch(interaction=item, user=colleague, typing=True)
    login_client(client, community_manager)

    response = heartbeat(client, item)

    assert response.status_code == 200
    assert "Eva Kollegin is typing a reply" in response.text, response.text
    assert "<html" not in response.text, "a whole page for a heartbeat"
    assert Presence.objects.filter(user=community_manager).exists(), "not recorded"


def test_it_records_typing_from_the_heartbeat(
    client: Client, item: Interaction, community_manager, colleague
) -> None:
    login_client(client, community_manager)
    heartbeat(client, item, typing="1")

    found = presence.colleagues(interaction=item, user=colleague)

    assert [c.typing for c in found] == [True], "typing not recorded"


def test_it_never_records_typing_for_readers(
    analyst_client: Client, item: Interaction, colleague
) -> None:
    heartbeat(analyst_client, item, typing="1")

    found = presence.colleagues(interaction=item, user=colleague)

    assert [c.typing for c in found] == [False], "an analyst cannot reply"


def test_it_shows_viewers_on_the_thread_page(
    client: Client, item: Interaction, community_manager, colleague
) -> None:
    login_client(client, colleague)
    client.get(reverse("inbox:detail", args=[item.pk]))
    login_client(client, community_manager)

    page = client.get(reverse("inbox:detail", args=[item.pk])).text

    assert "Eva Kollegin is viewing this thread" in page, "opening is not presence"
    assert 'hx-trigger="every 10s' in page, "no heartbeat every 10 seconds"


def test_it_refuses_heartbeats_on_invisible_threads(
    analyst_client: Client, item: Interaction
) -> None:
    item.channel.units.add(Unit.objects.create(name="Elsewhere"))

    assert heartbeat(analyst_client, item).status_code == 404


def test_it_sends_anonymous_heartbeats_to_the_login(
    client: Client, item: Interaction
) -> None:
    assert heartbeat(client, item).status_code == 302
    assert not Presence.objects.exists()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_shows_a_typing_colleague_in_the_browser(
    browser: Any, live_server: Any, item: Interaction
) -> None:
    from playwright.sync_api import expect

    from tests.core.test_e2e import log_in

    UserFactory(username="anna", role="community", first_name="Anna", last_name="A")
    UserFactory(username="ben", role="community", first_name="Ben", last_name="B")
    thread = f"{live_server.url}{reverse('inbox:detail', args=[item.pk])}"
    watcher, writer = browser.new_page(), browser.new_page()
    log_in(watcher, live_server.url, "anna")
    watcher.goto(thread)
    log_in(writer, live_server.url, "ben")
    writer.goto(thread)

    expect(writer.locator("#presence")).to_contain_text(
        "Anna A is viewing", timeout=15000
    )
    writer.locator("#reply-text").press_sequentially("Ich antworte")

    expect(watcher.locator("#presence")).to_contain_text(
        "Ben B is typing a reply", timeout=25000
    )
