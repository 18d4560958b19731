"""Replies: sent on the exercise network, never twice, collision warnings."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leitstelle.core.models import AuditEvent, Unit
from leitstelle.inbox import replies, services
from leitstelle.inbox.models import Interaction, Reply, SavedReply
from leitstelle.networks.base import (
    AuthExpired,
    ContentRejected,
    RemotePost,
    Unavailable,
)
from leitstelle.networks.exercise import services as exercise
from leitstelle.networks.exercise.connector import Exercise as ExerciseConnector
from leitstelle.networks.exercise.models import ExerciseAccount, ExercisePost
from tests.conftest import login_client
from tests.core.factories import UserFactory
from tests.inbox.factories import InteractionFactory, exercise_channel

pytestmark = pytest.mark.django_db
# The machine is shared: give the browser time.
SLOW_MS = 15000


@pytest.fixture
def police() -> ExerciseAccount:
    return exercise.create_account(
        handle="polizei_test", display_name="Polizei Test", is_organisation=True
    )


@pytest.fixture
def our_post(police: ExerciseAccount) -> ExercisePost:
    return exercise.create_post(account=police, text="Sperrung der B6 bis 18 Uhr.")


@pytest.fixture
def citizen_comment(our_post: ExercisePost) -> ExercisePost:
    citizen = exercise.create_account(handle="anwohner42", display_name="Thomas B.")
    return exercise.create_post(
        account=citizen, text="Wie lange noch?", in_reply_to=our_post
    )


@pytest.fixture
def item(police: ExerciseAccount, citizen_comment: ExercisePost) -> Interaction:
    channel = exercise_channel(police)
    services.poll_channel(channel_id=channel.pk)
    return Interaction.objects.select_related("channel", "author").get(
        remote_id=str(citizen_comment.pk)
    )


@pytest.fixture
def worker_client(client: Client, community_manager) -> Client:
    return login_client(client, community_manager)


def send(item: Interaction, actor: Any, text: str, capture: Any) -> Reply:
    """Send as outside a test transaction: delivery runs on commit."""
    with capture(execute=True):
        reply = replies.send_reply(interaction=item, actor=actor, text=text)
    reply.refresh_from_db()
    return reply


def reply_url(item: Interaction) -> str:
    return reverse("inbox:reply", args=[item.pk])


def test_it_sends_a_reply_to_the_exercise_network(
    item: Interaction,
    community_manager,
    citizen_comment: ExercisePost,
    django_capture_on_commit_callbacks: Any,
) -> None:
    reply = send(
        item, community_manager, "Bis 18 Uhr.", django_capture_on_commit_callbacks
    )

    on_network = ExercisePost.objects.get(in_reply_to=citizen_comment)
    assert reply.status == "sent", reply.error
    assert on_network.text == "Bis 18 Uhr.", "the reply is on the network"
    assert reply.remote_id == str(on_network.pk), "its remote id is kept"
    assert reply.url.endswith(on_network.get_absolute_url()), "and its link"
    assert on_network.idempotency_key == reply.idempotency_key, "sent with its key"


def test_it_marks_the_item_answered(
    item: Interaction, community_manager, django_capture_on_commit_callbacks: Any
) -> None:
    item.response_due_at = timezone.now()
    item.save()

    send(item, community_manager, "Danke!", django_capture_on_commit_callbacks)

    item.refresh_from_db()
    assert item.status == "answered", "status after the first reply"
    assert item.first_response_at is not None, "first response time recorded"
    assert item.response_due_at is None, "the service-level timer stops"


def test_it_keeps_the_first_response_time_on_a_second_reply(
    item: Interaction, community_manager, django_capture_on_commit_callbacks: Any
) -> None:
    send(item, community_manager, "Erste Antwort", django_capture_on_commit_callbacks)
    item.refresh_from_db()
    first = item.first_response_at

    send(item, community_manager, "Zweite Antwort", django_capture_on_commit_callbacks)

    item.refresh_from_db()
    assert item.first_response_at == first, "first response time overwritten"


def test_it_commits_the_reply_before_calling_the_network(
    item: Interaction, community_manager, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reply = replies.send_reply(
            interaction=item, actor=community_manager, text="Gleich"
        )

    assert reply.status == "sending", "queued, not yet sent"
    assert len(callbacks) == 1, "the delivery waits for the commit"
    assert not ExercisePost.objects.filter(text="Gleich").exists(), "not sent yet"


def test_it_audits_queueing_and_sending(
    item: Interaction, community_manager, django_capture_on_commit_callbacks: Any
) -> None:
    send(item, community_manager, "Danke!", django_capture_on_commit_callbacks)

    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "inbox.reply_queued" in actions, "queueing not audited"
    assert "inbox.reply_sent" in actions, "sending not audited"


def test_it_records_a_refusal_in_plain_words(
    item: Interaction, community_manager, django_capture_on_commit_callbacks: Any
) -> None:
    refused = ContentRejected("The network refused the words.", reason="spam")
    with mock.patch.object(ExerciseConnector, "reply", side_effect=refused):
        reply = send(
            item, community_manager, "Hallo", django_capture_on_commit_callbacks
        )

    assert reply.status == "failed", "refused reply not failed"
    assert reply.error == "The network refused the words.", "reason not kept"
    assert AuditEvent.objects.filter(action="inbox.reply_failed").exists()


def test_it_counts_a_timeout_that_delivered_as_sent(
    item: Interaction, community_manager, django_capture_on_commit_callbacks: Any
) -> None:
    def deliver_then_time_out(to_remote_id: str, post: Any) -> RemotePost:
        ExerciseConnector(item.channel).publish(replace(post, reply_to=to_remote_id))
        raise Unavailable("The exercise network did not answer in time.")

    with mock.patch.object(
        ExerciseConnector, "reply", side_effect=deliver_then_time_out
    ):
        reply = send(
            item, community_manager, "Hallo", django_capture_on_commit_callbacks
        )

    assert reply.status == "sent", "the network had it: it counts as sent"
    assert ExercisePost.objects.filter(text="Hallo").count() == 1, "sent once"


def test_it_looks_up_an_uncertain_reply_before_sending_it_again(
    item: Interaction, community_manager, django_capture_on_commit_callbacks: Any
) -> None:
    timeout = Unavailable("The exercise network did not answer in time.")
    with (
        mock.patch.object(ExerciseConnector, "reply", side_effect=timeout),
        mock.patch.object(ExerciseConnector, "find_published", return_value=None),
    ):
        reply = send(
            item, community_manager, "Hallo", django_capture_on_commit_callbacks
        )
    assert reply.status == "failed", "unknown outcome, not found: failed"
    assert "may have arrived" in reply.error, "the uncertainty is explained"
    found = RemotePost("999", url="https://net.example/999")

    with (
        mock.patch.object(ExerciseConnector, "find_published", return_value=found),
        mock.patch.object(ExerciseConnector, "reply") as resend,
        django_capture_on_commit_callbacks(execute=True),
    ):
        replies.retry_reply(reply=reply, actor=community_manager)

    reply.refresh_from_db()
    assert not resend.called, "sent again although the network had it"
    assert reply.status == "sent", "found on the network: sent"
    assert reply.remote_id == "999", "with the network's id"


def test_it_sends_a_failed_reply_again_on_retry(
    item: Interaction, community_manager, django_capture_on_commit_callbacks: Any
) -> None:
    refused = Unavailable("The exercise network is unavailable.")
    with mock.patch.object(ExerciseConnector, "reply", side_effect=refused):
        reply = send(
            item, community_manager, "Nochmal", django_capture_on_commit_callbacks
        )

    with django_capture_on_commit_callbacks(execute=True):
        replies.retry_reply(reply=reply, actor=community_manager)

    reply.refresh_from_db()
    assert reply.status == "sent", reply.error
    assert ExercisePost.objects.filter(text="Nochmal").count() == 1, "sent once"


def test_it_refuses_to_retry_a_sent_reply(
    item: Interaction, community_manager, django_capture_on_commit_callbacks: Any
) -> None:
    reply = send(item, community_manager, "Fertig", django_capture_on_commit_callbacks)

    with pytest.raises(replies.ReplyRefused):
        replies.retry_reply(reply=reply, actor=community_manager)


def test_it_refuses_a_reply_longer_than_the_network_allows(
    item: Interaction, community_manager
) -> None:
    with pytest.raises(replies.ReplyRefused, match="at most 500"):
        replies.send_reply(interaction=item, actor=community_manager, text="x" * 501)
    assert not Reply.objects.exists(), "a refused reply was stored"


def test_it_fills_placeholders_of_saved_replies(item: Interaction) -> None:
    text = "Hallo {name} ({handle}), danke für Ihre Nachricht an {channel}. {oops}"

    filled = replies.fill_placeholders(text, item)

    assert filled.startswith("Hallo Thomas B. (@anwohner42), danke"), filled
    assert "an Polizei Test." in filled, "channel name not filled"
    assert filled.endswith("{oops}"), "an unknown placeholder is left as written"


def test_it_fills_no_attributes_through_placeholders(item: Interaction) -> None:
    filled = replies.fill_placeholders("{name.__class__} {0}", item)
    assert filled == "{name.__class__} {0}", "format syntax was evaluated"


def test_it_picks_the_items_language_then_german() -> None:
    SavedReply.objects.create(title="Danke", language="de", text="Danke!")
    english = SavedReply.objects.create(title="Danke", language="en", text="Thanks!")
    german_only = SavedReply.objects.create(title="Umleitung", language="de", text="…")
    SavedReply.objects.create(title="Nur Französisch", language="fr", text="Merci")

    chosen = replies.saved_reply_choices("en")
    for_turkish = replies.saved_reply_choices("tr")

    assert english in chosen and german_only in chosen, [str(s) for s in chosen]
    assert len(chosen) == 3, "one version per title"
    assert {s.language for s in for_turkish if s.title == "Danke"} == {"de"}


# Views


def test_it_sends_a_reply_from_the_thread(
    worker_client: Client,
    item: Interaction,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = worker_client.post(
            reply_url(item), {"text": "Ab 18 Uhr ist frei.", "seen_reply": 0}
        )

    on_network = ExercisePost.objects.get(text="Ab 18 Uhr ist frei.")
    page = worker_client.get(reverse("inbox:detail", args=[item.pk])).text
    assert response.status_code == 302, response.content[:500]
    assert "Ab 18 Uhr ist frei." in page, "the sent reply is not in the thread"
    assert on_network.get_absolute_url() in page, "no link to the sent reply"


def test_it_shows_the_reason_and_retry_of_a_failed_reply(
    worker_client: Client, item: Interaction, community_manager
) -> None:
    Reply.objects.create(
        interaction=item,
        author=community_manager,
        text="Kam nicht an",
        status="failed",
        error="The exercise network is unavailable.",
        idempotency_key="k1",
    )

    page = worker_client.get(reverse("inbox:detail", args=[item.pk])).text

    assert "The exercise network is unavailable." in page, "reason not shown"
    assert reverse("inbox:reply_retry", args=[Reply.objects.get().pk]) in page


def test_it_warns_when_a_colleague_answered_meanwhile(
    worker_client: Client, item: Interaction, community_manager
) -> None:
    form = worker_client.get(reverse("inbox:detail", args=[item.pk])).text
    assert 'name="seen_reply" value="0"' in form, "the form carries the newest id"
    colleague = UserFactory(username="kollegin", role="community")
    Reply.objects.create(
        interaction=item,
        author=colleague,
        text="Schon beantwortet",
        status="sent",
        idempotency_key="k2",
    )

    response = worker_client.post(reply_url(item), {"text": "Meins", "seen_reply": 0})

    assert response.status_code == 409, "sent without a warning"
    assert "A colleague answered in this thread meanwhile." in response.text
    assert 'name="confirmed" value="1"' in response.text, "no second confirm"
    assert not Reply.objects.filter(text="Meins").exists(), "sent before confirming"


def test_it_sends_after_the_second_confirm(
    worker_client: Client,
    item: Interaction,
    django_capture_on_commit_callbacks: Any,
) -> None:
    colleague = UserFactory(username="kollegin", role="community")
    other = Reply.objects.create(
        interaction=item,
        author=colleague,
        text="Schon beantwortet",
        status="sent",
        idempotency_key="k3",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = worker_client.post(
            reply_url(item),
            {"text": "Trotzdem", "seen_reply": other.pk, "confirmed": "1"},
        )

    assert response.status_code == 302, "confirmed reply not sent"
    assert Reply.objects.get(text="Trotzdem").status == "sent"


def test_it_does_not_warn_about_ones_own_replies(
    worker_client: Client,
    item: Interaction,
    community_manager,
    django_capture_on_commit_callbacks: Any,
) -> None:
    send(item, community_manager, "Erste", django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        response = worker_client.post(
            reply_url(item), {"text": "Zweite", "seen_reply": 0}
        )

    assert response.status_code == 302, "warned about one's own reply"


@pytest.mark.parametrize("role", ["analyst", "editor", "approver"])
def test_it_refuses_replies_by_readers(
    client: Client, item: Interaction, role: str, request: Any
) -> None:
    login_client(client, request.getfixturevalue(role))

    response = client.post(reply_url(item), {"text": "Hallo", "seen_reply": 0})
    page = client.get(reverse("inbox:detail", args=[item.pk])).text

    assert response.status_code == 403, f"{role} may reply"
    assert 'data-shortcut="r"' not in page, f"{role} sees the reply form"
    assert not Reply.objects.exists(), "reply stored"


def test_it_refuses_replies_on_invisible_channels(
    worker_client: Client, item: Interaction
) -> None:
    item.channel.units.add(Unit.objects.create(name="Elsewhere"))

    response = worker_client.post(reply_url(item), {"text": "Hallo", "seen_reply": 0})

    assert response.status_code == 404, "replied on a channel the user cannot see"


def test_it_shows_a_length_error_in_the_form(
    worker_client: Client, item: Interaction
) -> None:
    response = worker_client.post(reply_url(item), {"text": "x" * 600, "seen_reply": 0})

    assert response.status_code == 400, "overlong reply accepted"
    assert "at most 500 are allowed" in response.text, "no length error"


def test_it_counts_the_length_as_the_network_does(
    worker_client: Client, item: Interaction
) -> None:
    text = "Siehe https://polizei.example/ein/sehr/langer/pfad/zur/meldung"
    response = worker_client.post(
        reverse("inbox:reply_count", args=[item.pk]), {"text": text}
    )

    assert response.status_code == 200
    assert "29 of 500 characters" in response.text, response.text


def test_it_inserts_a_saved_reply_for_htmx(
    worker_client: Client, item: Interaction
) -> None:
    saved = SavedReply.objects.create(
        title="Danke", language="de", text="Danke, {name}! <b>fett</b>"
    )

    response = worker_client.get(
        reverse("inbox:reply_fill", args=[item.pk]),
        {"textbaustein": saved.pk},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "<html" not in response.text, "htmx got the whole page"
    assert "Danke, Thomas B.! &lt;b&gt;fett&lt;/b&gt;" in response.text, "not filled"
    assert f'name="saved_reply" value="{saved.pk}"' in response.text


def test_it_inserts_a_saved_reply_without_javascript(
    worker_client: Client, item: Interaction
) -> None:
    saved = SavedReply.objects.create(title="Danke", language="de", text="Danke!")
    fill = reverse("inbox:reply_fill", args=[item.pk])

    response = worker_client.get(fill, {"textbaustein": saved.pk}, follow=True)

    assert ">Danke!</textarea>" in response.text, "saved reply not in the form"


def test_it_shows_the_reply_status_partial(
    worker_client: Client, item: Interaction, community_manager
) -> None:
    reply = Reply.objects.create(
        interaction=item,
        author=community_manager,
        text="Unterwegs",
        idempotency_key="k4",
    )

    response = worker_client.get(reverse("inbox:reply_status", args=[reply.pk]))

    assert response.status_code == 200
    assert 'hx-trigger="every 3s"' in response.text, "a sending reply is not polled"
    assert "<html" not in response.text, "a whole page for a partial"


def test_it_retries_from_the_thread(
    worker_client: Client,
    item: Interaction,
    community_manager,
    django_capture_on_commit_callbacks: Any,
) -> None:
    reply = Reply.objects.create(
        interaction=item,
        author=community_manager,
        text="Zweiter Versuch",
        status="failed",
        error="x",
        idempotency_key="k5",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = worker_client.post(reverse("inbox:reply_retry", args=[reply.pk]))

    reply.refresh_from_db()
    assert response.status_code == 302
    assert reply.status == "sent", reply.error
    assert ExercisePost.objects.filter(text="Zweiter Versuch").count() == 1


def test_it_runs_the_delivery_as_a_task(item: Interaction, community_manager) -> None:
    from leitstelle.inbox import tasks

    reply = Reply.objects.create(
        interaction=item,
        author=community_manager,
        text="Per Task",
        idempotency_key="k6",
    )

    status = tasks.deliver_reply_task.call_local(reply.pk)
    again = tasks.deliver_reply_task.call_local(reply.pk)

    assert status == "sent", "the task did not send"
    assert again is None, "a sent reply is not sent again"
    assert ExercisePost.objects.filter(text="Per Task").count() == 1


def test_it_refuses_on_a_network_without_replies(community_manager) -> None:
    item = InteractionFactory()
    caps = item.channel.connector.capabilities.__class__(reply=False)

    with (
        mock.patch.object(ExerciseConnector, "capabilities", caps),
        pytest.raises(replies.ReplyRefused, match="does not let Leitstelle answer"),
    ):
        replies.send_reply(interaction=item, actor=community_manager, text="Hallo")


# Browser


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_counts_and_sends_a_reply_in_the_browser(
    page: Any, live_server: Any, item: Interaction, citizen_comment: ExercisePost
) -> None:
    from playwright.sync_api import expect

    from tests.core.test_e2e import log_in

    UserFactory(username="community2", role="community")
    SavedReply.objects.create(title="Danke", language="de", text="Danke, {name}!")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text))
    log_in(page, live_server.url, "community2")
    page.goto(f"{live_server.url}{reverse('inbox:detail', args=[item.pk])}")

    page.get_by_role("button", name="Insert").click()
    expect(page.locator("#reply-text")).to_have_value(
        "Danke, Thomas B.!", timeout=SLOW_MS
    )
    page.locator("#reply-text").fill("Siehe https://polizei.example/" + "x" * 80)
    expect(page.locator("#reply-count")).to_contain_text(
        "29 of 500 characters", timeout=SLOW_MS
    )
    page.get_by_role("button", name="Send reply").click()

    expect(page.locator(".reply-sent")).to_contain_text(
        "https://polizei.example/", timeout=SLOW_MS
    )
    sent = ExercisePost.objects.get(in_reply_to=citizen_comment)
    assert sent.text.startswith("Siehe https://polizei.example/"), sent.text
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_it_fails_a_reply_stuck_in_sending(
    item: Interaction, community_manager
) -> None:
    from leitstelle.inbox import tasks

    stuck = Reply.objects.create(
        interaction=item, author=community_manager, text="Hängt", idempotency_key="s1"
    )
    fresh = Reply.objects.create(
        interaction=item, author=community_manager, text="Neu", idempotency_key="s2"
    )
    Reply.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - replies.STUCK_AFTER - timedelta(minutes=1)
    )

    marked = tasks.fail_stuck_replies.call_local()

    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert marked == 1, "not exactly the stuck reply"
    assert stuck.status == "failed" and "may have arrived" in stuck.error
    assert fresh.status == "sending", "a fresh reply was failed"


def test_it_marks_the_channel_when_access_expired(
    item: Interaction, community_manager, django_capture_on_commit_callbacks: Any
) -> None:
    expired = AuthExpired("The exercise network no longer accepts this channel.")
    with mock.patch.object(ExerciseConnector, "reply", side_effect=expired):
        reply = send(
            item, community_manager, "Hallo", django_capture_on_commit_callbacks
        )

    item.channel.refresh_from_db()
    assert reply.status == "failed"
    assert item.channel.status == "needs_reauth", "admins are not told"


def test_it_shows_replies_without_a_query_per_reply(
    worker_client: Client, item: Interaction, community_manager
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_with(count: int) -> int:
        for n in range(count):
            Reply.objects.create(
                interaction=item,
                author=UserFactory(),
                text=f"Antwort {n}",
                status="sent",
                idempotency_key=f"q{count}-{n}",
            )
        with CaptureQueriesContext(connection) as captured:
            worker_client.get(reverse("inbox:detail", args=[item.pk]))
        return len(captured)

    worker_client.get(reverse("inbox:detail", args=[item.pk]))  # opens the item
    few, many = queries_with(1), queries_with(5)

    assert many == few, f"{few} queries with one reply, {many} with six"


def test_it_refuses_to_answer_a_deleted_item(
    worker_client: Client, item: Interaction, community_manager
) -> None:
    item.deleted_on_network_at = timezone.now()
    item.save()

    page = worker_client.get(reverse("inbox:detail", args=[item.pk])).text
    with pytest.raises(replies.ReplyRefused, match="was deleted"):
        replies.send_reply(interaction=item, actor=community_manager, text="Hallo")

    assert "This item was deleted and can no longer be answered." in page
    assert 'data-shortcut="r"' not in page, "a reply form for a deleted item"
