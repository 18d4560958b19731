"""`/api/v1/interactions`: the inbox through the API, with the UI's rules."""

from __future__ import annotations

import pytest

from leitstelle.core.models import AuditEvent
from leitstelle.inbox import services
from leitstelle.inbox.models import Interaction, InternalNote, Reply, Snapshot
from leitstelle.networks.exercise import services as exercise
from leitstelle.networks.exercise.models import ExercisePost
from tests.core.factories import UserFactory
from tests.core.test_api import Api, make_token
from tests.inbox.factories import (
    AuthorFactory,
    InboxChannelFactory,
    InteractionFactory,
    exercise_channel,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst_api(analyst) -> Api:
    return Api(make_token(analyst))


@pytest.fixture
def worker_api(community_manager) -> Api:
    return Api(make_token(community_manager))


def test_it_refuses_the_inbox_without_a_token():
    assert Api(None).get("/interactions").status_code == 401


def test_it_lists_items_newest_first_with_a_keyset_cursor(analyst_api):
    channel = InboxChannelFactory()
    items = [InteractionFactory(channel=channel) for _ in range(55)]
    first = analyst_api.get("/interactions").json()
    assert [row["id"] for row in first["items"]] == [i.pk for i in items[::-1][:50]]
    assert first["previous"] is None
    second = analyst_api.get("/interactions", before=first["next"]).json()
    assert [row["id"] for row in second["items"]] == [i.pk for i in items[4::-1]]
    assert second["next"] is None
    back = analyst_api.get("/interactions", after=second["previous"]).json()
    assert back["items"] == first["items"]


def test_it_shows_what_an_item_is(analyst_api):
    author = AuthorFactory(
        name="Erika", handle="erika", avatar_url="https://cdn.example/erika.jpg"
    )
    item = InteractionFactory(
        channel=author.channel,
        author=author,
        text="<script>alert(1)</script>",
        media_urls=["https://cdn.example/photo.jpg"],
        tags=["b96"],
    )
    row = analyst_api.get("/interactions").json()["items"][0]
    assert row["id"] == item.pk
    assert row["text"] == "<script>alert(1)</script>"  # JSON, escaped by clients
    assert row["channel"] == {
        "id": item.channel.pk,
        "name": item.channel.name,
        "network": "exercise",
    }
    assert row["author"]["name"] == "Erika"
    # Remote images only ever through our proxy.
    assert row["author"]["avatar"].startswith("/posteingang/medien/")
    assert row["media"][0].startswith("/posteingang/medien/")
    assert "cdn.example" not in str(row["media"]) + row["author"]["avatar"]
    assert row["status"] == "new"
    assert row["tags"] == ["b96"]


def test_it_filters_like_the_list(analyst_api):
    channel = InboxChannelFactory()
    InteractionFactory(channel=channel, status="new", text="Stau auf der Autobahn")
    wanted = InteractionFactory(channel=channel, status="open", text="Unfall B96")
    InteractionFactory(status="open", text="anderer Kanal")
    body = analyst_api.get("/interactions", channel=channel.pk, status="open").json()
    assert [row["id"] for row in body["items"]] == [wanted.pk]


def test_it_searches_full_text(analyst_api):
    InteractionFactory(text="Die Straße ist gesperrt")
    found = InteractionFactory(text="Wo ist der Unfall passiert?")
    body = analyst_api.get("/interactions", q="Unfall").json()
    assert [row["id"] for row in body["items"]] == [found.pk]


def test_it_refuses_invalid_filters_with_400(analyst_api):
    response = analyst_api.get("/interactions", status="nonsense")
    assert response.status_code == 400
    assert "status" in response.json()["detail"]


def test_it_lists_only_channels_the_caller_sees(analyst, analyst_api):
    hidden_channel = InboxChannelFactory()
    hidden_channel.users.add(UserFactory())
    InteractionFactory(channel=hidden_channel)
    shown = InteractionFactory()
    body = analyst_api.get("/interactions").json()
    assert [row["id"] for row in body["items"]] == [shown.pk]
    secret = Interaction.objects.get(channel=hidden_channel)
    assert analyst_api.get(f"/interactions/{secret.pk}").status_code == 404


def test_it_shows_an_item_with_its_thread_and_notes(analyst_api, community_manager):
    channel = InboxChannelFactory()
    first = InteractionFactory(channel=channel, root_post="p1", thread_key="p1")
    second = InteractionFactory(channel=channel, root_post="p1", thread_key="p1")
    InteractionFactory(channel=channel, root_post="p2", thread_key="p2")
    services.add_note(interaction=second, author=community_manager, text="Rückruf")
    body = analyst_api.get(f"/interactions/{second.pk}").json()
    assert body["item"]["id"] == second.pk
    assert [row["id"] for row in body["thread"]] == [first.pk, second.pk]
    assert [(n["text"], n["author"]) for n in body["notes"]] == [
        ("Rückruf", "community")
    ]
    assert body["replies"] == []


def test_it_answers_404_for_an_unknown_item(analyst_api):
    response = analyst_api.get("/interactions/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no item with the id 999999."}


def test_a_community_manager_adds_a_note(worker_api, community_manager):
    item = InteractionFactory()
    response = worker_api.post(f"/interactions/{item.pk}/notes", {"text": " Anrufen "})
    assert response.status_code == 201
    assert response.json()["text"] == "Anrufen"
    note = InternalNote.objects.get()
    assert (note.interaction, note.author) == (item, community_manager)
    assert AuditEvent.objects.filter(action="inbox.note_added").exists()


def test_an_empty_note_is_refused(worker_api):
    item = InteractionFactory()
    response = worker_api.post(f"/interactions/{item.pk}/notes", {"text": "  "})
    assert response.status_code == 400
    assert not InternalNote.objects.exists()


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("notes", {"text": "x"}),
        ("replies", {"text": "x"}),
        ("hide", {}),
        ("assign", {"assignee": "analyst"}),
        ("status", {"status": "closed"}),
    ],
)
def test_an_analyst_cannot_work_the_inbox(analyst_api, path, payload):
    item = InteractionFactory()
    response = analyst_api.post(f"/interactions/{item.pk}/{path}", payload)
    assert response.status_code == 403
    item.refresh_from_db()
    assert (item.status, item.hidden_at, item.assignee) == ("new", None, None)
    assert not InternalNote.objects.exists()
    assert not Reply.objects.exists()


