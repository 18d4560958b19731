"""The calendar: month and week pages, filters, moving posts by drag and form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation

from leitstelle.core.models import AuditEvent, Role
from leitstelle.networks.models import Channel
from leitstelle.publishing.calendar import at_local
from leitstelle.publishing.models import Campaign, Post, Publication, Variant
from leitstelle.publishing.states import PostStatus, PostType, PublicationState
from tests.conftest import login_client
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db

# A year ahead, so that moving a post never lands in the past.
YEAR = timezone.now().year + 1
MONTH_URL = reverse_lazy("publishing:calendar")
WEEK_URL = reverse_lazy("publishing:calendar_week")
MOVE_URL = reverse_lazy("publishing:calendar_move")
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def english(settings: Any) -> Iterator[None]:
    """Assert the source strings, whatever the German catalog says."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def channel(db) -> Channel:
    return make_channel("Polizei Mastodon")


def make_channel(name: str) -> Channel:
    return Channel.objects.create(
        kind="exercise", name=name, remote_id=name, config={"handle": "polizei"}
    )


def make_post(
    at: datetime | None,
    *,
    title: str = "Verkehrskontrolle",
    channels: tuple[Channel, ...] = (),
    status: str = PostStatus.SCHEDULED,
    **fields: Any,
) -> Post:
    published = status == PostStatus.PUBLISHED
    post = Post.objects.create(
        title=title,
        master_text=f"{title} heute",
        status=status,
        scheduled_at=at,
        published_at=at if published else None,
        **fields,
    )
    for channel in channels:
        variant = Variant.objects.create(post=post, channel=channel, text=title)
        if status not in (PostStatus.SCHEDULED, PostStatus.PUBLISHED):
            continue
        Publication.objects.create(
            variant=variant,
            channel=channel,
            due_at=at,
            next_attempt_at=at,
            state=PublicationState.PUBLISHED if published else PublicationState.PENDING,
        )
    return post


def cell(html: str, day: date) -> str:
    """Return the markup of the calendar cell of `day`."""
    found = re.search(
        rf'data-day="{day.isoformat()}"(.*?)(?=data-day="|</table>|</ol>)',
        html,
        re.DOTALL,
    )
    assert found, f"no cell for {day}"
    return found.group(1)


