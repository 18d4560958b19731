"""Browser tests of the inbox: live updates, replies, keyboard shortcuts.

Comments come from the exercise network (its data is in our database);
the worker's poll is `services.poll_channel`, called here in the test.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from leitstelle.core.models import Role, User
from leitstelle.inbox import services
from leitstelle.inbox.models import Interaction
from leitstelle.networks.exercise import services as exercise
from leitstelle.networks.exercise.models import ExerciseAccount, ExercisePost
from leitstelle.networks.models import Channel
from tests.conftest import login_client
from tests.core.factories import UserFactory
from tests.inbox.factories import InteractionFactory, exercise_channel

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ROWS = ".inbox-row"
# The list polls every 10 s; the fake clock skips ahead instead of waiting.
POLL_MS = 11_000


@pytest.fixture
def worker() -> User:
    return UserFactory(username="community", role=Role.COMMUNITY)


@pytest.fixture
def signed_in(page: Page, live_server, worker: User) -> Page:
    """The browser with `worker`'s session, as if the login had happened."""
    client = login_client(Client(), worker)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": cookie,
                "url": live_server.url,
            }
        ]
    )
    return page


@pytest.fixture
def police() -> ExerciseAccount:
    return exercise.create_account(
        handle="polizei_test", display_name="Polizei Test", is_organisation=True
    )


@pytest.fixture
def citizen() -> ExerciseAccount:
    return exercise.create_account(handle="anwohner42", display_name="Thomas Berger")


@pytest.fixture
def channel(police: ExerciseAccount) -> Channel:
    return exercise_channel(police)


@pytest.fixture
def our_post(police: ExerciseAccount) -> ExercisePost:
    return exercise.create_post(account=police, text="Sperrung der B6 bis 18 Uhr.")


def inbox_url(live_server) -> str:
    return f"{live_server.url}{reverse('inbox:list')}"


def test_it_shows_a_new_comment_without_reloading(
    signed_in: Page,
    live_server,
    channel: Channel,
    citizen: ExerciseAccount,
    our_post: ExercisePost,
) -> None:
    page = signed_in
    exercise.create_post(account=citizen, text="Wie lange noch?", in_reply_to=our_post)
    services.poll_channel(channel_id=channel.pk)
    page.clock.install()
    page.goto(inbox_url(live_server))
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator("#inbox-live")).to_have_attribute("aria-live", "polite")
    page.evaluate("window.sameDocument = true")
    page.keyboard.press("j")
    page.keyboard.press("x")

    exercise.create_post(
        account=citizen, text="Gibt es eine Umleitung?", in_reply_to=our_post
    )
    services.poll_channel(channel_id=channel.pk)
    page.clock.run_for(POLL_MS)

    banner = page.locator(".inbox-live-banner")
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("data-count", "1")
    expect(page).to_have_title(re.compile(r"^\(1\) "))
    banner.locator("[data-live-show]").click()

    expect(page.locator(ROWS)).to_have_count(2)
    first = page.locator(ROWS).first
    expect(first).to_contain_text("Gibt es eine Umleitung?")
    expect(first).to_have_class(re.compile(r"\binbox-row-fresh\b"))
    expect(first).to_be_focused()
    expect(first.locator("input[type=checkbox]")).not_to_be_checked()
    expect(page.locator(ROWS).nth(1).locator("input[type=checkbox]")).to_be_checked()
    expect(banner).to_have_count(0)
    expect(page).not_to_have_title(re.compile(r"^\(1\) "))
    assert page.evaluate("window.sameDocument") is True, "the page was reloaded"


def live_answer(page: Page) -> str:
    """Let the list poll once; return the address that answered."""
    page.evaluate(
        """() => { window.liveAnswer = new Promise((resolve) => {
          document.addEventListener("htmx:afterRequest", (event) => {
            if (event.detail.elt.id === "inbox-live") {
              resolve(event.detail.xhr.responseURL);
            }
          });
        }); }"""
    )
    page.clock.run_for(POLL_MS)
    return page.evaluate("window.liveAnswer")