def test_an_editor_cannot_work_the_inbox_either(editor):
    item = InteractionFactory()
    response = Api(make_token(editor)).post(f"/interactions/{item.pk}/hide", {})
    assert response.status_code == 403


@pytest.fixture
def network_item():
    police = exercise.create_account(
        handle="polizei_api", display_name="Polizei", is_organisation=True
    )
    citizen = exercise.create_account(handle="anwohnerin", display_name="Anwohnerin")
    post = exercise.create_post(account=police, text="Sperrung der B6.")
    comment = exercise.create_post(account=citizen, text="Wie lange?", in_reply_to=post)
    channel = exercise_channel(police)
    services.poll_channel(channel_id=channel.pk)
    return Interaction.objects.get(remote_id=str(comment.pk)), comment


def test_a_reply_through_the_api_reaches_the_network(
    worker_api, network_item, django_capture_on_commit_callbacks
):
    item, comment = network_item
    with django_capture_on_commit_callbacks(execute=True):
        response = worker_api.post(
            f"/interactions/{item.pk}/replies", {"text": "Bis etwa 14 Uhr."}
        )
    assert response.status_code == 202
    reply = Reply.objects.get()
    assert response.json()["id"] == reply.pk
    assert reply.status == "sent"
    assert ExercisePost.objects.filter(
        in_reply_to=comment, text="Bis etwa 14 Uhr."
    ).exists()


