"""The navigation's count of new and open items next to "Inbox"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leitstelle.core.models import Unit
from leitstelle.core.navigation import links_for
from leitstelle.inbox import queries
from leitstelle.inbox.queries import nav_badge, nav_counts
from tests.inbox.factories import InboxChannelFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def test_it_counts_new_and_open_items_and_overdue_ones(analyst) -> None:
    late = timezone.now() - timedelta(minutes=1)
    InteractionFactory(status="new")
    InteractionFactory(status="open", response_due_at=late)
    InteractionFactory(status="escalated", response_due_at=late)
    InteractionFactory(status="closed")
    counts = nav_counts(analyst)
    assert (counts.todo, counts.overdue) == (2, 2), counts


def test_it_counts_only_items_the_user_can_see(analyst, admin_user) -> None:
    restricted = InboxChannelFactory()
    restricted.units.add(Unit.objects.create(name="Elsewhere"))
    InteractionFactory(channel=restricted, status="new")
    InteractionFactory(status="new")
    assert nav_counts(analyst).todo == 1, "counted an invisible channel"
    assert nav_counts(admin_user).todo == 2, "admin sees every channel"


def test_it_counts_with_one_query(analyst) -> None:
    for status in ("new", "open", "closed"):
        InteractionFactory(status=status)
    with CaptureQueriesContext(connection) as queries:
        nav_counts(analyst)
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_it_shows_nothing_when_all_is_done(analyst) -> None:
    InteractionFactory(status="closed")
    assert nav_badge(analyst) is None, "badge for an empty inbox"


def test_it_shows_the_counts_next_to_inbox(analyst_client: Client) -> None:
    InteractionFactory(status="new")
    InteractionFactory(
        status="open", response_due_at=timezone.now() - timedelta(hours=1)
    )
    text = analyst_client.get(reverse("core:dashboard")).text
    assert '<span class="nav-count" aria-hidden="true">2</span>' in text, "no count"
    assert "nav-count-alert" in text, "no overdue count"


def test_it_counts_only_when_the_navigation_is_rendered(analyst) -> None:
    InteractionFactory(status="new")
    with CaptureQueriesContext(connection) as queries:
        links = links_for(analyst, "/")
    assert not any("inbox_interaction" in q["sql"] for q in queries), "eager count"
    inbox = next(link for link in links if link.count)
    assert inbox.count().text == "1", "count wrong"
    with CaptureQueriesContext(connection) as queries:
        inbox.count()
    assert len(queries) == 0, "counted twice in one request"


def test_it_skips_the_count_in_htmx_partials(analyst_client: Client) -> None:
    InteractionFactory(status="new")
    with CaptureQueriesContext(connection) as queries:
        analyst_client.get(reverse("inbox:list"), headers={"HX-Request": "true"})
    assert not any("FILTER" in q["sql"] or "COUNT(" in q["sql"] for q in queries), (
        "the partial paid for the navigation's count"
    )


def test_it_caps_the_counts_in_a_surge(analyst, monkeypatch) -> None:
    monkeypatch.setattr(queries, "NAV_CAP", 3)
    late = timezone.now() - timedelta(minutes=1)
    for _ in range(5):
        InteractionFactory(status="new", response_due_at=late)
    counts = nav_counts(analyst)
    assert (counts.todo, counts.overdue) == (4, 4), "counted past the cap"
    badge = nav_badge(analyst)
    assert badge.text == "3+", badge
    assert "3+" in badge.alert, badge.alert


def test_it_refreshes_the_count_through_htmx(analyst_client: Client) -> None:
    url = reverse("inbox:nav_count")
    page = analyst_client.get(reverse("inbox:list")).text
    assert f'hx-get="{url}"' in page, "the navigation does not poll its count"
    elsewhere = analyst_client.get(reverse("core:dashboard")).text
    # Polling on every page would keep an unattended session alive.
    assert f'hx-get="{url}"' not in elsewhere, "polls outside the inbox"
    InteractionFactory(status="new")
    response = analyst_client.get(url, headers={"HX-Request": "true"})
    assert '<span class="nav-count" aria-hidden="true">1</span>' in response.text
    assert "<html" not in response.text, "whole page returned"


def test_it_refuses_the_count_to_anonymous_visitors(client: Client) -> None:
    response = client.get(reverse("inbox:nav_count"))
    assert response.status_code == 302, "count shown without login"
