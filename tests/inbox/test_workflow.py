"""Assignment, statuses, priority, tags and bulk actions: services and views."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from leitstelle.core.models import AuditEvent, Unit
from leitstelle.inbox import services, workflow
from leitstelle.inbox.models import Interaction, Snapshot
from leitstelle.networks.exercise import services as exercise
from tests.conftest import login_client
from tests.core.factories import UserFactory
from tests.inbox.factories import (
    InboxChannelFactory,
    InteractionFactory,
    exercise_channel,
)

pytestmark = pytest.mark.django_db
BULK = reverse("inbox:bulk")


def act(item: Interaction) -> str:
    return reverse("inbox:act", args=[item.pk])


@pytest.fixture
def worker_client(client: Client, community_manager) -> Client:
    return login_client(client, community_manager)


# Services


def test_it_moves_a_status_and_audits_it(community_manager) -> None:
    item = InteractionFactory(status="open")
    changed = workflow.set_status(
        interactions=[item], status="escalated", actor=community_manager
    )
    item.refresh_from_db()
    assert item.status == "escalated", "status not saved"
    assert [i.pk for i in changed] == [item.pk], "change not reported"
    event = AuditEvent.objects.get(action="inbox.status_changed")
    assert event.details == {"before": "open", "to": "escalated"}, event.details
    assert event.object_id == str(item.pk), "audit entry names the wrong item"


def test_it_never_moves_an_item_back_to_new(community_manager) -> None:
    item = InteractionFactory(status="open")
    changed = workflow.set_status(
        interactions=[item], status="new", actor=community_manager
    )
    item.refresh_from_db()
    assert item.status == "open", "item went back to new"
    assert changed == [], "impossible change reported"
    assert not AuditEvent.objects.exists(), "audited a change that did not happen"


def test_it_only_reopens_a_closed_item(community_manager) -> None:
    item = InteractionFactory(status="closed")
    workflow.set_status(
        interactions=[item], status="escalated", actor=community_manager
    )
    item.refresh_from_db()
    assert item.status == "closed", "closed item escalated without reopening"
    workflow.set_status(interactions=[item], status="open", actor=community_manager)
    item.refresh_from_db()
    assert item.status == "open", "closed item not reopened"


def test_it_refuses_an_unknown_status(community_manager) -> None:
    item = InteractionFactory()
    with pytest.raises(workflow.WorkflowError):
        workflow.set_status(interactions=[item], status="gone", actor=community_manager)


def test_it_assigns_and_opens_new_items(community_manager, admin_user) -> None:
    item = InteractionFactory(status="new")
    workflow.assign(interactions=[item], assignee=admin_user, actor=community_manager)
    item.refresh_from_db()
    assert item.assignee == admin_user, "not assigned"
    assert item.status == "open", "assigned item still new"
    event = AuditEvent.objects.get(action="inbox.assigned")
    assert event.details["assignee"] == admin_user.pk, "audit misses the assignee"


def test_it_unassigns_and_audits_it(community_manager) -> None:
    item = InteractionFactory(assignee=community_manager, status="open")
    workflow.assign(interactions=[item], assignee=None, actor=community_manager)
    item.refresh_from_db()
    assert item.assignee is None, "still assigned"
    event = AuditEvent.objects.get(action="inbox.unassigned")
    assert event.details["before"] == community_manager.pk, event.details


def test_it_refuses_to_assign_someone_who_does_not_work_the_inbox(
    community_manager, analyst
) -> None:
    item = InteractionFactory()
    with pytest.raises(workflow.WorkflowError, match="does not work the inbox"):
        workflow.assign(interactions=[item], assignee=analyst, actor=community_manager)
    item.refresh_from_db()
    assert item.assignee is None, "analyst assigned anyway"


def test_it_refuses_to_assign_items_the_assignee_cannot_see(
    admin_user, community_manager
) -> None:
    restricted = InboxChannelFactory()
    restricted.units.add(Unit.objects.create(name="Elsewhere"))
    item = InteractionFactory(channel=restricted)
    with pytest.raises(workflow.WorkflowError, match="cannot see"):
        workflow.assign(
            interactions=[item], assignee=community_manager, actor=admin_user
        )


def test_it_tags_once_in_lower_case_and_untags(community_manager) -> None:
    item = InteractionFactory()
    workflow.tag(interactions=[item], tag="  Presse  Anfrage ", actor=community_manager)
    workflow.tag(interactions=[item], tag="presse anfrage", actor=community_manager)
    item.refresh_from_db()
    assert item.tags == ["presse anfrage"], item.tags
    assert AuditEvent.objects.filter(action="inbox.tagged").count() == 1, "twice"
    workflow.untag(interactions=[item], tag="Presse Anfrage", actor=community_manager)
    item.refresh_from_db()
    assert item.tags == [], "tag not removed"
    assert AuditEvent.objects.filter(action="inbox.untagged").exists(), "not audited"


def test_it_rejects_empty_and_overlong_tags(community_manager) -> None:
    item = InteractionFactory()
    with pytest.raises(workflow.WorkflowError):
        workflow.tag(interactions=[item], tag="   ", actor=community_manager)
    with pytest.raises(workflow.WorkflowError):
        workflow.tag(interactions=[item], tag="x" * 41, actor=community_manager)


def test_it_opens_a_new_item_when_a_worker_views_it(worker_client) -> None:
    item = InteractionFactory(status="new")
    worker_client.get(reverse("inbox:detail", args=[item.pk]))
    item.refresh_from_db()
    assert item.status == "open", "viewed item still new"
    assert AuditEvent.objects.filter(action="inbox.status_changed").exists()


def test_it_leaves_new_items_new_when_readers_view_them(analyst_client) -> None:
    item = InteractionFactory(status="new")
    analyst_client.get(reverse("inbox:detail", args=[item.pk]))
    item.refresh_from_db()
    assert item.status == "new", "an analyst's look opened the item"


# One item's actions (views)


def test_it_assigns_an_item_to_me_and_returns_to_the_thread(
    worker_client, community_manager
) -> None:
    item = InteractionFactory()
    response = worker_client.post(act(item), {"action": "assign_me"})
    item.refresh_from_db()
    assert item.assignee == community_manager, "not assigned to me"
    assert response.status_code == 302, response.status_code
    assert response["Location"] == reverse("inbox:detail", args=[item.pk])


def test_it_follows_only_our_own_next_address(worker_client) -> None:
    item = InteractionFactory()
    response = worker_client.post(
        act(item), {"action": "close", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("inbox:detail", args=[item.pk]), (
        "redirected off-site"
    )


def test_it_escalates_with_htmx_and_renders_the_panel(worker_client) -> None:
    item = InteractionFactory(status="open")
    response = worker_client.post(
        act(item), {"action": "escalate"}, headers={"HX-Request": "true"}
    )
    item.refresh_from_db()
    assert item.status == "escalated", "not escalated"
    assert 'id="workflow-actions"' in response.text, "panel not returned"
    assert "<html" not in response.text, "whole page returned to htmx"
    assert 'data-shortcut="c"' in response.text, "close button missing"


def test_it_renders_the_row_after_a_row_action(worker_client) -> None:
    item = InteractionFactory(status="open")
    response = worker_client.post(
        act(item), {"action": "close", "from": "row"}, headers={"HX-Request": "true"}
    )
    item.refresh_from_db()
    assert item.status == "closed", "not closed"
    assert response.text.startswith("<li"), "not a row"
    assert f'data-item-id="{item.pk}"' in response.text, "row not marked"
    assert "status-closed" in response.text, "row shows the old status"


def test_it_explains_when_nothing_changed(worker_client) -> None:
    item = InteractionFactory(status="closed")
    response = worker_client.post(
        act(item), {"action": "escalate"}, headers={"HX-Request": "true"}
    )
    assert 'role="alert"' in response.text, "no explanation"
    assert "Reopen" in response.text or "öffnen" in response.text, "no reopen"


def test_it_sets_priority_and_tags_through_the_view(worker_client) -> None:
    item = InteractionFactory()
    worker_client.post(act(item), {"action": "priority", "priority": "3"})
    worker_client.post(act(item), {"action": "tag", "tag": "Presse"})
    item.refresh_from_db()
    assert item.priority == 3, "priority not set"
    assert item.tags == ["presse"], item.tags


def test_it_refuses_item_actions_to_readers(analyst_client, editor_client) -> None:
    item = InteractionFactory(status="open")
    for client in (analyst_client, editor_client):
        assert client.post(act(item), {"action": "close"}).status_code == 403
    item.refresh_from_db()
    assert item.status == "open", "reader changed the status"


def test_it_refuses_actions_on_items_of_invisible_channels(worker_client) -> None:
    restricted = InboxChannelFactory()
    restricted.units.add(Unit.objects.create(name="Elsewhere"))
    item = InteractionFactory(channel=restricted, status="open")
    assert worker_client.post(act(item), {"action": "close"}).status_code == 404


def test_it_shows_the_workflow_panel_in_the_thread(worker_client) -> None:
    item = InteractionFactory(status="open")
    response = worker_client.get(reverse("inbox:detail", args=[item.pk]))
    for key in ("a", "e", "c"):
        assert f'data-shortcut="{key}"' in response.text, f"no {key} shortcut"


def test_it_shows_readers_the_state_without_buttons(analyst_client) -> None:
    item = InteractionFactory(status="open")
    response = analyst_client.get(reverse("inbox:detail", args=[item.pk]))
    assert 'id="workflow-actions"' in response.text, "state not shown"
    assert 'data-shortcut="a"' not in response.text, "reader can assign"


# Bulk


def test_it_closes_the_selected_items(worker_client) -> None:
    one, two = InteractionFactory(status="new"), InteractionFactory(status="open")
    untouched = InteractionFactory(status="open")
    response = worker_client.post(
        BULK, {"items": [one.pk, two.pk], "action": "close", "next": "/posteingang/"}
    )
    assert response.status_code == 302, response.status_code
    statuses = dict(Interaction.objects.values_list("pk", "status"))
    assert statuses[one.pk] == statuses[two.pk] == "closed", statuses
    assert statuses[untouched.pk] == "open", "unselected item closed"
    assert AuditEvent.objects.filter(action="inbox.status_changed").count() == 2


def test_it_assigns_and_tags_the_selected_items(worker_client, admin_user) -> None:
    items = [InteractionFactory() for _ in range(3)]
    pks = [i.pk for i in items]
    worker_client.post(
        BULK, {"items": pks, "action": "assign", "assignee": admin_user.pk}
    )
    worker_client.post(BULK, {"items": pks, "action": "tag", "tag": "Sturm"})
    rows = Interaction.objects.filter(pk__in=pks)
    assert {r.assignee_id for r in rows} == {admin_user.pk}, "not all assigned"
    assert all(r.tags == ["sturm"] for r in rows), [r.tags for r in rows]


def test_it_says_how_many_items_changed(worker_client) -> None:
    items = [InteractionFactory(status="open"), InteractionFactory(status="closed")]
    response = worker_client.post(
        BULK, {"items": [i.pk for i in items], "action": "close"}, follow=True
    )
    text = response.content.decode()
    assert "1 of 2" in text or "1 von 2" in text, "no count of changed items"


def test_it_asks_to_select_items_first(worker_client) -> None:
    response = worker_client.post(BULK, {"action": "close"}, follow=True)
    assert response.status_code == 200, response.status_code
    assert list(response.context["messages"]), "no message"


def test_it_skips_selected_items_of_invisible_channels(worker_client) -> None:
    restricted = InboxChannelFactory()
    restricted.units.add(Unit.objects.create(name="Elsewhere"))
    hidden = InteractionFactory(channel=restricted, status="open")
    visible = InteractionFactory(status="open")
    worker_client.post(BULK, {"items": [hidden.pk, visible.pk], "action": "close"})
    hidden.refresh_from_db()
    visible.refresh_from_db()
    assert hidden.status == "open", "closed an item the user cannot see"
    assert visible.status == "closed", "visible item not closed"


def test_it_refuses_bulk_actions_to_readers(analyst_client) -> None:
    item = InteractionFactory(status="open")
    response = analyst_client.post(BULK, {"items": [item.pk], "action": "close"})
    assert response.status_code == 403, response.status_code


def test_it_hides_the_selected_items_with_a_snapshot_first(worker_client) -> None:
    police = exercise.create_account(
        handle="polizei_bulk", display_name="Polizei", is_organisation=True
    )
    citizen = exercise.create_account(handle="spammer_b", display_name="Spammer")
    post = exercise.create_post(account=police, text="Sperrung der B6.")
    comments = [
        exercise.create_post(account=citizen, text=f"Spam {n}", in_reply_to=post)
        for n in range(2)
    ]
    channel = exercise_channel(police)
    services.poll_channel(channel_id=channel.pk)
    pks = list(
        Interaction.objects.filter(
            remote_id__in=[str(c.pk) for c in comments]
        ).values_list("pk", flat=True)
    )
    assert len(pks) == 2, "comments not ingested"
    worker_client.post(BULK, {"items": pks, "action": "hide"})
    assert Interaction.objects.filter(pk__in=pks, hidden_at__isnull=False).count() == 2
    assert Snapshot.objects.filter(interaction__in=pks).count() == 2, "no snapshots"
    for comment in comments:
        comment.refresh_from_db()
        assert comment.hidden_at is not None, "not hidden on the network"


def test_it_reports_items_that_could_not_be_hidden(worker_client) -> None:
    item = InteractionFactory()  # a channel without credentials
    response = worker_client.post(
        BULK, {"items": [item.pk], "action": "hide"}, follow=True
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any(str(item.pk) in m for m in messages), messages
    item.refresh_from_db()
    assert item.hidden_at is None, "marked hidden although the network failed"


def test_it_refuses_an_unknown_bulk_action(worker_client) -> None:
    item = InteractionFactory(status="open")
    response = worker_client.post(
        BULK, {"items": [item.pk], "action": "explode"}, follow=True
    )
    assert list(response.context["messages"]), "no error shown"
    item.refresh_from_db()
    assert item.status == "open", "unknown action changed something"


def test_it_puts_a_checkbox_and_row_actions_in_each_row_for_workers(
    worker_client,
) -> None:
    item = InteractionFactory()
    text = worker_client.get(reverse("inbox:list")).text
    assert 'id="bulk-form"' in text, "no bulk form"
    assert f'name="items" value="{item.pk}"' in text, "no checkbox"
    assert 'data-shortcut="x"' in text, "checkbox has no shortcut"
    assert f'formaction="{act(item)}"' in text, "row actions do not work without JS"


def test_it_leaves_checkboxes_out_for_readers(analyst_client) -> None:
    InteractionFactory()
    text = analyst_client.get(reverse("inbox:list")).text
    assert 'name="items"' not in text, "reader gets checkboxes"
    assert 'id="bulk-form"' not in text, "reader gets the bulk bar"


def test_it_lists_only_workers_as_assignees(community_manager) -> None:
    UserFactory(username="leser", role="analyst")
    UserFactory(username="weg", role="community", is_active=False)
    names = [u.username for u in workflow.workers()]
    assert "community" in names, "community manager missing"
    assert "leser" not in names and "weg" not in names, names


# In a browser


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_closes_selected_rows_and_escalates_one_without_reload(
    page, live_server
) -> None:
    from playwright.sync_api import expect

    from tests.core.factories import PASSWORD

    UserFactory(username="cm", role="community")
    items = [InteractionFactory(status="new", text=f"Frage {n}") for n in range(3)]
    page.goto(f"{live_server.url}/anmelden/")
    page.locator("input[name=username]").fill("cm")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.goto(f"{live_server.url}/posteingang/")

    row = page.locator(f'[data-item-id="{items[0].pk}"]')
    page.evaluate("window.__kept = true")
    row.locator('button[data-shortcut="e"]').click()
    expect(row).to_have_class(re.compile("status-escalated"))
    assert page.evaluate("window.__kept === true"), "the page was reloaded"

    page.locator("[data-select-all]").check()
    page.locator(f'[data-item-id="{items[0].pk}"] input[name="items"]').uncheck()
    expect(page.locator("[data-selected-count]")).to_contain_text("2")
    page.locator(".bulk-bar").get_by_role(
        "button", name=re.compile("^(Close|Schließen)$")
    ).click()
    expect(page.locator(".messages")).to_be_visible()
    statuses = dict(Interaction.objects.values_list("pk", "status"))
    assert statuses == {
        items[0].pk: "escalated",
        items[1].pk: "closed",
        items[2].pk: "closed",
    }, statuses


def test_it_labels_every_workflow_action_in_the_audit_log() -> None:
    from leitstelle.core.views.audit import ACTION_LABELS

    actions = (
        "status_changed",
        "assigned",
        "unassigned",
        "priority_changed",
        "tagged",
        "untagged",
        "settings_changed",
        "view_saved",
        "view_deleted",
    )
    missing = [a for a in actions if f"inbox.{a}" not in ACTION_LABELS]
    assert not missing, missing


def test_it_runs_a_row_action_without_javascript(worker_client) -> None:
    item, other = InteractionFactory(status="open"), InteractionFactory(status="open")
    # Without JS the row's button submits the whole bulk form to its formaction.
    response = worker_client.post(
        act(item),
        {"action": "close", "items": [other.pk], "next": "/posteingang/?tag=a"},
    )
    assert response["Location"] == "/posteingang/?tag=a", "not back to the list"
    item.refresh_from_db()
    other.refresh_from_db()
    assert (item.status, other.status) == ("closed", "open"), "wrong item closed"
