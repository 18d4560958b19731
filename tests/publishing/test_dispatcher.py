from __future__ import annotations

import threading
from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from PIL import Image

from leitstelle.core.models import AuditEvent
from leitstelle.networks.exercise.models import ExercisePost
from leitstelle.networks.models import ChannelStatus
from leitstelle.publishing import dispatcher, services
from leitstelle.publishing.models import PostStatus, Publication, PublicationState
from tests.publishing.factories import (
    FakeChannelFactory,
    FakeState,
    PublicationFactory,
    VariantFactory,
    WorkerCrash,
    exercise_channel,
)

pytestmark = pytest.mark.django_db


def due(**kw: Any) -> Publication:
    now = timezone.now()
    return PublicationFactory(due_at=now, next_attempt_at=now, **kw)


def later(minutes: float) -> Any:
    return timezone.now() + timedelta(minutes=minutes)


def test_it_publishes_a_due_row_and_records_the_remote_id(
    fake_network: FakeState,
) -> None:
    row = due()
    report = dispatcher.dispatch_due()
    row.refresh_from_db()
    assert (report.claimed, report.published) == (1, 1)
    assert row.state == PublicationState.PUBLISHED
    assert row.remote_id == fake_network.posts[0].remote_id
    assert row.url == f"https://fake.example/{row.remote_id}"
    assert fake_network.posts[0].key == row.idempotency_key
    assert row.attempts == 1
    row.variant.post.refresh_from_db()
    assert row.variant.post.status == PostStatus.PUBLISHED


def test_it_leaves_rows_that_are_not_due_yet(fake_network: FakeState) -> None:
    PublicationFactory(due_at=later(10), next_attempt_at=later(10))
    assert dispatcher.dispatch_due().claimed == 0
    assert fake_network.posts == []


def test_it_asks_the_network_after_a_timeout_and_does_not_send_twice(
    fake_network: FakeState,
) -> None:
    row = due()
    fake_network.script[row.channel_id] = ["timeout"]
    assert dispatcher.dispatch_due().retried == 1
    row.refresh_from_db()
    assert row.state == PublicationState.PENDING
    assert row.outcome_unknown
    assert row.error == "Zeitüberschreitung"
    assert row.next_attempt_at > timezone.now()
    dispatcher.dispatch_due(now=later(60))
    row.refresh_from_db()
    assert row.state == PublicationState.PUBLISHED
    assert len(fake_network.sent(row.idempotency_key)) == 1
    assert fake_network.calls == [
        ("publish", row.idempotency_key),
        ("find", row.idempotency_key),
    ]


def test_it_sends_again_after_a_server_error_when_the_network_has_nothing(
    fake_network: FakeState,
) -> None:
    row = due()
    fake_network.script[row.channel_id] = ["unavailable"]
    dispatcher.dispatch_due()
    dispatcher.dispatch_due(now=later(60))
    row.refresh_from_db()
    assert row.state == PublicationState.PUBLISHED
    assert [c[0] for c in fake_network.calls] == ["publish", "find", "publish"]
    assert len(fake_network.sent(row.idempotency_key)) == 1


def test_it_reclaims_a_row_whose_worker_died_only_after_the_lease(
    fake_network: FakeState,
) -> None:
    row = due()
    fake_network.script[row.channel_id] = ["crash_after"]
    with pytest.raises(WorkerCrash):
        dispatcher.dispatch_due()
    row.refresh_from_db()
    assert row.state == PublicationState.SENDING
    assert dispatcher.dispatch_due(now=later(9)).claimed == 0
    report = dispatcher.dispatch_due(now=later(11))
    row.refresh_from_db()
    assert report.published == 1
    assert row.state == PublicationState.PUBLISHED
    assert len(fake_network.sent(row.idempotency_key)) == 1
    assert fake_network.calls[-1] == ("find", row.idempotency_key)


def test_it_honours_retry_after_and_marks_the_channel_rate_limited(
    fake_network: FakeState,
) -> None:
    row = due()
    fake_network.script[row.channel_id] = ["ratelimit"]
    dispatcher.dispatch_due()
    row.refresh_from_db()
    assert row.state == PublicationState.PENDING
    assert not row.outcome_unknown
    assert row.next_attempt_at >= timezone.now() + timedelta(seconds=29)
    row.channel.refresh_from_db()
    assert row.channel.status == ChannelStatus.RATE_LIMITED
    dispatcher.dispatch_due(now=later(2))
    row.refresh_from_db()
    assert row.state == PublicationState.PUBLISHED
    assert ("find", row.idempotency_key) not in fake_network.calls