def test_it_shows_new_items_with_n(
    signed_in: Page, live_server, channel: Channel, citizen, our_post
) -> None:
    page = signed_in
    page.clock.install()
    page.goto(inbox_url(live_server))
    exercise.create_post(account=citizen, text="Danke!", in_reply_to=our_post)
    services.poll_channel(channel_id=channel.pk)
    live_answer(page)
    expect(page.locator(".inbox-live-banner")).to_be_visible()
    page.locator(".inbox-live-banner").evaluate("banner => banner.id = 'seen'")
    live_answer(page)
    # The same news is not swapped in again (and not announced again).
    expect(page.locator(".inbox-live-banner")).to_have_id("seen")

    page.keyboard.press("n")

    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS).first).to_be_focused()


def test_it_keeps_the_banner_quiet_after_the_session_ended(
    signed_in: Page, live_server, channel: Channel, citizen, our_post
) -> None:
    page = signed_in
    page.clock.install()
    page.goto(inbox_url(live_server))
    # The page's own first requests (the alert banner) renew the cookie.
    expect(page.locator(".shell-alert")).to_have_attribute("data-alert-seen", "")
    page.context.clear_cookies()
    exercise.create_post(account=citizen, text="Hallo?", in_reply_to=our_post)
    services.poll_channel(channel_id=channel.pk)

    answered = live_answer(page)

    assert urlsplit(answered).path == reverse("core:login"), "not sent to the login"
    expect(page.locator("#inbox-live > *")).to_have_count(0)
    expect(page.locator("#inbox-live form")).to_have_count(0)


def test_it_moves_through_the_list_with_the_keyboard(
    signed_in: Page, live_server
) -> None:
    page = signed_in
    _oldest, middle, newest = (
        InteractionFactory(text=text) for text in ("Erste", "Zweite", "Dritte")
    )
    page.goto(inbox_url(live_server))
    rows = page.locator(ROWS)
    expect(rows).to_have_count(3)

    page.keyboard.press("j")
    expect(rows.nth(0)).to_be_focused()
    expect(rows.nth(0)).to_have_attribute("data-item-id", str(newest.pk))
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(2)).to_be_focused()
    page.keyboard.press("k")
    expect(rows.nth(1)).to_be_focused()
    expect(rows.nth(1)).to_have_attribute("data-item-id", str(middle.pk))

    page.keyboard.press("Enter")

    expect(page).to_have_url(
        f"{live_server.url}{reverse('inbox:detail', args=[middle.pk])}"
    )


def test_it_ignores_shortcuts_while_typing(signed_in: Page, live_server) -> None:
    page = signed_in
    InteractionFactory(text="Erste")
    page.goto(inbox_url(live_server))
    search = page.locator("input[name='q']")

    page.keyboard.press("/")
    expect(search).to_be_focused()
    page.keyboard.type("jk?")

    expect(search).to_have_value("jk?")
    expect(search).to_be_focused()
    expect(page.locator("#inbox-shortcuts")).not_to_be_visible()


def test_it_opens_and_closes_the_shortcut_help(signed_in: Page, live_server) -> None:
    page = signed_in
    page.goto(inbox_url(live_server))
    help_dialog = page.locator("#inbox-shortcuts")
    expect(help_dialog).not_to_be_visible()

    page.keyboard.press("?")
    expect(help_dialog).to_be_visible()
    expect(help_dialog.locator("kbd", has_text="j")).to_be_visible()
    page.keyboard.press("Escape")
    expect(help_dialog).not_to_be_visible()

    page.keyboard.press("?")
    expect(help_dialog).to_be_visible()
    page.keyboard.press("?")
    expect(help_dialog).not_to_be_visible()

    page.locator("[data-shortcuts-open]").click()
    expect(help_dialog).to_be_visible()


