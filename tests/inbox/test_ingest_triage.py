"""Triage at ingest: every new item is classified before it shows in the inbox."""

from __future__ import annotations

import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from leitstelle.inbox import classification, workflow
from leitstelle.inbox.ingest import ingest_page
from leitstelle.inbox.models import InboxSettings, Interaction
from leitstelle.networks.models import Channel
from leitstelle.triage.categories import Priority
from leitstelle.triage.classify import Classification
from tests.inbox.factories import BASE_TIME, InboxChannelFactory, incoming, page

pytestmark = pytest.mark.django_db
LIST = reverse("inbox:list")
EMERGENCY = "Hilfe, bei uns wird gerade eingebrochen! Bitte schnell kommen"
QUESTION = "Wann ist die Wache morgen geöffnet?"
THANKS = "Danke für die Info, gute Arbeit!"
HOSTILE = '<img src=x onerror="alert(1)">'


@pytest.fixture
def channel() -> Channel:
    return InboxChannelFactory()


def stored(remote_id: str = "c1") -> Interaction:
    return Interaction.objects.get(remote_id=remote_id)


def detail(item: Interaction) -> str:
    return reverse("inbox:detail", args=[item.pk])


def hostile_batch(texts: list[str], **options: object) -> list[Classification]:
    """A classifier whose categories and reasons carry markup."""
    return [
        Classification(
            language="de",
            categories={"emergency": 0.9, HOSTILE: 0.8},
            priority=Priority.EMERGENCY,
            reasons={"emergency": [HOSTILE, "hilfe"], HOSTILE: ["<b>bold</b>"]},
            model="<script>m</script>",
        )
        for _ in texts
    ]


def test_it_makes_an_emergency_urgent_with_the_urgent_due_time(
    channel: Channel,
) -> None:
    InboxSettings.objects.create(pk=1, response_minutes={"0": 600, "3": 15})

    ingest_page(channel=channel, page=page(incoming("c1", text=EMERGENCY)))

    item = stored()
    assert item.priority == 3, item.categories
    assert item.categories[0] == "emergency", "emergency comes first"
    assert item.response_due_at == BASE_TIME + timedelta(minutes=15)
    assert item.language == "de", "the language is detected"
    assert item.triage["categories"]["emergency"] > 0.5, item.triage
    assert "eingebrochen" in item.triage["reasons"]["emergency"], item.triage
    assert item.triage["model"], "the model version is kept"


def test_it_maps_categories_to_inbox_priorities() -> None:
    assert classification.inbox_priority(["abuse", "threat"]) == 2
    assert classification.inbox_priority(["tip"]) == 1
    assert classification.inbox_priority(["question", "emergency"]) == 3
    assert classification.inbox_priority(["praise"]) == 0
    assert classification.inbox_priority([]) == 0


def test_it_classifies_a_page_in_one_call(channel: Channel) -> None:
    ingest_page(channel=channel, page=page(incoming("c1"), incoming("c2")))
    again = page(
        incoming("c1"),  # unchanged
        incoming("c2", text=EMERGENCY),  # edited
        incoming("c3", text=QUESTION),  # new
    )
    real = classification.classify

    with mock.patch.object(classification, "classify", side_effect=real) as spy:
        ingest_page(channel=channel, page=again)

    spy.assert_called_once_with([QUESTION, EMERGENCY])
    assert stored("c2").priority == 3, "the edited item is reclassified"
    assert stored("c3").priority == 1, "the new question is classified"


def test_it_keeps_the_item_when_the_classifier_fails(
    channel: Channel, caplog: pytest.LogCaptureFixture
) -> None:
    broken = mock.patch(
        "leitstelle.triage.classify.classify_batch",
        side_effect=RuntimeError("model file broken"),
    )
    with broken, caplog.at_level(logging.ERROR, logger=classification.__name__):
        result = ingest_page(channel=channel, page=page(incoming("c1", text=EMERGENCY)))

    item = stored()
    assert result.created == 1, "the item is stored"
    assert (item.categories, item.priority) == ([], 0), "unclassified"
    assert item.triage == {"error": "classifier failed"}
    assert item.response_due_at is not None, "its clock still runs"
    assert "model file broken" in caplog.text, "the failure is logged"
    assert channel.cursor == {"after": "c1"}, "the cursor moves on"


def test_it_keeps_the_words_only_for_urgent_items(channel: Channel) -> None:
    """Finding the strongest words costs; at ingest only urgent items get them."""
    ingest_page(
        channel=channel,
        page=page(incoming("c1", text=EMERGENCY), incoming("c2", text=THANKS)),
    )

    assert stored("c1").triage.get("reasons"), "no evidence for the emergency"
    assert "reasons" not in stored("c2").triage, "words for a thank-you"


