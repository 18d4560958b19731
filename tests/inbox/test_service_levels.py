"""Service levels: due times on ingest and on changes, timers, overdue, settings."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leitstelle.core.models import AuditEvent
from leitstelle.inbox import service_levels, workflow
from leitstelle.inbox.ingest import ingest_page
from leitstelle.inbox.models import InboxSettings, Interaction
from tests.conftest import login_client
from tests.inbox.factories import (
    BASE_TIME,
    InboxChannelFactory,
    InteractionFactory,
    incoming,
    page,
)

pytestmark = pytest.mark.django_db
SETTINGS = reverse("inbox:settings")
LIST = reverse("inbox:list")


def test_it_sets_the_due_time_of_new_items_on_ingest() -> None:
    InboxSettings.objects.create(pk=1, response_minutes={"0": 90})
    channel = InboxChannelFactory()
    # Thanks: triage gives it the normal priority (a question would get 1).
    thanks = incoming("c1", text="Danke für die Info, gute Arbeit!")
    ingest_page(channel=channel, page=page(thanks))
    item = Interaction.objects.get(remote_id="c1")
    assert item.priority == 0, item.categories
    assert item.response_due_at == BASE_TIME + timedelta(minutes=90), (
        item.response_due_at
    )


def test_it_keeps_the_due_time_when_an_item_is_edited() -> None:
    channel = InboxChannelFactory()
    ingest_page(channel=channel, page=page(incoming("c1")))
    due = Interaction.objects.get(remote_id="c1").response_due_at
    ingest_page(channel=channel, page=page(incoming("c1", text="Anders")))
    assert Interaction.objects.get(remote_id="c1").response_due_at == due


def test_it_uses_the_nearest_lower_priority_for_high_priorities() -> None:
    table = service_levels.normalise({"0": 600, "3": 30})
    assert service_levels.target_minutes(7, table) == 30, "priority 7 not urgent"
    assert service_levels.target_minutes(0, table) == 600


def test_it_ignores_broken_settings_values() -> None:
    table = service_levels.normalise({"0": "x", "1": -5, "zwei": 3})
    assert table == service_levels.normalise({}), table


def test_it_moves_the_due_time_when_the_priority_changes(community_manager) -> None:
    item = InteractionFactory(status="open")
    workflow.set_priority(interactions=[item], priority=3, actor=community_manager)
    item.refresh_from_db()
    assert item.response_due_at == item.remote_created_at + timedelta(minutes=30)
    event = AuditEvent.objects.get(action="inbox.priority_changed")
    assert event.details == {"before": 0, "to": 3}, event.details


def test_it_stops_the_clock_on_close_and_restarts_on_reopen(
    community_manager,
) -> None:
    item = InteractionFactory(status="open", response_due_at=BASE_TIME)
    workflow.set_status(interactions=[item], status="closed", actor=community_manager)
    item.refresh_from_db()
    assert item.response_due_at is None, "closed item still due"
    workflow.set_status(interactions=[item], status="open", actor=community_manager)
    item.refresh_from_db()
    assert item.response_due_at is not None, "reopened item has no due time"


def test_it_keeps_the_clock_stopped_once_answered_on_the_network(
    community_manager,
) -> None:
    item = InteractionFactory(status="answered", first_response_at=BASE_TIME)
    workflow.set_status(interactions=[item], status="open", actor=community_manager)
    item.refresh_from_db()
    assert item.response_due_at is None, "answered item due again"


def test_it_shows_time_left_and_time_overdue() -> None:
    now = timezone.now()
    soon = Interaction(status="open", response_due_at=now + timedelta(minutes=25))
    late = Interaction(status="open", response_due_at=now - timedelta(hours=2))
    done = Interaction(status="closed", response_due_at=now)
    later = Interaction(status="new", response_due_at=now + timedelta(days=3))
    assert service_levels.timer(soon, now).state == "soon"
    assert "25" in service_levels.timer(soon, now).label
    assert service_levels.timer(late, now).state == "overdue"
    assert "2" in service_levels.timer(late, now).label
    assert service_levels.timer(done, now) is None, "closed item has a timer"
    assert service_levels.timer(later, now).state == "ok"


def test_it_formats_durations_short() -> None:
    with timezone.override("UTC"):
        assert service_levels.duration(timedelta(minutes=25)) == "25 min"
        assert service_levels.duration(timedelta(hours=2, minutes=5)) == "2 h"
        assert service_levels.duration(timedelta(days=3, hours=1)) in (
            "3 days",
            "3 Tage",
        )


def test_it_shows_timers_in_the_list(admin_client: Client) -> None:
    InteractionFactory(
        status="open", response_due_at=timezone.now() - timedelta(hours=3)
    )
    response = admin_client.get(LIST)
    assert 'class="sla sla-overdue"' in response.text, "no overdue timer"


def test_it_lists_only_overdue_items_in_the_overdue_view(admin_client) -> None:
    now = timezone.now()
    InteractionFactory(text="Zu spät", response_due_at=now - timedelta(minutes=5))
    InteractionFactory(text="Noch Zeit", response_due_at=now + timedelta(hours=1))
    InteractionFactory(text="Schon beantwortet", status="closed", response_due_at=None)
    response = admin_client.get(LIST, {"overdue": "on", "sort": "due"})
    assert "Zu spät" in response.text, "overdue item missing"
    assert "Noch Zeit" not in response.text, "item in time shown"
    assert "Schon beantwortet" not in response.text, "closed item shown"


def test_it_sorts_by_due_time_and_pages_through_all(admin_client) -> None:
    now = timezone.now()
    for n in range(55):
        InteractionFactory(response_due_at=now + timedelta(minutes=55 - n))
    InteractionFactory(response_due_at=None, status="closed")
    first = admin_client.get(LIST, {"sort": "due"})
    items = first.context["page"].items
    dues = [i.response_due_at for i in items]
    assert dues == sorted(dues), "not sorted by due time"
    second = admin_client.get(
        LIST, {"sort": "due", "before": first.context["page"].older}
    )
    shown = [i.pk for i in items + second.context["page"].items]
    assert len(shown) == len(set(shown)) == 55, "items lost or repeated"


def test_it_shows_the_settings_only_to_admins(
    admin_client: Client, client, community_manager
) -> None:
    assert admin_client.get(SETTINGS).status_code == 200
    login_client(client, community_manager)
    assert client.get(SETTINGS).status_code == 403, "community manager got in"


def test_it_saves_the_service_levels_and_moves_waiting_items(
    admin_client: Client,
) -> None:
    item = InteractionFactory(status="open", priority=1, response_due_at=BASE_TIME)
    answered = InteractionFactory(status="answered", response_due_at=None)
    data = {
        "minutes_0": 600,
        "minutes_1": 45,
        "minutes_2": 20,
        "minutes_3": 10,
        "raw_retention_days": 30,
    }
    response = admin_client.post(SETTINGS, data)
    assert response.status_code == 302, response.status_code
    current = InboxSettings.current()
    assert current.response_minutes == {"0": 600, "1": 45, "2": 20, "3": 10}
    assert current.raw_retention_days == 30, "retention not saved"
    item.refresh_from_db()
    answered.refresh_from_db()
    assert item.response_due_at == item.remote_created_at + timedelta(minutes=45)
    assert answered.response_due_at is None, "answered item got a due time"
    event = AuditEvent.objects.get(action="inbox.settings_changed")
    assert event.details["rescheduled"] == 1, event.details


def test_it_rejects_invalid_service_levels(admin_client: Client) -> None:
    response = admin_client.post(
        SETTINGS,
        {
            "minutes_0": 0,
            "minutes_1": 1,
            "minutes_2": 1,
            "minutes_3": 1,
            "raw_retention_days": 1,
        },
    )
    assert response.status_code == 400, response.status_code
    assert response.context["form"].errors["minutes_0"], "no error on the field"
    assert not AuditEvent.objects.filter(action="inbox.settings_changed").exists()


def test_it_links_the_settings_from_the_list_for_admins(admin_user, analyst) -> None:
    admin, reader = login_client(Client(), admin_user), login_client(Client(), analyst)
    assert SETTINGS in admin.get(LIST).text, "admin has no link"
    assert SETTINGS not in reader.get(LIST).text, "analyst has the link"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_counts_the_timers_down_in_the_browser(page, live_server) -> None:
    from playwright.sync_api import expect

    from tests.core.factories import PASSWORD, UserFactory

    UserFactory(username="cm", role="community")
    InteractionFactory(
        status="open", response_due_at=timezone.now() + timedelta(minutes=50)
    )
    page.goto(f"{live_server.url}/anmelden/")
    page.locator("input[name=username]").fill("cm")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.goto(f"{live_server.url}{LIST}")
    timer = page.locator(".sla").first
    expect(timer).to_have_class(re.compile("sla-ok"))
    # Pretend the due time has passed, then let the script tick.
    past = (timezone.now() - timedelta(minutes=5)).isoformat()
    timer.evaluate("(el, due) => { el.dataset.due = due; }", past)
    page.evaluate("document.dispatchEvent(new Event('htmx:afterSettle'))")
    expect(timer).to_have_class(re.compile("sla-overdue"))
    expect(timer).to_contain_text("5")
