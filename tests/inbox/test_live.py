"""Live updates of the inbox list: the banner of newly arrived items."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leitstelle.core.models import Unit
from leitstelle.inbox.models import Interaction
from leitstelle.inbox.views import live
from tests.conftest import login_client
from tests.inbox.factories import InboxChannelFactory, InteractionFactory

pytestmark = pytest.mark.django_db
LIVE = reverse("inbox:live")
LIST = reverse("inbox:list")
HTMX = {"HX-Request": "true"}


def arrived(at: datetime, **kwargs) -> Interaction:
    """Return an item that reached the inbox at `at`."""
    item = InteractionFactory(**kwargs)
    Interaction.objects.filter(pk=item.pk).update(received_at=at)
    return item


def poll(client: Client, since: datetime | str, **filters) -> str:
    value = since if isinstance(since, str) else since.isoformat()
    response = client.get(LIVE, {"since": value, **filters}, headers=HTMX)
    assert response.status_code == 200, response.content
    return response.text


def new_ids(html: str) -> list[int]:
    found = re.search(r'data-new-ids="([^"]*)"', html)
    return [int(pk) for pk in found.group(1).split(",") if pk] if found else []


@pytest.fixture(autouse=True)
def english(client: Client) -> None:
    """Read the English source texts, whatever the German catalog says."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def shown() -> datetime:
    """The moment the list was shown; one item had arrived before it."""
    now = timezone.now()
    arrived(now - timedelta(minutes=5), text="Schon gesehen")
    return now - timedelta(minutes=1)


def test_it_counts_the_items_arrived_since_the_list_was_shown(
    admin_client: Client, shown: datetime
) -> None:
    first = arrived(shown + timedelta(seconds=10))
    second = arrived(shown + timedelta(seconds=20))

    html = poll(admin_client, shown)

    assert "2 new items" in html, "the banner does not count both"
    assert new_ids(html) == [second.pk, first.pk], "not the arrivals, newest first"
    assert 'data-count="2"' in html, "the title count is missing"


def test_it_says_one_new_item_in_the_singular(
    admin_client: Client, shown: datetime
) -> None:
    arrived(shown + timedelta(seconds=1))
    assert "1 new item<" in poll(admin_client, shown), "no singular"


def test_it_shows_no_banner_when_nothing_arrived(
    admin_client: Client, shown: datetime
) -> None:
    html = poll(admin_client, shown)
    assert "inbox-live-banner" not in html, "a banner without news"
    assert html.strip() == "", "the region is not left empty"


def test_it_counts_by_arrival_not_by_the_networks_time(
    admin_client: Client, shown: datetime
) -> None:
    late = arrived(
        shown + timedelta(seconds=5),
        remote_created_at=shown - timedelta(days=2),
    )
    assert new_ids(poll(admin_client, shown)) == [late.pk], "late fetch not new"


def test_it_counts_only_what_the_filters_would_list(
    admin_client: Client, shown: datetime
) -> None:
    arrived(shown + timedelta(seconds=1), status="new")
    closed = arrived(shown + timedelta(seconds=2), status="closed")

    html = poll(admin_client, shown, status="closed")

    assert new_ids(html) == [closed.pk], "the status filter is ignored"


def test_it_counts_only_search_matches(admin_client: Client, shown: datetime) -> None:
    arrived(shown + timedelta(seconds=1), text="Stau auf der A4")
    hit = arrived(shown + timedelta(seconds=2), text="Wer hat den Unfall gesehen?")

    html = poll(admin_client, shown, q="Unfälle")

    assert new_ids(html) == [hit.pk], "the search is ignored"


def test_it_never_counts_items_of_channels_the_user_cannot_see(
    analyst_client: Client, shown: datetime
) -> None:
    restricted = InboxChannelFactory()
    restricted.units.add(Unit.objects.create(name="Elsewhere"))
    arrived(shown + timedelta(seconds=1), channel=restricted)
    visible = arrived(shown + timedelta(seconds=2))

    html = poll(analyst_client, shown)

    assert new_ids(html) == [visible.pk], "an invisible channel's item counted"


def test_it_caps_the_count(
    admin_client: Client, shown: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "MAX_COUNTED", 2)
    for second in range(1, 5):
        arrived(shown + timedelta(seconds=second))

    html = poll(admin_client, shown)

    assert "More than 2 new items" in html, "no capped wording"
    assert 'data-count="2+"' in html, "the title count is not capped"
    assert len(new_ids(html)) == 2, "more ids than the cap"