def test_it_keeps_a_manually_set_priority_through_a_network_edit(
    channel: Channel, admin_user
) -> None:
    ingest_page(channel=channel, page=page(incoming("c1", text=QUESTION)))
    workflow.set_priority(interactions=[stored()], priority=2, actor=admin_user)
    due = stored().response_due_at

    ingest_page(channel=channel, page=page(incoming("c1", text=EMERGENCY)))

    item = stored()
    assert item.text == EMERGENCY, "the edit is stored"
    assert item.priority == 2, "the person's priority stays"
    assert item.categories == ["question"], "triage does not overrule the person"
    assert item.response_due_at == due, "the due time stays"


def test_it_does_not_reclassify_an_edit_of_an_item_being_worked(
    channel: Channel, admin_user
) -> None:
    ingest_page(channel=channel, page=page(incoming("c1", text=QUESTION)))
    workflow.set_status(interactions=[stored()], status="open", actor=admin_user)

    ingest_page(channel=channel, page=page(incoming("c1", text=EMERGENCY)))

    assert (stored().priority, stored().categories) == (1, ["question"])


def test_it_reclassifies_an_edit_of_a_new_item(channel: Channel) -> None:
    ingest_page(channel=channel, page=page(incoming("c1", text=THANKS)))
    assert stored().priority == 0, stored().categories

    ingest_page(channel=channel, page=page(incoming("c1", text=EMERGENCY)))

    item = stored()
    assert (item.priority, item.categories[0]) == (3, "emergency")
    assert item.response_due_at == BASE_TIME + timedelta(minutes=30), "urgent SLA"


def test_it_keeps_an_emergency_that_an_edit_tones_down(channel: Channel) -> None:
    ingest_page(channel=channel, page=page(incoming("c1", text=EMERGENCY)))

    ingest_page(channel=channel, page=page(incoming("c1", text=THANKS)))

    item = stored()
    assert item.priority == 3, "an edit never quietly lowers the priority"
    assert item.categories[0] == "emergency", item.categories
    assert item.triage["kept"] == ["emergency"], item.triage


def test_it_filters_the_list_by_triage_category(
    channel: Channel, admin_client: Client
) -> None:
    ingest_page(
        channel=channel,
        page=page(incoming("c1", text=EMERGENCY), incoming("c2", text=THANKS)),
    )

    response = admin_client.get(LIST, {"category": "emergency"})

    assert "eingebrochen" in response.text, "the emergency is found"
    assert "gute Arbeit" not in response.text, "other categories are not"
    assert "triage-emergency" in response.text, "the row is marked"
    assert "leitstelle/triage.css" in response.text, "the marker's style is linked"


def test_it_shows_the_reason_on_the_thread_page(
    channel: Channel, admin_client: Client
) -> None:
    ingest_page(channel=channel, page=page(incoming("c1", text=EMERGENCY)))
    item = stored()
    percent = round(item.triage["categories"]["emergency"] * 100)

    response = admin_client.get(detail(item))

    assert response.status_code == 200
    assert 'class="triage-why" open' in response.text, "open for an emergency"
    assert '<q dir="auto">eingebrochen</q>' in response.text, "strongest words"
    assert f"{percent} %" in response.text, "the confidence"
    assert item.triage["model"] in response.text, "the model version"


def test_it_explains_other_items_when_their_thread_is_opened(
    channel: Channel, admin_client: Client
) -> None:
    ingest_page(channel=channel, page=page(incoming("c1", text=QUESTION)))
    item = stored()
    assert item.categories == ["question"], item.categories
    assert "reasons" not in item.triage, "ingest keeps words of urgent items only"

    response = admin_client.get(detail(item))

    assert 'class="triage-why"' in response.text
    assert '<q dir="auto">wann</q>' in response.text, "worked out on opening"


def test_it_escapes_hostile_categories_and_reasons(
    channel: Channel, admin_client: Client
) -> None:
    with mock.patch(
        "leitstelle.triage.classify.classify_batch", side_effect=hostile_batch
    ):
        ingest_page(channel=channel, page=page(incoming("c1", text=HOSTILE)))
    item = stored()
    assert item.categories == ["emergency", HOSTILE], "stored as the model said"

    listing = admin_client.get(LIST).text
    thread = admin_client.get(detail(item)).text

    for html in (listing, thread):
        assert HOSTILE not in html, "markup from the classifier is escaped"
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<b>bold</b>" not in thread, "the reasons are escaped"
    assert "&lt;b&gt;bold&lt;/b&gt;" in thread
    assert "<script>m</script>" not in thread, "the model version is escaped"


def test_it_keeps_full_text_search_after_the_triage_migration(
    channel: Channel, admin_client: Client
) -> None:
    ingest_page(channel=channel, page=page(incoming("c1", text=EMERGENCY)))
    ingest_page(channel=channel, page=page(incoming("c1", text="Es brennt im Keller")))

    response = admin_client.get(LIST, {"q": "Keller"})

    assert "Es brennt im <mark>Keller</mark>" in response.text, "the edit is found"
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'inbox_interaction'"
            )
            triggers = {row[0] for row in cursor.fetchall()}
        assert {
            "inbox_interaction_fts_insert",
            "inbox_interaction_fts_delete",
            "inbox_interaction_fts_update",
        } <= triggers, triggers
