"""Saved replies (Textbausteine): list, write, change, delete; permissions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from leitstelle.core.models import AuditEvent
from leitstelle.inbox.models import SavedReply
from tests.conftest import login_client
from tests.inbox.factories import InteractionFactory

pytestmark = pytest.mark.django_db
LIST = reverse("inbox:saved_replies")
NEW = reverse("inbox:saved_reply_new")


@pytest.fixture
def worker_client(client: Client, community_manager) -> Client:
    return login_client(client, community_manager)


@pytest.fixture
def saved() -> SavedReply:
    return SavedReply.objects.create(
        title="Danke", language="de", text="Danke, {name}!"
    )


def test_it_lists_the_saved_replies(worker_client: Client, saved: SavedReply) -> None:
    response = worker_client.get(LIST)

    assert response.status_code == 200
    assert "Danke, {name}!" in response.text, "text not listed"
    assert reverse("inbox:saved_reply_edit", args=[saved.pk]) in response.text


def test_it_shows_the_empty_state(worker_client: Client) -> None:
    assert "No saved replies yet" in worker_client.get(LIST).text


def test_it_adds_a_saved_reply(worker_client: Client, community_manager) -> None:
    data = {"title": "Umleitung", "language": "en", "text": "Please use the A4."}

    response = worker_client.post(NEW, data)

    saved = SavedReply.objects.get()
    assert response.status_code == 302, "not saved"
    assert (saved.title, saved.language) == ("Umleitung", "en")
    assert saved.created_by == community_manager
    assert AuditEvent.objects.filter(action="inbox.saved_reply_created").exists()


def test_it_refuses_a_second_version_in_the_same_language(
    worker_client: Client, saved: SavedReply
) -> None:
    data = {"title": "Danke", "language": "de", "text": "Noch einmal"}

    response = worker_client.post(NEW, data)

    assert response.status_code == 400, "duplicate accepted"
    assert SavedReply.objects.count() == 1


def test_it_adds_a_version_in_another_language(
    worker_client: Client, saved: SavedReply
) -> None:
    form = worker_client.get(NEW, {"title": "Danke"}).text
    response = worker_client.post(
        NEW, {"title": "Danke", "language": "en", "text": "Thanks, {name}!"}
    )

    assert 'value="Danke"' in form, "the title is not prefilled"
    assert response.status_code == 302
    assert SavedReply.objects.filter(title="Danke").count() == 2


def test_it_changes_a_saved_reply(worker_client: Client, saved: SavedReply) -> None:
    edit = reverse("inbox:saved_reply_edit", args=[saved.pk])

    response = worker_client.post(
        edit, {"title": "Danke", "language": "de", "text": "Vielen Dank, {name}!"}
    )

    saved.refresh_from_db()
    assert response.status_code == 302
    assert saved.text == "Vielen Dank, {name}!"
    event = AuditEvent.objects.get(action="inbox.saved_reply_changed")
    assert event.details == {"changed": ["text"]}


def test_it_asks_before_deleting(worker_client: Client, saved: SavedReply) -> None:
    delete = reverse("inbox:saved_reply_delete", args=[saved.pk])

    question = worker_client.get(delete)

    assert question.status_code == 200
    assert f'action="{delete}"' in question.text, "no confirmation form"
    assert SavedReply.objects.exists(), "deleted on GET"


def test_it_deletes_after_the_confirmation(
    worker_client: Client, saved: SavedReply
) -> None:
    delete = reverse("inbox:saved_reply_delete", args=[saved.pk])

    response = worker_client.post(delete)

    assert response.status_code == 302
    assert not SavedReply.objects.exists(), "not deleted"
    assert AuditEvent.objects.filter(action="inbox.saved_reply_deleted").exists()


def test_it_escapes_saved_reply_text(worker_client: Client) -> None:
    SavedReply.objects.create(
        title="<img src=x onerror=alert(1)>", language="de", text="<script>x</script>"
    )

    page = worker_client.get(LIST).text

    assert "<script>x</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page, "text not shown escaped"


def test_it_offers_saved_replies_in_the_thread(
    worker_client: Client, saved: SavedReply
) -> None:
    item = InteractionFactory(language="de")

    page = worker_client.get(reverse("inbox:detail", args=[item.pk])).text

    assert f'<option value="{saved.pk}">Danke (de)</option>' in page
    assert LIST in page, "no link to manage saved replies"


@pytest.mark.parametrize("role", ["analyst", "editor", "approver"])
def test_it_refuses_readers(client: Client, role: str, request: Any) -> None:
    login_client(client, request.getfixturevalue(role))

    listed = client.get(LIST)
    added = client.post(NEW, {"title": "T", "language": "de", "text": "x"})

    assert listed.status_code == 403, f"{role} sees the saved replies"
    assert added.status_code == 403, f"{role} may add one"
    assert not SavedReply.objects.exists()


def test_it_refuses_readers_to_delete(
    analyst_client: Client, saved: SavedReply
) -> None:
    delete = reverse("inbox:saved_reply_delete", args=[saved.pk])

    assert analyst_client.post(delete).status_code == 403
    assert SavedReply.objects.exists()