def test_it_selects_the_current_row_with_x(signed_in: Page, live_server) -> None:
    page = signed_in
    InteractionFactory(text="Erste")
    InteractionFactory(text="Zweite")
    page.goto(inbox_url(live_server))
    rows = page.locator(ROWS)
    page.keyboard.press("j")
    page.keyboard.press("j")

    page.keyboard.press("x")

    expect(rows.nth(1).locator("input[type=checkbox]")).to_be_checked()
    expect(rows.nth(0).locator("input[type=checkbox]")).not_to_be_checked()
    page.keyboard.press("x")
    expect(rows.nth(1).locator("input[type=checkbox]")).not_to_be_checked()


def test_it_focuses_the_reply_with_r_on_the_thread(
    signed_in: Page, live_server
) -> None:
    page = signed_in
    item = InteractionFactory(text="Erste")
    page.goto(f"{live_server.url}{reverse('inbox:detail', args=[item.pk])}")

    page.keyboard.press("r")

    expect(page.locator("[data-shortcut='r']").first).to_be_focused()


def test_it_assigns_the_current_row_to_me_with_a(
    signed_in: Page, live_server, worker: User
) -> None:
    page = signed_in
    InteractionFactory(text="Erste")
    newest = InteractionFactory(text="Zweite")
    page.goto(inbox_url(live_server))
    row = page.locator(f"{ROWS}[data-item-id='{newest.pk}']")
    page.keyboard.press("j")
    expect(row).to_be_focused()

    page.keyboard.press("a")

    expect(row).to_contain_text(worker.get_full_name())
    expect(row).to_be_focused()
    newest.refresh_from_db()
    assert newest.assignee == worker, "the row was not assigned to the user"


def test_it_works_the_thread_with_the_keyboard(
    signed_in: Page, live_server, worker: User
) -> None:
    page = signed_in
    item = InteractionFactory(text="Bitte melden Sie sich.")
    page.goto(f"{live_server.url}{reverse('inbox:detail', args=[item.pk])}")

    page.keyboard.press("r")
    expect(page.locator("textarea[data-shortcut='r']")).to_be_focused()
    page.keyboard.type("aec")
    expect(page.locator("textarea[data-shortcut='r']")).to_have_value("aec")

    page.locator("textarea[data-shortcut='r']").blur()
    page.keyboard.press("a")
    expect(page.locator("#workflow-actions [data-shortcut='a']")).to_have_count(0)
    page.keyboard.press("e")
    expect(page.locator("#workflow-actions [data-shortcut='e']")).to_have_count(0)

    item.refresh_from_db()
    assert item.assignee == worker, "a did not assign the thread"
    assert item.status == "escalated", "e did not escalate the thread"
    page.keyboard.press("?")
    expect(page.locator("#inbox-shortcuts")).to_be_visible()


def test_it_sends_a_reply_that_appears_on_the_exercise_network(
    signed_in: Page,
    live_server,
    channel: Channel,
    police: ExerciseAccount,
    citizen: ExerciseAccount,
    our_post: ExercisePost,
) -> None:
    page = signed_in
    question = exercise.create_post(
        account=citizen, text="Ist die B6 wieder frei?", in_reply_to=our_post
    )
    services.poll_channel(channel_id=channel.pk)
    item = Interaction.objects.get(channel=channel, remote_id=str(question.pk))
    page.goto(f"{live_server.url}{reverse('inbox:detail', args=[item.pk])}")

    page.locator("#reply-text").fill("Ja, seit 17 Uhr ist die B6 wieder frei.")
    page.locator(".reply-form button[type=submit]").click()

    expect(page.locator(".reply-list")).to_contain_text("seit 17 Uhr")
    answer = ExercisePost.objects.get(account=police, in_reply_to=question)
    assert answer.text == "Ja, seit 17 Uhr ist die B6 wieder frei.", "text changed"
    page.goto(f"{live_server.url}{our_post.get_absolute_url()}")
    expect(page.locator("body")).to_contain_text(
        "Ja, seit 17 Uhr ist die B6 wieder frei."
    )