def test_it_links_to_the_first_page_with_the_same_filters(
    admin_client: Client, shown: datetime
) -> None:
    arrived(shown + timedelta(seconds=1), status="waiting")

    html = poll(admin_client, shown, status="waiting", before="123.4")

    link = re.search(r'href="([^"]+)"[^>]*data-live-show', html)
    assert link, "no link to show the new items"
    url = urlsplit(link.group(1).replace("&amp;", "&"))
    assert url.path == LIST, "the link leaves the inbox"
    assert parse_qs(url.query) == {"status": ["waiting"]}, "filters lost or kept junk"
    assert 'hx-target="#results"' in html, "the link reloads the whole page"


def test_it_answers_nothing_to_a_malformed_time(
    admin_client: Client, shown: datetime
) -> None:
    arrived(shown + timedelta(seconds=1))
    assert "inbox-live-banner" not in poll(admin_client, "yesterday"), "bad since"
    assert "inbox-live-banner" not in poll(admin_client, "2026-11-01T08:00:00"), (
        "a time without zone was guessed"
    )


def test_it_is_never_cached(admin_client: Client, shown: datetime) -> None:
    response = admin_client.get(LIVE, {"since": shown.isoformat()}, headers=HTMX)
    assert "no-cache" in response["Cache-Control"], "a proxy may cache the count"


def test_it_sends_anonymous_visitors_to_the_login(client: Client) -> None:
    response = client.get(LIVE, {"since": timezone.now().isoformat()})
    assert response.status_code == 302, "anonymous visitor not redirected"


def test_it_refuses_writes(admin_client: Client) -> None:
    assert admin_client.post(LIVE).status_code == 405, "POST accepted"


@pytest.mark.parametrize(
    "role_fixture", ["analyst", "editor", "approver", "community_manager"]
)
def test_it_answers_every_role(
    client: Client, request: pytest.FixtureRequest, role_fixture: str, shown
) -> None:
    login_client(client, request.getfixturevalue(role_fixture))
    arrived(shown + timedelta(seconds=1))
    assert "1 new item" in poll(client, shown), f"{role_fixture} gets no news"


def test_it_costs_a_few_queries(
    admin_client: Client, shown: datetime, django_assert_max_num_queries
) -> None:
    for second in range(1, 11):
        arrived(shown + timedelta(seconds=second))
    poll(admin_client, shown)  # the first request sets up the organisation
    # Session (read, then saved in a savepoint), the user twice, the
    # organisation: the items themselves cost one query however many.
    with django_assert_max_num_queries(8):
        html = poll(admin_client, shown, status="new")
    assert len(new_ids(html)) == 10, "not all arrivals counted"


def live_region(html: str) -> str:
    found = re.search(r'<div id="inbox-live"[^>]*>', html)
    assert found, "the list has no live region"
    return found.group(0).replace("&amp;", "&")


def test_it_polls_from_the_list_with_its_filters_and_time(
    admin_client: Client,
) -> None:
    before = timezone.now()
    response = admin_client.get(LIST, {"status": "waiting", "before": "1.2"})

    region = live_region(response.text)
    poll_url = urlsplit(re.search(r'hx-get="([^"]+)"', region).group(1))
    query = parse_qs(poll_url.query)
    assert poll_url.path == LIVE, "the region polls somewhere else"
    assert query["status"] == ["waiting"], "the filters are not polled"
    assert "before" not in query, "the page cursor is polled"
    assert live.parse_since(query["since"][0]) >= before, "since is not now"
    assert 'aria-live="polite"' in region, "news are not announced"
    assert "every 10s" in region, "the region does not poll"


def test_it_keeps_the_live_region_in_the_results_partial(
    admin_client: Client,
) -> None:
    response = admin_client.get(LIST, {"status": "new"}, headers=HTMX)
    assert "status=new" in live_region(response.text), "filters lost on swap"


@pytest.mark.parametrize("page", ["list", "detail"])
def test_it_offers_the_shortcut_help_on_list_and_thread(
    admin_client: Client, page: str
) -> None:
    item = InteractionFactory()
    url = LIST if page == "list" else reverse("inbox:detail", args=[item.pk])

    html = admin_client.get(url).text

    assert html.count('<dialog id="inbox-shortcuts"') == 1, "no help, or twice"
    assert "leitstelle/inbox.js" in html, "the shortcuts script is missing"
    assert "<kbd>j</kbd>" in html, "the help does not list the keys"