def test_it_fails_with_the_networks_reason_on_a_permanent_error(
    fake_network: FakeState,
) -> None:
    row = due()
    fake_network.script[row.channel_id] = ["reject"]
    assert dispatcher.dispatch_due().failed == 1
    row.refresh_from_db()
    assert row.state == PublicationState.FAILED
    assert row.error == "Das Netzwerk lehnt den Beitrag ab."
    event = AuditEvent.objects.get(action="publishing.publication_failed")
    assert event.details["reason"] == row.error
    assert event.actor_label == "dispatcher"


def test_it_gives_up_after_the_last_try_with_a_reason(
    fake_network: FakeState,
) -> None:
    row = due()
    fake_network.script[row.channel_id] = ["unavailable"] * dispatcher.MAX_ATTEMPTS
    for step in range(dispatcher.MAX_ATTEMPTS):
        dispatcher.dispatch_due(now=later(200 * (step + 1)))
    row.refresh_from_db()
    assert row.state == PublicationState.FAILED
    assert row.attempts == dispatcher.MAX_ATTEMPTS
    assert "Serverfehler 503" in row.error
    assert fake_network.posts == []


def test_it_backs_off_exponentially_with_jitter_and_a_cap() -> None:
    first = [dispatcher.backoff(1) for _ in range(50)]
    third = [dispatcher.backoff(3) for _ in range(50)]
    assert all(7.5 <= d <= 15 for d in first)
    assert all(30 <= d <= 60 for d in third)
    assert len(set(first)) > 1
    assert dispatcher.backoff(40) <= dispatcher.MAX_DELAY
    assert dispatcher.backoff(1, retry_after=120) == 120


def test_it_sends_a_thread_in_order_and_resumes_after_a_timeout(
    fake_network: FakeState,
) -> None:
    variant = VariantFactory(parts=["Eins (1/3)", "Zwei (2/3)", "Drei (3/3)"])
    row = due(variant=variant)
    fake_network.script[row.channel_id] = ["ok", "timeout"]
    dispatcher.dispatch_due()
    row.refresh_from_db()
    assert row.state == PublicationState.PENDING
    assert len(row.remote_ids) == 1
    dispatcher.dispatch_due(now=later(60))
    row.refresh_from_db()
    assert row.state == PublicationState.PUBLISHED
    posts = fake_network.posts
    assert [p.text for p in posts] == ["Eins (1/3)", "Zwei (2/3)", "Drei (3/3)"]
    assert [p.reply_to for p in posts] == [None, posts[0].remote_id, posts[1].remote_id]
    assert row.remote_ids == [p.remote_id for p in posts]
    assert row.remote_id == posts[0].remote_id
    key = row.idempotency_key
    assert [p.key for p in posts] == [key, f"{key}.1", f"{key}.2"]


def test_it_drops_its_result_when_another_worker_took_the_row_over(
    fake_network: FakeState,
) -> None:
    row = due()
    token, ids = dispatcher.claim()
    assert ids == [row.pk]
    Publication.objects.filter(pk=row.pk).update(claim_token="someone-else")
    assert dispatcher.send(row.pk, token) == "lost"
    row.refresh_from_db()
    assert row.state == PublicationState.SENDING
    assert row.claim_token == "someone-else"


def test_it_publishes_on_the_exercise_network_with_its_key_lookup(
    editor: Any,
) -> None:
    channel = exercise_channel()
    row = due(variant=VariantFactory(channel=channel, text="Übung: Stau"))
    Publication.objects.filter(pk=row.pk).update(outcome_unknown=True)
    dispatcher.dispatch_due()
    row.refresh_from_db()
    assert row.state == PublicationState.PUBLISHED
    assert ExercisePost.objects.get(pk=int(row.remote_id)).text == "Übung: Stau"
    # Already there: a second lookup finds it instead of posting again.
    Publication.objects.filter(pk=row.pk).update(
        state=PublicationState.PENDING, outcome_unknown=True, remote_id=""
    )
    dispatcher.dispatch_due()
    row.refresh_from_db()
    assert ExercisePost.objects.count() == 1
    assert row.state == PublicationState.PUBLISHED