def test_it_opens_the_reply_of_the_current_row_with_r(
    signed_in: Page, live_server
) -> None:
    page = signed_in
    item = InteractionFactory(text="Wann kommt die Streife?")
    page.goto(inbox_url(live_server))
    page.keyboard.press("j")

    page.keyboard.press("r")

    detail = reverse("inbox:detail", args=[item.pk])
    expect(page).to_have_url(f"{live_server.url}{detail}#reply")
    expect(page.locator("textarea[data-shortcut='r']")).to_be_focused()


def test_it_hides_the_item_with_h_on_the_thread(
    signed_in: Page,
    live_server,
    channel: Channel,
    citizen: ExerciseAccount,
    our_post: ExercisePost,
) -> None:
    page = signed_in
    rude = exercise.create_post(
        account=citizen, text="Ihr seid alle unfähig!", in_reply_to=our_post
    )
    services.poll_channel(channel_id=channel.pk)
    item = Interaction.objects.get(channel=channel, remote_id=str(rude.pk))
    page.goto(f"{live_server.url}{reverse('inbox:detail', args=[item.pk])}")

    page.keyboard.press("h")

    expect(page.locator("[data-shortcut='h']")).to_have_count(0)
    item.refresh_from_db()
    rude.refresh_from_db()
    assert item.hidden_at is not None, "the item is not marked hidden"
    assert rude.hidden_at is not None, "the comment is still shown on the network"
    assert item.snapshots.filter(action="hide").exists(), "no snapshot first"


def test_it_pauses_polling_in_a_background_tab(signed_in: Page, live_server) -> None:
    page = signed_in
    page.clock.install()
    page.goto(inbox_url(live_server))
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url))
    live_path = reverse("inbox:live")
    page.evaluate(
        """() => { window.tabHidden = true;
        Object.defineProperty(document, "hidden", {get: () => window.tabHidden}); }"""
    )

    page.clock.run_for(3 * POLL_MS)
    assert not [url for url in polls if live_path in url], "polled in the background"

    with page.expect_request(lambda request: live_path in request.url):
        page.evaluate(
            """() => { window.tabHidden = false;
            document.dispatchEvent(new Event("visibilitychange")); }"""
        )


def test_it_marks_its_polls_as_background(signed_in: Page, live_server) -> None:
    """Polls carry the header that keeps them from counting as activity."""
    page = signed_in
    page.clock.install()
    page.goto(inbox_url(live_server))
    live_path = reverse("inbox:live")

    with page.expect_request(lambda request: live_path in request.url) as polled:
        page.clock.run_for(POLL_MS)

    assert polled.value.headers.get("x-leitstelle-background") == "1"


def test_it_alerts_every_open_page_to_an_emergency(
    signed_in: Page,
    live_server,
    channel: Channel,
    citizen: ExerciseAccount,
    our_post: ExercisePost,
) -> None:
    """Triage marks the comment an emergency; a page elsewhere shows it."""
    page = signed_in
    page.clock.install()
    page.goto(f"{live_server.url}{reverse('publishing:calendar')}")
    alert = page.locator(".shell-alert")
    expect(alert).to_have_attribute("data-alert-seen", "")
    expect(alert.locator(".emergency-alert")).to_have_count(0)
    page.evaluate("window.sameDocument = true")

    exercise.create_post(
        account=citizen,
        text="Hilfe, bei uns im Haus brennt es und wir kommen nicht raus!",
        in_reply_to=our_post,
    )
    services.poll_channel(channel_id=channel.pk)
    page.clock.run_for(16_000)

    banner = alert.locator(".emergency-alert")
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("data-count", "1")
    expect(banner).to_contain_text("brennt es")
    expect(alert).to_have_attribute("data-alerted", "1")
    assert page.evaluate("window.sameDocument") is True, "the page was reloaded"
    assert Interaction.objects.get().priority == 3, "not triaged as urgent"