def test_an_empty_reply_is_refused(worker_api, network_item):
    item, _comment = network_item
    response = worker_api.post(f"/interactions/{item.pk}/replies", {"text": " "})
    assert response.status_code == 400
    assert not Reply.objects.exists()


def test_hiding_through_the_api_keeps_a_snapshot(worker_api, network_item):
    item, comment = network_item
    response = worker_api.post(f"/interactions/{item.pk}/hide", {})
    assert response.status_code == 200
    assert response.json()["hidden_at"] is not None
    assert Snapshot.objects.get().interaction == item
    comment.refresh_from_db()
    assert comment.hidden_at is not None
    shown = worker_api.post(f"/interactions/{item.pk}/unhide", {})
    assert shown.json()["hidden_at"] is None


def test_it_assigns_and_unassigns(worker_api, community_manager):
    item = InteractionFactory()
    response = worker_api.post(
        f"/interactions/{item.pk}/assign", {"assignee": "community"}
    )
    assert response.status_code == 200
    assert response.json()["assignee"] == "community"
    assert response.json()["status"] == "open"
    cleared = worker_api.post(f"/interactions/{item.pk}/assign", {"assignee": None})
    assert cleared.json()["assignee"] is None


def test_it_refuses_an_unknown_or_unfit_assignee(worker_api, analyst):
    item = InteractionFactory()
    unknown = worker_api.post(f"/interactions/{item.pk}/assign", {"assignee": "nobody"})
    unfit = worker_api.post(f"/interactions/{item.pk}/assign", {"assignee": "analyst"})
    assert (unknown.status_code, unfit.status_code) == (400, 400)
    item.refresh_from_db()
    assert item.assignee is None


def test_it_changes_the_status(worker_api):
    item = InteractionFactory()
    response = worker_api.post(f"/interactions/{item.pk}/status", {"status": "closed"})
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert AuditEvent.objects.filter(action="inbox.status_changed").exists()


def test_it_refuses_an_unknown_status(worker_api):
    item = InteractionFactory()
    response = worker_api.post(f"/interactions/{item.pk}/status", {"status": "gone"})
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.status == "new"


def test_the_inbox_is_in_the_openapi_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert {
        "/api/v1/interactions",
        "/api/v1/interactions/{interaction_id}",
        "/api/v1/interactions/{interaction_id}/notes",
        "/api/v1/interactions/{interaction_id}/replies",
        "/api/v1/interactions/{interaction_id}/hide",
        "/api/v1/interactions/{interaction_id}/assign",
        "/api/v1/interactions/{interaction_id}/status",
    } <= set(schema["paths"])
    listing = schema["paths"]["/api/v1/interactions"]["get"]
    names = {parameter["name"] for parameter in listing["parameters"]}
    assert {"q", "channel", "status", "before", "after"} <= names


def test_a_page_costs_the_same_queries_for_few_or_many_items(analyst_api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    channel = InboxChannelFactory()

    def queries_for(count: int) -> int:
        for n in range(count):
            author = AuthorFactory(
                channel=channel, avatar_url=f"https://cdn.example/{count}-{n}.png"
            )
            InteractionFactory(channel=channel, author=author)
        with CaptureQueriesContext(connection) as captured:
            assert analyst_api.get("/interactions").status_code == 200
        return len(captured)

    analyst_api.get("/me")  # the token's last use is written once a minute
    assert queries_for(2) == queries_for(30)


def test_a_refused_hide_answers_409_with_the_reason(worker_api, network_item):
    from unittest import mock

    from leitstelle.networks.base import ContentRejected
    from leitstelle.networks.exercise.connector import Exercise

    item, _comment = network_item
    refused = ContentRejected("The network refused: too old.", reason="old")
    with mock.patch.object(Exercise, "hide", side_effect=refused):
        response = worker_api.post(f"/interactions/{item.pk}/hide", {})
    assert response.status_code == 409
    assert response.json() == {"detail": "The network refused: too old."}
    item.refresh_from_db()
    assert item.hidden_at is None
