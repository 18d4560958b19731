from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from leitstelle.core.models import AuditEvent, Role
from leitstelle.networks.exercise.models import ExercisePost
from leitstelle.publishing import dispatcher, services
from leitstelle.publishing.models import (
    Decision,
    MediaKind,
    PostStatus,
    PostType,
    Publication,
    PublicationState,
    PublishingSettings,
    Variant,
)
from tests.core.factories import UserFactory
from tests.publishing.factories import (
    FakeChannelFactory,
    FakeState,
    blocker,
    exercise_channel,
)

pytestmark = pytest.mark.django_db


def actions() -> list[str]:
    return list(
        AuditEvent.objects.order_by("sequence").values_list("action", flat=True)
    )


@pytest.fixture
def second_approver(db) -> Any:
    return UserFactory(username="approver2", role=Role.APPROVER)


@pytest.fixture
def no_checks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Replace the pre-publish checks with a list the test fills."""
    found: list[Any] = []
    monkeypatch.setattr(services, "findings", lambda post, links=False: list(found))
    return found


def approved_post(editor: Any, approver: Any, channels: list[Any], **kw: Any) -> Any:
    post = services.create_post(
        author=editor, master_text="Die A4 ist wieder frei.", channels=channels, **kw
    )
    services.submit_for_review(post=post, actor=editor)
    services.approve(post=post, actor=approver)
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    return post


# --- writing ---------------------------------------------------------------------


def test_it_creates_a_post_with_a_variant_per_channel(editor: Any) -> None:
    one, two = FakeChannelFactory(), FakeChannelFactory()
    post = services.create_post(
        author=editor,
        master_text="Unfall auf der B6.",
        title="Unfall",
        post_type=PostType.WARNING,
        labels=["Verkehr", " Verkehr ", ""],
        channels=[one, two],
    )
    assert post.status == PostStatus.DRAFT
    assert post.labels == ["Verkehr"]
    assert sorted(v.channel_id for v in post.variants.all()) == sorted([one.pk, two.pk])
    assert {v.text for v in post.variants.all()} == {"Unfall auf der B6."}
    assert actions() == ["publishing.post_created"]


def test_it_lets_uncustomised_variants_follow_the_master_text(editor: Any) -> None:
    one, two = FakeChannelFactory(), FakeChannelFactory()
    post = services.create_post(author=editor, master_text="Alt", channels=[one, two])
    custom = post.variants.get(channel=one)
    services.set_variant_text(variant=custom, actor=editor, text="Eigen für eins")
    services.update_post(post=post, actor=editor, master_text="Neu")
    texts = dict(post.variants.values_list("channel_id", "text"))
    assert texts == {one.pk: "Eigen für eins", two.pk: "Neu"}
    services.reset_variant(variant=post.variants.get(channel=one), actor=editor)
    assert post.variants.get(channel=one).text == "Neu"


def test_it_removes_the_variants_of_channels_no_longer_chosen(editor: Any) -> None:
    one, two = FakeChannelFactory(), FakeChannelFactory()
    post = services.create_post(author=editor, master_text="x", channels=[one, two])
    services.update_post(post=post, actor=editor, channels=[two])
    assert list(post.variants.values_list("channel_id", flat=True)) == [two.pk]


def test_it_stores_a_thread_split_of_a_variant(editor: Any) -> None:
    post = services.create_post(
        author=editor, master_text="x", channels=[FakeChannelFactory()]
    )
    variant = post.variants.get()
    services.set_variant_text(
        variant=variant, actor=editor, text="a b", parts=["a (1/2)", "b (2/2)", " "]
    )
    variant.refresh_from_db()
    assert variant.parts == ["a (1/2)", "b (2/2)"]
    assert variant.customised


def test_it_sends_an_approved_post_back_to_review_when_its_text_changes(
    editor: Any, approver: Any, no_checks: list[Any]
) -> None:
    post = approved_post(editor, approver, [FakeChannelFactory()])
    version = post.version
    services.update_post(post=post, actor=editor, master_text="Geändert")
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    assert post.version == version + 1
    assert services.approvals_given(post) == 0
    assert "publishing.post_back_to_review" in actions()


def test_it_keeps_approval_when_only_title_labels_or_campaign_change(
    editor: Any, approver: Any, no_checks: list[Any]
) -> None:
    post = approved_post(editor, approver, [FakeChannelFactory()])
    services.update_post(post=post, actor=editor, title="Neu", labels=["Kampagne"])
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    assert post.title == "Neu"


def test_it_sends_a_scheduled_post_back_and_removes_its_waiting_rows(
    editor: Any, approver: Any, no_checks: list[Any]
) -> None:
    post = approved_post(editor, approver, [FakeChannelFactory()])
    at = timezone.now() + timedelta(hours=2)
    services.schedule(post=post, actor=editor, at=at)
    assert Publication.objects.filter(variant__post=post).count() == 1
    services.update_post(post=post, actor=editor, master_text="Korrigiert")
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    assert post.scheduled_at == at
    assert not Publication.objects.filter(variant__post=post).exists()
    services.approve(post=post, actor=approver)
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    assert Publication.objects.get(variant__post=post).due_at == at


def test_it_refuses_to_edit_a_published_post_like_a_draft(
    editor: Any, approver: Any, no_checks: list[Any], fake_network: FakeState
) -> None:
    post = approved_post(editor, approver, [FakeChannelFactory()])
    services.publish_now(post=post, actor=editor)
    dispatcher.dispatch_due()
    with pytest.raises(services.WrongState):
        services.update_post(post=post, actor=editor, master_text="Anders")


def test_it_attaches_an_image_with_its_size_and_alt_text(
    editor: Any, media_root: Any
) -> None:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "PNG")
    upload = SimpleUploadedFile("foto.png", buffer.getvalue(), "image/png")
    post = services.create_post(author=editor, master_text="x")
    asset = services.add_media(post=post, actor=editor, file=upload, alt_text=" Blau ")
    assert (asset.kind, asset.width, asset.height) == (MediaKind.IMAGE, 40, 30)
    assert asset.alt_text == "Blau"
    assert asset.file.name.startswith("publishing/")
    assert "foto" not in asset.file.name
    services.set_alt_text(asset=asset, actor=editor, alt_text="Ein rotes Bild")
    asset.refresh_from_db()
    assert asset.alt_text == "Ein rotes Bild"
    post.refresh_from_db()
    assert post.version == 3
    services.remove_media(asset=asset, actor=editor)
    assert not post.media.exists()
    assert {"publishing.media_added", "publishing.media_removed"} <= set(actions())


# --- review ------------------------------------------------------------------------


def test_it_never_lets_the_author_approve_their_own_post(
    approver: Any, no_checks: list[Any]
) -> None:
    post = services.create_post(
        author=approver, master_text="x", channels=[FakeChannelFactory()]
    )
    services.submit_for_review(post=post, actor=approver)
    assert not services.can_approve(post, approver)
    with pytest.raises(services.NotAllowed):
        services.approve(post=post, actor=approver)
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_it_lets_only_approver_roles_approve(editor: Any, no_checks: list[Any]) -> None:
    other_editor = UserFactory(role=Role.EDITOR)
    post = services.create_post(
        author=editor, master_text="x", channels=[FakeChannelFactory()]
    )
    services.submit_for_review(post=post, actor=editor)
    with pytest.raises(services.NotAllowed):
        services.approve(post=post, actor=other_editor)
    settings = PublishingSettings.current()
    settings.approver_roles = ["approver", "admin", "editor"]
    settings.save()
    services.approve(post=post, actor=other_editor)
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED


def test_it_needs_two_distinct_approvals_for_a_manhunt(
    editor: Any, approver: Any, second_approver: Any, no_checks: list[Any]
) -> None:
    post = services.create_post(
        author=editor,
        master_text="x",
        post_type=PostType.MANHUNT,
        channels=[FakeChannelFactory()],
    )
    services.submit_for_review(post=post, actor=editor)
    services.approve(post=post, actor=approver)
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    with pytest.raises(services.NotAllowed):
        services.approve(post=post, actor=approver)
    services.approve(post=post, actor=second_approver)
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    assert services.approvals_given(post) == 2


def test_it_counts_approvals_for_the_current_version_only(
    editor: Any, approver: Any, second_approver: Any, no_checks: list[Any]
) -> None:
    post = services.create_post(
        author=editor,
        master_text="x",
        post_type=PostType.MANHUNT,
        channels=[FakeChannelFactory()],
    )
    services.submit_for_review(post=post, actor=editor)
    services.approve(post=post, actor=approver)
    services.update_post(post=post, actor=editor, master_text="y")
    post.refresh_from_db()
    services.approve(post=post, actor=second_approver)
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    assert services.approvals_given(post) == 1


def test_it_approves_at_once_when_the_type_needs_no_approval(
    editor: Any, no_checks: list[Any]
) -> None:
    settings = PublishingSettings.current()
    settings.approvals_required = {"prevention": 0}
    settings.save()
    post = services.create_post(
        author=editor,
        master_text="x",
        post_type=PostType.PREVENTION,
        channels=[FakeChannelFactory()],
    )
    services.submit_for_review(post=post, actor=editor)
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED


def test_it_refuses_approval_until_a_blocker_is_overridden_with_a_reason(
    editor: Any, approver: Any, no_checks: list[Any]
) -> None:
    channel = FakeChannelFactory()
    post = services.create_post(author=editor, master_text="x", channels=[channel])
    services.submit_for_review(post=post, actor=editor)
    no_checks.append(blocker("personal_data.phone"))
    with pytest.raises(services.Blocked) as refused:
        services.approve(post=post, actor=approver)
    assert refused.value.findings[0].code == "personal_data.phone"
    with pytest.raises(services.NotAllowed):
        services.override_check(
            post=post, actor=editor, code="personal_data.phone", reason="Dienst-Nr."
        )
    with pytest.raises(services.PublishingError):
        services.override_check(
            post=post, actor=approver, code="personal_data.phone", reason=" "
        )
    services.override_check(
        post=post, actor=approver, code="personal_data.phone", reason="Dienstnummer"
    )
    services.approve(post=post, actor=approver)
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    event = AuditEvent.objects.get(action="publishing.check_overridden")
    assert event.details["reason"] == "Dienstnummer"


def test_it_matches_overrides_per_channel(
    editor: Any, approver: Any, no_checks: list[Any]
) -> None:
    one, two = FakeChannelFactory(), FakeChannelFactory()
    post = services.create_post(author=editor, master_text="x", channels=[one, two])
    no_checks += [blocker("length", one.pk), blocker("length", two.pk)]
    services.override_check(
        post=post, actor=approver, code="length", reason="ok", channel=one
    )
    assert [f.channel_id for f in services.open_blockers(post)] == [two.pk]


def test_it_sends_back_with_a_comment_and_records_comments(
    editor: Any, approver: Any, no_checks: list[Any]
) -> None:
    post = services.create_post(
        author=editor, master_text="x", channels=[FakeChannelFactory()]
    )
    services.submit_for_review(post=post, actor=editor)
    services.comment(post=post, actor=approver, text="Bitte Ort ergänzen")
    with pytest.raises(services.PublishingError):
        services.send_back(post=post, actor=approver, text="")
    services.send_back(post=post, actor=approver, text="Ort fehlt")
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT
    decisions = list(post.reviews.values_list("decision", flat=True))
    assert decisions == [Decision.COMMENT, Decision.SEND_BACK]


# --- time ----------------------------------------------------------------------------


def test_it_reads_naive_times_as_berlin_time_across_daylight_saving() -> None:
    summer = services.local_datetime(datetime(2027, 7, 1, 12, 0))
    winter = services.local_datetime(datetime(2027, 1, 1, 12, 0))
    assert summer.astimezone(UTC).hour == 10
    assert winter.astimezone(UTC).hour == 11
    # 02:30 does not exist on 28 March 2027: it becomes 03:30 summer time.
    gap = services.local_datetime(datetime(2027, 3, 28, 2, 30))
    assert gap.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    # 02:30 happens twice on 31 October 2027: the first (summer time) counts.
    twice = services.local_datetime(datetime(2027, 10, 31, 2, 30))
    assert twice.astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_it_refuses_a_time_in_the_past(
    editor: Any, approver: Any, no_checks: list[Any]
) -> None:
    post = approved_post(editor, approver, [FakeChannelFactory()])
    with pytest.raises(services.PublishingError):
        services.schedule(
            post=post, actor=editor, at=timezone.now() - timedelta(hours=1)
        )


# --- going out -----------------------------------------------------------------------


def test_it_schedules_an_approved_post_as_one_publication_per_variant(
    editor: Any, approver: Any, no_checks: list[Any]
) -> None:
    post = approved_post(editor, approver, [FakeChannelFactory(), FakeChannelFactory()])
    at = datetime(2027, 3, 28, 2, 30)  # Berlin wall time, in the DST gap
    services.schedule(post=post, actor=editor, at=at)
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    rows = Publication.objects.filter(variant__post=post)
    assert rows.count() == 2
    expected = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert {r.due_at for r in rows} == {expected}
    assert {r.state for r in rows} == {PublicationState.PENDING}


def test_it_sends_a_post_scheduled_before_approval_once_approved(
    editor: Any, approver: Any, no_checks: list[Any]
) -> None:
    post = services.create_post(
        author=editor, master_text="x", channels=[FakeChannelFactory()]
    )
    at = timezone.now() + timedelta(minutes=1)
    services.schedule(post=post, actor=editor, at=at)
    services.submit_for_review(post=post, actor=editor)
    assert not Publication.objects.exists()
    services.approve(post=post, actor=approver)
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    assert Publication.objects.get().due_at == at


def test_it_publishes_now_on_the_exercise_network(
    editor: Any,
    approver: Any,
    no_checks: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    channel = exercise_channel()
    post = approved_post(editor, approver, [channel])
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_now(post=post, actor=editor)
    post.refresh_from_db()
    publication = Publication.objects.get(variant__post=post)
    assert publication.state == PublicationState.PUBLISHED
    remote = ExercisePost.objects.get(pk=int(publication.remote_id))
    assert remote.text == "Die A4 ist wieder frei."
    assert remote.idempotency_key == publication.idempotency_key
    assert publication.url.endswith(remote.get_absolute_url())
    assert post.status == PostStatus.PUBLISHED
    assert post.published_at is not None
    event = AuditEvent.objects.get(action="publishing.post_went_out")
    assert event.details["status"] == PostStatus.PUBLISHED
    assert event.details["channels"][str(channel.pk)]["url"] == publication.url


def test_it_moves_a_scheduled_post_and_refuses_once_it_started(
    editor: Any, approver: Any, no_checks: list[Any], fake_network: FakeState
) -> None:
    post = approved_post(editor, approver, [FakeChannelFactory()])
    services.schedule(post=post, actor=editor, at=timezone.now() + timedelta(hours=1))
    later = timezone.now() + timedelta(hours=5)
    services.reschedule(post=post, actor=editor, at=later)
    publication = Publication.objects.get(variant__post=post)
    assert publication.due_at == later
    assert publication.next_attempt_at == later
    dispatcher.dispatch_due(now=later + timedelta(seconds=1))
    with pytest.raises(services.WrongState):
        services.reschedule(post=post, actor=editor, at=later + timedelta(hours=1))


def test_it_unschedules_back_to_approved(
    editor: Any, approver: Any, no_checks: list[Any]
) -> None:
    post = approved_post(editor, approver, [FakeChannelFactory()])
    services.schedule(post=post, actor=editor, at=timezone.now() + timedelta(hours=1))
    services.unschedule(post=post, actor=editor)
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    assert post.scheduled_at is None
    assert not Publication.objects.exists()


def test_it_refuses_to_publish_an_unapproved_post(editor: Any) -> None:
    post = services.create_post(
        author=editor, master_text="x", channels=[FakeChannelFactory()]
    )
    with pytest.raises(services.WrongState):
        services.publish_now(post=post, actor=editor)


def test_it_retries_a_failed_publication_by_hand(
    editor: Any, approver: Any, no_checks: list[Any], fake_network: FakeState
) -> None:
    channel = FakeChannelFactory()
    post = approved_post(editor, approver, [channel])
    fake_network.script[channel.pk] = ["reject"]
    services.publish_now(post=post, actor=editor)
    dispatcher.dispatch_due()
    publication = Publication.objects.get()
    assert publication.state == PublicationState.FAILED
    assert publication.error == "Das Netzwerk lehnt den Beitrag ab."
    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    services.retry_publication(publication=publication, actor=editor)
    assert publication.state == PublicationState.PENDING
    dispatcher.dispatch_due()
    publication.refresh_from_db()
    assert publication.state == PublicationState.PUBLISHED
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert "publishing.publication_retried" in actions()


def test_it_shows_partly_failed_when_one_channel_failed(
    editor: Any, approver: Any, no_checks: list[Any], fake_network: FakeState
) -> None:
    good, bad = FakeChannelFactory(), FakeChannelFactory()
    post = approved_post(editor, approver, [good, bad])
    fake_network.script[bad.pk] = ["reject"]
    services.publish_now(post=post, actor=editor)
    dispatcher.dispatch_due()
    post.refresh_from_db()
    assert post.status == PostStatus.PARTLY_FAILED


def test_it_edits_published_posts_in_place_or_deletes_and_reposts(
    editor: Any, approver: Any, no_checks: list[Any], fake_network: FakeState
) -> None:
    editable = FakeChannelFactory()
    fixed = FakeChannelFactory(config={"no_edit": True})
    post = approved_post(editor, approver, [editable, fixed])
    services.publish_now(post=post, actor=editor)
    dispatcher.dispatch_due()
    with pytest.raises(services.NotAllowed):
        services.edit_published(post=post, actor=editor, master_text="Neu")
    outcomes = services.edit_published(post=post, actor=approver, master_text="Neu")
    assert all(o.ok for o in outcomes)
    assert [c[0] for c in fake_network.calls].count("edit") == 1
    assert [c[0] for c in fake_network.calls].count("delete") == 1
    old = Publication.objects.get(channel=fixed, state=PublicationState.RETRACTED)
    dispatcher.dispatch_due()
    new = Publication.objects.get(channel=fixed, state=PublicationState.PUBLISHED)
    assert new.idempotency_key != old.idempotency_key
    live = [p for p in fake_network.posts if not p.deleted]
    assert sorted(p.text for p in live) == ["Neu", "Neu"]
    assert set(Variant.objects.values_list("text", flat=True)) == {"Neu"}
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED


def test_it_deletes_everywhere_and_marks_unsent_rows_retracted(
    editor: Any, approver: Any, no_checks: list[Any], fake_network: FakeState
) -> None:
    sent, failed = FakeChannelFactory(), FakeChannelFactory()
    post = approved_post(editor, approver, [sent, failed])
    fake_network.script[failed.pk] = ["reject"]
    services.publish_now(post=post, actor=editor)
    dispatcher.dispatch_due()
    outcomes = services.delete_everywhere(post=post, actor=approver)
    assert all(o.ok for o in outcomes)
    assert all(p.deleted for p in fake_network.posts)
    assert len(fake_network.posts) == 1
    assert set(Publication.objects.values_list("state", flat=True)) == {
        PublicationState.RETRACTED
    }
    post.refresh_from_db()
    assert post.status == PostStatus.RETRACTED
    assert "publishing.post_deleted_everywhere" in actions()


def test_it_publishes_through_the_fast_lane_for_an_incident_lead_only(
    editor: Any, admin_user: Any, no_checks: list[Any], fake_network: FakeState
) -> None:
    post = services.create_post(
        author=editor, master_text="Warnung", channels=[FakeChannelFactory()]
    )
    with pytest.raises(services.NotAllowed):
        services.fast_lane_publish(post=post, actor=editor, reason="Lage")
    with pytest.raises(services.PublishingError):
        services.fast_lane_publish(post=post, actor=admin_user, reason="")
    services.fast_lane_publish(post=post, actor=admin_user, reason="Amoklage")
    dispatcher.dispatch_due()
    post.refresh_from_db()
    assert post.fast_lane
    assert post.status == PostStatus.PUBLISHED
    event = AuditEvent.objects.get(action="publishing.fast_lane")
    assert event.details["reason"] == "Amoklage"
    assert event.actor == admin_user


def test_it_keeps_the_fast_lane_behind_the_blocker_checks(
    editor: Any, admin_user: Any, no_checks: list[Any]
) -> None:
    post = services.create_post(
        author=editor, master_text="x", channels=[FakeChannelFactory()]
    )
    no_checks.append(blocker())
    with pytest.raises(services.Blocked):
        services.fast_lane_publish(post=post, actor=admin_user, reason="Lage")


# --- with the real pre-publish checks --------------------------------------------


def png_upload(name: str = "foto.png") -> SimpleUploadedFile:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (20, 20), "green").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/png")


def test_it_refuses_approval_of_an_image_without_alt_text_until_it_has_one(
    editor: Any, approver: Any, media_root: Any
) -> None:
    post = services.create_post(
        author=editor, master_text="Neue Streifenwagen", channels=[exercise_channel()]
    )
    asset = services.add_media(post=post, actor=editor, file=png_upload())
    services.submit_for_review(post=post, actor=editor)
    with pytest.raises(services.Blocked) as refused:
        services.approve(post=post, actor=approver)
    assert [f.code for f in refused.value.findings] == ["alt_text_missing"]
    with pytest.raises(services.NotAllowed):
        services.override_check(
            post=post, actor=approver, code="alt_text_missing", reason="egal"
        )
    services.set_alt_text(
        asset=asset, actor=editor, alt_text="Drei Streifenwagen vor dem Revier"
    )
    post.refresh_from_db()
    services.approve(post=post, actor=approver)
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED


def test_it_refuses_approval_of_an_over_length_variant(
    editor: Any, approver: Any
) -> None:
    post = services.create_post(
        author=editor, master_text="Kurz.", channels=[exercise_channel()]
    )
    services.set_variant_text(variant=post.variants.get(), actor=editor, text="x" * 600)
    services.submit_for_review(post=post, actor=editor)
    with pytest.raises(services.Blocked) as refused:
        services.approve(post=post, actor=approver)
    assert "over_length" in [f.code for f in refused.value.findings]


def test_it_lets_only_admins_change_the_publishing_rules(
    admin_user: Any, approver: Any
) -> None:
    with pytest.raises(services.NotAllowed):
        services.update_settings(actor=approver, approvals_required={"report": 0})
    with pytest.raises(services.PublishingError):
        services.update_settings(actor=admin_user, approvals_required={"report": 3})
    with pytest.raises(services.PublishingError):
        services.update_settings(actor=admin_user, approver_roles=["chief"])
    services.update_settings(
        actor=admin_user,
        approvals_required={"report": 0, "manhunt": 2},
        approver_roles=["admin"],
        watch_words=["Clan", " clan ", "", "Reichsbürger"],
    )
    rules = PublishingSettings.current()
    assert rules.required_for(PostType.REPORT) == 0
    assert rules.required_for(PostType.WARNING) == 1
    assert rules.approver_roles == ["admin"]
    assert rules.watch_words == ["Clan", "Reichsbürger"]
    event = AuditEvent.objects.get(action="publishing.settings_changed")
    assert event.details["approver_roles"]["after"] == ["admin"]
    assert not services.is_approver(approver)


def test_it_edits_the_text_a_retry_sends_where_the_post_failed(
    editor: Any, approver: Any, no_checks: list[Any], fake_network: FakeState
) -> None:
    good, bad = FakeChannelFactory(), FakeChannelFactory()
    post = approved_post(editor, approver, [good, bad])
    fake_network.script[bad.pk] = ["reject"]
    services.publish_now(post=post, actor=editor)
    dispatcher.dispatch_due()
    services.edit_published(post=post, actor=approver, master_text="Korrigiert")
    failed = Publication.objects.get(channel=bad)
    services.retry_publication(publication=failed, actor=approver)
    dispatcher.dispatch_due()
    texts = [p.text for p in fake_network.posts if p.channel_id == bad.pk]
    assert texts == ["Korrigiert"]
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
