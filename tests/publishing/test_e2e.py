"""Browser test of publishing: compose, approve, schedule, out, on the calendar.

An editor writes a post with an image (approval waits for its alt text), an
approver approves it, it is scheduled a minute ahead, the dispatcher sends it
through the exercise network's real connector, and the post shows on the
network's public page and in the calendar.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from leitstelle.core.models import Role, User
from leitstelle.networks.exercise.models import ExercisePost
from leitstelle.publishing import dispatcher
from leitstelle.publishing.calendar import BERLIN, at_local, week_key, week_start
from leitstelle.publishing.models import Post, Publication
from leitstelle.publishing.states import PostStatus, PublicationState
from tests.core.factories import PASSWORD, UserFactory
from tests.publishing.factories import exercise_channel
from tests.publishing.test_views_calendar import make_post

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def english() -> None:
    """Keep German, the default: these tests switch to English in the page."""


TITLE = "Verkehrskontrolle an der B27"
TEXT = "Heute kontrollieren wir an der B27 bei Tübingen. Fahren Sie vorsichtig!"
ALT = "Zwei Polizisten winken ein Auto an einer Kontrollstelle heraus."


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """A JPEG photo, as a phone would take it."""
    path = tmp_path / "kontrolle.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 90, 160)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def approver_page(browser: Browser, live_server: Any) -> Iterator[Page]:
    """A second browser, for the second pair of eyes."""
    context = browser.new_context(base_url=live_server.url)
    yield context.new_page()
    context.close()


def log_in(page: Page, base_url: str, user: User) -> None:
    """Log in (with the code when the user has a second factor), in English."""
    page.goto(f"{base_url}/anmelden/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    if user.totp_secret:
        code = page.locator("input[name=code]")
        code.fill(pyotp.TOTP(user.totp_secret).now())
        code.press("Enter")
    expect(page).to_have_url(f"{base_url}/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_it_publishes_a_scheduled_post_with_an_image_through_four_eyes(
    page: Page, approver_page: Page, live_server: Any, photo: Path
):
    channel = exercise_channel("polizei_tuebingen")
    editor = UserFactory(username="redaktion", role=Role.EDITOR)
    approver = UserFactory(username="freigabe", role=Role.APPROVER, with_totp=True)
    url = live_server.url

    # The editor composes, with an image but no alt text yet.
    log_in(page, url, editor)
    page.goto(f"{url}/beitraege/neu/")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Text:", exact=True).fill(TEXT)
    page.get_by_label(channel.name).check()
    page.get_by_label("Add an image or video").set_input_files(photo)
    at = (timezone.now() + timedelta(minutes=1)).astimezone(BERLIN)
    at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    page.get_by_label("Publish at").fill(at.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("The post was submitted for review.")).to_be_visible()
    expect(page.get_by_text("Alt text is missing")).to_be_visible()
    post = Post.objects.get(title=TITLE)
    assert post.status == PostStatus.IN_REVIEW
    detail = f"/beitraege/{post.pk}/"

    # The second pair of eyes cannot approve it without alt text.
    log_in(approver_page, url, approver)
    approver_page.goto(detail)
    approver_page.get_by_role("button", name="Approve").click()
    expect(approver_page.locator(".messages")).to_contain_text("alt text")
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW

    # The editor describes the image; now it can be approved.
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Alt text", exact=True).fill(ALT)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("The changes were saved.")).to_be_visible()
    expect(page.get_by_text("Alt text is missing")).to_have_count(0)
    approver_page.goto(detail)
    approver_page.get_by_role("button", name="Approve").click()
    expect(approver_page.locator(".messages")).to_contain_text(
        "The post is approved and scheduled."
    )
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    assert post.scheduled_at == at
    assert not ExercisePost.objects.filter(text__contains="B27").exists()

    # Its minute comes: the round of the real dispatcher that the task and
    # the periodic sweep run, with the clock at that minute.
    report = dispatcher.dispatch_due(now=at + timedelta(seconds=1))
    assert report.published == 1
    publication = Publication.objects.get(variant__post=post)
    assert publication.state == PublicationState.PUBLISHED

    # It is on the exercise network's public page, image and alt text too.
    approver_page.goto(f"/uebungsnetz/{channel.config['handle']}/")
    on_network = approver_page.locator("article", has_text=TEXT)
    expect(on_network).to_be_visible()
    expect(on_network.get_by_role("img", name=ALT)).to_be_visible()

    # The calendar shows it, published, when it went out (the sweep ran a
    # little early: the test does not wait for the minute).
    post.refresh_from_db()
    out = post.published_at.astimezone(BERLIN)
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Calendar"
    ).click()
    day = page.locator(f'#calendar [data-day="{out.date().isoformat()}"]')
    entry = day.locator(".calendar-post", has_text=TITLE)
    expect(entry).to_contain_text(out.strftime("%H:%M"))
    expect(entry).to_contain_text("Published")
    expect(entry).to_contain_text(channel.name)


def test_it_moves_a_post_by_drag_and_drop_and_by_keyboard(page: Page, live_server: Any):
    channel = exercise_channel("polizei_reutlingen")
    editor = UserFactory(username="redaktion", role=Role.EDITOR)
    monday = week_start(timezone.localdate()) + timedelta(days=7)
    post = make_post(
        at_local(monday + timedelta(days=1), time(10, 30)),
        title="Fahrradcodierung am Marktplatz",
        channels=(channel,),
    )
    url = live_server.url
    log_in(page, url, editor)
    page.goto(f"{url}/beitraege/kalender/woche/?week={week_key(monday)}")

    tuesday = page.locator(f'#calendar [data-day="{monday + timedelta(days=1)}"]')
    thursday = page.locator(f'#calendar [data-day="{monday + timedelta(days=3)}"]')
    tuesday.locator("[data-post]").drag_to(thursday)

    expect(page.locator(".calendar-messages")).to_contain_text("now goes out on")
    expect(thursday).to_contain_text("Fahrradcodierung am Marktplatz")
    expect(tuesday).not_to_contain_text("Fahrradcodierung am Marktplatz")
    post.refresh_from_db()
    assert post.scheduled_at == at_local(monday + timedelta(days=3), time(10, 30))
    publication = Publication.objects.get(variant__post=post)
    assert publication.due_at == post.scheduled_at

    # Without a mouse: the "Move" link opens a form for day and time.
    thursday.get_by_role("link", name="Move").focus()
    page.keyboard.press("Enter")
    page.get_by_label("New time").fill(f"{monday + timedelta(days=4)}T08:00")
    page.get_by_label("New time").press("Enter")

    friday = page.locator(f'#calendar [data-day="{monday + timedelta(days=4)}"]')
    expect(page.locator(".messages")).to_contain_text("now goes out on")
    expect(friday.locator(".calendar-post")).to_contain_text("08:00")
    expect(page).to_have_url(re.compile(rf"week={week_key(monday)}"))
    post.refresh_from_db()
    assert post.scheduled_at == at_local(monday + timedelta(days=4), time(8, 0))


def test_it_has_accessible_calendar_and_queue_pages(page: Page, live_server: Any):
    channel = exercise_channel("polizei_ulm")
    editor = UserFactory(username="redaktion", role=Role.EDITOR)
    soon = timezone.now() + timedelta(days=1)
    post = make_post(soon, title="Präventionsabend", channels=(channel,))
    make_post(
        soon - timedelta(days=2),
        title="Festnahme",
        channels=(channel,),
        status=PostStatus.PUBLISHED,
    )
    log_in(page, live_server.url, editor)

    found = []
    for path in (
        "/beitraege/kalender/",
        "/beitraege/kalender/woche/",
        "/beitraege/warteschlange/",
        f"/beitraege/{post.pk}/verschieben/",
    ):
        page.goto(f"{live_server.url}{path}")
        results = Axe().run(page)
        found += [
            f"{path}: {item['id']} ({item['impact']}): {item['help']}"
            for item in results.response["violations"]
            if item["impact"] in {"serious", "critical"}
        ]

    assert found == []


def test_it_says_so_when_a_move_fails(page: Page, live_server: Any):
    channel = exercise_channel("polizei_konstanz")
    monday = week_start(timezone.localdate()) + timedelta(days=7)
    at = at_local(monday + timedelta(days=1), time(10, 30))
    post = make_post(at, title="Seesicherheit", channels=(channel,))
    log_in(page, live_server.url, UserFactory(username="redaktion", role=Role.EDITOR))
    page.goto(f"{live_server.url}/beitraege/kalender/woche/?week={week_key(monday)}")
    page.route(
        "**/beitraege/kalender/verschieben/",
        lambda route: route.fulfill(status=500, body="Server Error"),
    )

    tuesday = page.locator(f'#calendar [data-day="{monday + timedelta(days=1)}"]')
    friday = page.locator(f'#calendar [data-day="{monday + timedelta(days=4)}"]')
    tuesday.locator("[data-post]").drag_to(friday)

    expect(page.locator(".calendar-messages")).to_contain_text(
        "The post could not be moved."
    )
    expect(tuesday).to_contain_text("Seesicherheit")
    expect(tuesday).not_to_have_attribute("aria-busy", "true")
    post.refresh_from_db()
    assert post.scheduled_at == at