def berlin(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return at_local(date(year, month, day), time(hour, minute))


# Month and week pages


def test_it_shows_a_post_on_its_berlin_day(editor_client, channel):
    # 23:30 UTC on 30 June is 01:30 on 1 July in Berlin.
    make_post(datetime(YEAR, 6, 30, 23, 30, tzinfo=UTC), channels=(channel,))

    response = editor_client.get(MONTH_URL, {"month": f"{YEAR}-07"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Verkehrskontrolle" in cell(html, date(YEAR, 7, 1))
    assert "01:30" in cell(html, date(YEAR, 7, 1))
    assert "Polizei Mastodon" in cell(html, date(YEAR, 7, 1))


def test_it_shows_published_posts_on_the_day_they_went_out(editor_client, channel):
    make_post(
        berlin(YEAR, 5, 4, 9),
        title="Festnahme nach Einbruch",
        channels=(channel,),
        status=PostStatus.PUBLISHED,
    )

    html = editor_client.get(MONTH_URL, {"month": f"{YEAR}-05"}).content.decode()

    assert "Festnahme nach Einbruch" in cell(html, date(YEAR, 5, 4))
    assert "Published" in cell(html, date(YEAR, 5, 4))


def test_it_leaves_out_posts_of_other_months(editor_client, channel):
    make_post(berlin(YEAR, 8, 15, 10), title="Sommerfest", channels=(channel,))

    html = editor_client.get(MONTH_URL, {"month": f"{YEAR}-06"}).content.decode()

    assert "Sommerfest" not in html
    assert "No posts planned or published in this month." in html


def test_it_shows_the_weeks_of_the_month_from_monday(editor_client):
    html = editor_client.get(MONTH_URL, {"month": "2026-11"}).content.decode()

    days = re.findall(r'<td class="calendar-day[^"]*"[^>]*? data-day="([0-9-]+)"', html)
    assert days[0] == "2026-10-26"
    assert days[-1] == "2026-12-06"
    assert len(days) == 42
    assert "November 2026" in html


def test_it_falls_back_to_this_month_on_a_wrong_month(editor_client):
    today = timezone.localdate()

    response = editor_client.get(MONTH_URL, {"month": "2026-13"})

    assert response.status_code == 200
    assert f'aria-current="date" data-day="{today.isoformat()}"' in (
        response.content.decode()
    )


def test_it_shows_the_week_monday_to_sunday(editor_client, channel):
    make_post(berlin(YEAR, 3, 3, 8), title="Blitzermarathon", channels=(channel,))
    make_post(berlin(YEAR, 3, 20, 8), title="Nächste Woche", channels=(channel,))
    monday = date(YEAR, 3, 3) - timedelta(days=date(YEAR, 3, 3).weekday())
    week = monday.isocalendar().week

    response = editor_client.get(WEEK_URL, {"week": f"{YEAR}-W{week:02d}"})

    html = response.content.decode()
    days = re.findall(r'<li class="calendar-day[^"]*"[^>]*? data-day="([0-9-]+)"', html)
    assert days == [(monday + timedelta(days=n)).isoformat() for n in range(7)]
    assert "Blitzermarathon" in cell(html, date(YEAR, 3, 3))
    assert "08:00" in cell(html, date(YEAR, 3, 3))
    assert "Nächste Woche" not in html


def test_it_falls_back_to_this_week_on_a_wrong_week(editor_client):
    today = timezone.localdate()

    response = editor_client.get(WEEK_URL, {"week": "2025-W53"})

    assert response.status_code == 200
    assert f'data-day="{today.isoformat()}"' in response.content.decode()


def test_it_shows_the_week_of_the_change_to_winter_time(editor_client, channel):
    sunday = max(
        date(YEAR, 10, day)
        for day in range(25, 32)
        if date(YEAR, 10, day).weekday() == 6
    )
    # 23:30 on that Sunday is 22:30 UTC: still the same Berlin day.
    make_post(berlin(sunday.year, 10, sunday.day, 23, 30), channels=(channel,))
    monday = sunday - timedelta(days=6)

    html = editor_client.get(
        WEEK_URL, {"week": f"{YEAR}-W{monday.isocalendar().week:02d}"}
    ).content.decode()

    assert "Verkehrskontrolle" in cell(html, sunday)
    assert "23:30" in cell(html, sunday)


def test_it_answers_htmx_with_the_calendar_only(editor_client, channel):
    make_post(berlin(YEAR, 6, 2, 12), channels=(channel,))

    response = editor_client.get(MONTH_URL, {"month": f"{YEAR}-06"}, headers=HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="calendar"')
    assert "<html" not in html
    assert "Verkehrskontrolle" in html
    assert response["Vary"] == "HX-Request" or "HX-Request" in response["Vary"]


def test_it_answers_a_history_restore_with_the_whole_page(editor_client):
    response = editor_client.get(
        MONTH_URL,
        {"month": f"{YEAR}-06"},
        headers={**HTMX, "HX-History-Restore-Request": "true"},
    )

    assert "<html" in response.content.decode()


def test_it_escapes_titles_channels_and_campaigns(editor_client):
    channel = make_channel('Kanal "<i>"')
    campaign = Campaign.objects.create(name="<script>alert(1)</script>")
    make_post(
        berlin(YEAR, 6, 2, 12),
        title="<b>Laut</b>",
        channels=(channel,),
        campaign=campaign,
    )

    html = editor_client.get(MONTH_URL, {"month": f"{YEAR}-06"}).content.decode()

    assert "<b>Laut</b>" not in html
    assert "&lt;b&gt;Laut&lt;/b&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert 'Kanal "<i>"' not in html
    assert "Kanal &quot;&lt;i&gt;&quot;" in cell(html, date(YEAR, 6, 2))


# Filters


def test_it_filters_by_channel(editor_client, channel):
    other = make_channel("Polizei Bluesky")
    make_post(berlin(YEAR, 6, 2, 12), title="Nur Mastodon", channels=(channel,))
    make_post(berlin(YEAR, 6, 3, 12), title="Nur Bluesky", channels=(other,))

    response = editor_client.get(
        MONTH_URL, {"month": f"{YEAR}-06", "channel": channel.pk}
    )

    html = response.content.decode()
    assert "Nur Mastodon" in html
    assert "Nur Bluesky" not in html


def test_it_filters_by_type_and_campaign(editor_client, channel):
    campaign = Campaign.objects.create(name="Sicher im Herbst")
    make_post(
        berlin(YEAR, 6, 2, 12),
        title="Einbruchschutz",
        channels=(channel,),
        post_type=PostType.PREVENTION,
        campaign=campaign,
    )
    make_post(
        berlin(YEAR, 6, 2, 14),
        title="Prävention ohne Kampagne",
        channels=(channel,),
        post_type=PostType.PREVENTION,
    )
    make_post(berlin(YEAR, 6, 2, 16), title="Unfallmeldung", channels=(channel,))

    by_type = editor_client.get(
        MONTH_URL, {"month": f"{YEAR}-06", "post_type": "prevention"}
    ).content.decode()
    by_campaign = editor_client.get(
        MONTH_URL, {"month": f"{YEAR}-06", "campaign": campaign.pk}
    ).content.decode()

    assert "Einbruchschutz" in by_type
    assert "Prävention ohne Kampagne" in by_type
    assert "Unfallmeldung" not in by_type
    assert "Einbruchschutz" in by_campaign
    assert "Prävention ohne Kampagne" not in by_campaign


def test_it_ignores_a_filter_for_a_channel_the_user_cannot_see(editor_client, channel):
    hidden = make_channel("Verdeckt")
    hidden.users.add(UserFactory(username="someone-else"))
    make_post(berlin(YEAR, 6, 2, 12), title="Geheim", channels=(hidden,))
    make_post(berlin(YEAR, 6, 3, 12), title="Offen", channels=(channel,))

    response = editor_client.get(
        MONTH_URL, {"month": f"{YEAR}-06", "channel": hidden.pk}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Geheim" not in html
    assert "Offen" in html


def test_it_keeps_the_filters_in_the_month_links(editor_client, channel):
    response = editor_client.get(
        MONTH_URL, {"month": f"{YEAR}-06", "channel": channel.pk}
    )

    html = response.content.decode()
    assert f"?month={YEAR}-07&amp;channel={channel.pk}" in html
    assert f"?month={YEAR}-05&amp;channel={channel.pk}" in html


# Who sees what


def test_it_asks_anonymous_visitors_to_log_in(client):
    response = client.get(MONTH_URL)

    assert response.status_code == 302
    assert "/anmelden/" in response["Location"]


def test_it_shows_the_calendar_to_analysts_without_moving(analyst_client, channel):
    make_post(berlin(YEAR, 6, 2, 12), channels=(channel,))

    html = analyst_client.get(MONTH_URL, {"month": f"{YEAR}-06"}).content.decode()

    assert "Verkehrskontrolle" in html
    assert 'draggable="true"' not in html
    assert 'id="calendar-move"' not in html


def test_it_lets_editors_drag_posts_that_have_not_gone_out(editor_client, channel):
    waiting = make_post(berlin(YEAR, 6, 2, 12), channels=(channel,))
    out = make_post(
        berlin(YEAR, 6, 3, 12), channels=(channel,), status=PostStatus.PUBLISHED
    )

    html = editor_client.get(MONTH_URL, {"month": f"{YEAR}-06"}).content.decode()

    assert f'draggable="true" data-post="{waiting.pk}"' in html
    assert f'data-post="{out.pk}"' not in html
    assert reverse("publishing:reschedule", args=[waiting.pk]) in html
    assert 'id="calendar-move"' in html


def test_it_hides_posts_on_channels_the_user_cannot_see(editor_client, channel):
    hidden = make_channel("Verdeckt")
    hidden.users.add(UserFactory(username="someone-else"))
    make_post(berlin(YEAR, 6, 2, 12), title="Geheim", channels=(hidden,))

    html = editor_client.get(MONTH_URL, {"month": f"{YEAR}-06"}).content.decode()

    assert "Geheim" not in html


def test_it_needs_few_queries_for_a_full_month(
    editor_client, channel, django_assert_max_num_queries
):
    campaign = Campaign.objects.create(name="Kampagne")
    other = make_channel("Polizei Bluesky")
    for day in range(1, 29):
        make_post(
            berlin(YEAR, 2, day, 9),
            title=f"Beitrag {day}",
            channels=(channel, other),
            campaign=campaign,
        )

    with django_assert_max_num_queries(16):
        response = editor_client.get(MONTH_URL, {"month": f"{YEAR}-02"})

    assert response.content.decode().count('class="calendar-post ') == 28


# Moving by drag and drop


def test_it_moves_a_post_to_another_day_keeping_the_berlin_time(editor_client, channel):
    # 09:00 in winter time, moved across the change to summer time.
    post = make_post(berlin(YEAR, 3, 20, 9), channels=(channel,))
    target = date(YEAR, 4, 7)

    response = editor_client.post(
        MOVE_URL,
        {
            "post": post.pk,
            "day": target.isoformat(),
            "view": "month",
            "month": f"{YEAR}-04",
        },
        headers=HTMX,
    )

    post.refresh_from_db()
    html = response.content.decode()
    assert response.status_code == 200
    assert post.scheduled_at == berlin(YEAR, 4, 7, 9)
    assert post.scheduled_at.astimezone(UTC).hour == 7
    publication = Publication.objects.get(variant__post=post)
    assert publication.due_at == post.scheduled_at
    assert publication.next_attempt_at == post.scheduled_at
    assert html.lstrip().startswith('<section id="calendar"')
    assert "Verkehrskontrolle" in cell(html, target)
    assert f"now goes out on 07.04.{YEAR} at 09:00" in html
    assert AuditEvent.objects.filter(action="publishing.post_rescheduled").exists()


def test_it_moves_a_draft_with_a_planned_time(editor_client, channel):
    post = make_post(
        berlin(YEAR, 6, 2, 12), channels=(channel,), status=PostStatus.DRAFT
    )

    editor_client.post(
        MOVE_URL, {"post": post.pk, "day": f"{YEAR}-06-05"}, headers=HTMX
    )

    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT
    assert post.scheduled_at == berlin(YEAR, 6, 5, 12)
    assert not Publication.objects.filter(variant__post=post).exists()


def test_it_says_when_a_post_has_no_time_to_keep(editor_client, channel):
    post = make_post(None, channels=(channel,), status=PostStatus.APPROVED)

    response = editor_client.post(
        MOVE_URL, {"post": post.pk, "day": f"{YEAR}-06-05"}, headers=HTMX
    )

    post.refresh_from_db()
    assert "This post has no time yet" in response.content.decode()
    assert post.scheduled_at is None


def test_it_answers_the_move_in_the_view_it_came_from(editor_client, channel):
    post = make_post(berlin(YEAR, 6, 2, 12), channels=(channel,))
    monday = date(YEAR, 6, 2) - timedelta(days=date(YEAR, 6, 2).weekday())
    week = f"{YEAR}-W{monday.isocalendar().week:02d}"

    response = editor_client.post(
        MOVE_URL,
        {
            "post": post.pk,
            "day": (monday + timedelta(days=6)).isoformat(),
            "view": "week",
            "week": week,
            "channel": channel.pk,
        },
        headers=HTMX,
    )

    html = response.content.decode()
    assert 'class="calendar-week"' in html
    assert f'name="week" value="{week}"' in html
    assert f'name="channel" value="{channel.pk}"' in html


def test_it_refuses_to_move_a_published_post(editor_client, channel):
    at = berlin(YEAR, 6, 2, 12)
    post = make_post(at, channels=(channel,), status=PostStatus.PUBLISHED)

    response = editor_client.post(
        MOVE_URL,
        {
            "post": post.pk,
            "day": f"{YEAR}-06-09",
            "view": "month",
            "month": f"{YEAR}-06",
        },
        headers=HTMX,
    )

    post.refresh_from_db()
    assert post.scheduled_at == at
    assert (
        "Only posts that have not gone out can be moved." in response.content.decode()
    )


def test_it_refuses_to_move_a_post_into_the_past(editor_client, channel):
    at = berlin(YEAR, 6, 2, 12)
    post = make_post(at, channels=(channel,))
    yesterday = timezone.localdate() - timedelta(days=1)

    response = editor_client.post(
        MOVE_URL, {"post": post.pk, "day": yesterday.isoformat()}, headers=HTMX
    )

    post.refresh_from_db()
    assert post.scheduled_at == at
    assert "lies in the past" in response.content.decode()


def test_it_does_not_let_analysts_move_posts(analyst_client, channel):
    at = berlin(YEAR, 6, 2, 12)
    post = make_post(at, channels=(channel,))

    response = analyst_client.post(
        MOVE_URL, {"post": post.pk, "day": f"{YEAR}-06-09"}, headers=HTMX
    )

    post.refresh_from_db()
    assert response.status_code == 403
    assert post.scheduled_at == at


def test_it_does_not_move_posts_on_channels_the_user_cannot_see(editor_client):
    hidden = make_channel("Verdeckt")
    hidden.users.add(UserFactory(username="someone-else"))
    post = make_post(berlin(YEAR, 6, 2, 12), channels=(hidden,))

    response = editor_client.post(
        MOVE_URL, {"post": post.pk, "day": f"{YEAR}-06-09"}, headers=HTMX
    )

    assert response.status_code == 404


def test_it_says_so_when_the_day_is_missing(editor_client, channel):
    post = make_post(berlin(YEAR, 6, 2, 12), channels=(channel,))

    response = editor_client.post(
        MOVE_URL, {"post": post.pk, "day": "morgen"}, headers=HTMX
    )

    assert "the day is missing" in response.content.decode()


# Moving by the form (keyboard users)


def test_it_shows_the_current_time_in_the_form(editor_client, channel):
    post = make_post(berlin(YEAR, 7, 14, 18, 30), channels=(channel,))

    response = editor_client.get(reverse("publishing:reschedule", args=[post.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="datetime-local"' in html
    assert f'value="{YEAR}-07-14T18:30"' in html


def test_it_moves_a_post_to_the_time_given_in_berlin(editor_client, channel):
    post = make_post(berlin(YEAR, 7, 14, 18, 30), channels=(channel,))
    back = f"{MONTH_URL}?month={YEAR}-07"

    response = editor_client.post(
        reverse("publishing:reschedule", args=[post.pk]),
        {"scheduled_at": f"{YEAR}-11-02T07:15", "next": back},
    )

    post.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == back
    # Winter time again in November: UTC+1.
    assert post.scheduled_at == datetime(YEAR, 11, 2, 6, 15, tzinfo=UTC)


def test_it_moves_a_time_that_does_not_exist_in_berlin_past_the_gap(
    editor_client, channel
):
    post = make_post(berlin(YEAR, 7, 14, 18, 30), channels=(channel,))
    last_sunday_of_march = max(
        date(YEAR, 3, day) for day in range(25, 32) if date(YEAR, 3, day).weekday() == 6
    )

    response = editor_client.post(
        reverse("publishing:reschedule", args=[post.pk]),
        {"scheduled_at": f"{last_sunday_of_march.isoformat()}T02:30"},
    )

    post.refresh_from_db()
    assert response.status_code == 302
    # 02:30 does not exist that night; 03:30 summer time is 01:30 UTC.
    assert post.scheduled_at == datetime.combine(
        last_sunday_of_march, time(1, 30), tzinfo=UTC
    )


def test_it_says_what_is_wrong_with_the_time(editor_client, channel):
    post = make_post(berlin(YEAR, 7, 14, 18, 30), channels=(channel,))

    response = editor_client.post(
        reverse("publishing:reschedule", args=[post.pk]),
        {"scheduled_at": "morgen früh"},
    )

    post.refresh_from_db()
    assert response.status_code == 400
    assert "Enter a date and time" in response.content.decode()
    assert post.scheduled_at == berlin(YEAR, 7, 14, 18, 30)


def test_it_ignores_a_next_address_elsewhere(editor_client, channel):
    post = make_post(berlin(YEAR, 7, 14, 18, 30), channels=(channel,))

    response = editor_client.post(
        reverse("publishing:reschedule", args=[post.pk]),
        {"scheduled_at": f"{YEAR}-07-15T18:30", "next": "https://evil.example/"},
    )

    assert response["Location"] == str(MONTH_URL)


def test_it_shows_why_a_published_post_cannot_be_moved(editor_client, channel):
    post = make_post(
        berlin(YEAR, 7, 14, 18, 30), channels=(channel,), status=PostStatus.PUBLISHED
    )

    response = editor_client.get(reverse("publishing:reschedule", args=[post.pk]))

    assert "has gone out already and cannot be moved" in response.content.decode()


def test_it_does_not_show_analysts_the_form(client, channel):
    post = make_post(berlin(YEAR, 7, 14, 18, 30), channels=(channel,))
    login_client(client, UserFactory(username="zahlen", role=Role.ANALYST))

    response = client.get(reverse("publishing:reschedule", args=[post.pk]))

    assert response.status_code == 403