def test_it_sends_images_prepared_for_the_network(
    editor: Any, media_root: Any, fake_network: FakeState
) -> None:
    channel = FakeChannelFactory()
    post = services.create_post(author=editor, master_text="Bild", channels=[channel])
    buffer = BytesIO()
    Image.new("RGB", (64, 48), "blue").save(buffer, "JPEG")
    services.add_media(
        post=post,
        actor=editor,
        file=SimpleUploadedFile("a.jpg", buffer.getvalue(), "image/jpeg"),
        alt_text="Blaues Bild",
    )
    due(variant=post.variants.get())
    dispatcher.dispatch_due()
    assert [p.media for p in fake_network.posts] == [1]


def test_it_fails_when_the_media_do_not_fit_the_network(
    editor: Any, media_root: Any, fake_network: FakeState
) -> None:
    channel = FakeChannelFactory()
    post = services.create_post(author=editor, master_text="Bild", channels=[channel])
    services.add_media(
        post=post,
        actor=editor,
        file=SimpleUploadedFile("a.gif", b"GIF89a" + b"\0" * 40, "image/gif"),
        alt_text="kaputt",
    )
    row = due(variant=post.variants.get())
    dispatcher.dispatch_due()
    row.refresh_from_db()
    assert row.state == PublicationState.FAILED
    assert "JPEG" in row.error
    assert fake_network.posts == []


@pytest.mark.django_db(transaction=True)
def test_it_gives_competing_workers_different_rows(fake_network: FakeState) -> None:
    rows = [due() for _ in range(30)]
    claimed: list[list[int]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                claimed.append(dispatcher.claim(limit=3)[1])
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = [pk for batch in claimed for pk in batch]
    assert len(ids) == len(set(ids)) == len(rows)


def test_it_audits_once_per_post_when_it_has_gone_out_everywhere(
    fake_network: FakeState,
) -> None:
    post = VariantFactory().post
    channels = [FakeChannelFactory(), FakeChannelFactory()]
    rows = [due(variant=VariantFactory(post=post, channel=c)) for c in channels]
    fake_network.script[channels[1].pk] = ["reject"]
    dispatcher.dispatch_due()
    events = AuditEvent.objects.filter(action="publishing.post_went_out")
    assert events.count() == 1
    outcome = events.get().details
    assert outcome["status"] == PostStatus.PARTLY_FAILED
    assert outcome["channels"][str(channels[0].pk)]["state"] == "published"
    assert outcome["channels"][str(channels[1].pk)]["error"]
    failed = AuditEvent.objects.get(action="publishing.publication_failed")
    assert failed.details["publication"] == rows[1].pk


def test_it_shows_a_scheduled_post_as_going_out_while_it_is_retried(
    fake_network: FakeState,
) -> None:
    row = due()
    post = row.variant.post
    post.status = PostStatus.SCHEDULED
    post.save()
    fake_network.script[row.channel_id] = ["ratelimit"]
    dispatcher.dispatch_due()
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHING
    dispatcher.dispatch_due(now=later(5))
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED


def test_it_holds_back_other_rows_of_a_rate_limited_channel(
    fake_network: FakeState,
) -> None:
    channel = FakeChannelFactory()
    first = due(variant=VariantFactory(channel=channel))
    second = due(variant=VariantFactory(channel=channel))
    fake_network.script[channel.pk] = ["ratelimit"]
    dispatcher.dispatch_due()
    assert [c[0] for c in fake_network.calls] == ["publish"]
    second.refresh_from_db()
    channel.refresh_from_db()
    assert second.state == PublicationState.PENDING
    assert second.attempts == 0
    assert second.next_attempt_at == channel.rate_limited_until
    dispatcher.dispatch_due(now=later(2))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("published", "published")


def test_it_asks_once_more_before_giving_up_after_a_timeout_on_the_last_try(
    fake_network: FakeState,
) -> None:
    row = due()
    tries = dispatcher.MAX_ATTEMPTS
    fake_network.script[row.channel_id] = ["unavailable"] * (tries - 1) + ["timeout"]
    for step in range(tries):
        dispatcher.dispatch_due(now=later(200 * (step + 1)))
    row.refresh_from_db()
    assert row.state == PublicationState.PUBLISHED
    assert row.attempts == tries
    assert row.url == f"https://fake.example/{row.remote_id}"
    assert len(fake_network.sent(row.idempotency_key)) == 1
