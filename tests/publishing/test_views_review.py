"""Four eyes in the UI: the review list, approve, send back, comment, override."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leitstelle.core.models import AuditEvent, Role
from leitstelle.publishing import services
from leitstelle.publishing.models import (
    CheckOverride,
    Decision,
    Post,
    PostStatus,
    PostType,
    PublishingSettings,
    Review,
)
from tests.conftest import login_client
from tests.core.factories import UserFactory
from tests.publishing.factories import FakeChannelFactory, blocker, make_post

pytestmark = pytest.mark.django_db
REVIEW = reverse("publishing:review")


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def in_review(**kwargs: Any) -> Post:
    post = make_post([FakeChannelFactory()], **kwargs)
    services.submit_for_review(post=post, actor=post.author)
    post.refresh_from_db()
    return post


def url(name: str, post: Post) -> str:
    return reverse(f"publishing:{name}", args=[post.pk])


def test_it_lists_what_waits_for_the_approver(client: Client, approver) -> None:
    waiting = in_review(title="Sperrung B27")
    own = in_review(title="Eigener Beitrag", author=approver)
    response = login_client(client, approver).get(REVIEW)
    assert response.status_code == 200
    mine, others = response.context["mine"], response.context["others"]
    assert [p.pk for p in mine] == [waiting.pk]
    assert [p.pk for p in others] == [own.pk], "own post must not wait for me"
    assert "0 of 1 approvals" in response.text


def test_it_shows_editors_the_review_list_without_their_queue(
    editor_client: Client,
) -> None:
    in_review(title="Sperrung B27")
    response = editor_client.get(REVIEW)
    assert response.status_code == 200
    assert "Waiting for you" not in response.text
    assert "Sperrung B27" in response.text


def test_it_lists_reviews_in_few_queries(
    client: Client, approver, django_assert_max_num_queries
) -> None:
    for _ in range(10):
        in_review()
    login_client(client, approver)
    with django_assert_max_num_queries(16):
        response = client.get(REVIEW)
    assert len(response.context["mine"]) == 10


def test_it_approves_a_post(client: Client, approver) -> None:
    post = in_review()
    response = login_client(client, approver).post(
        url("approve", post), {"approve-text": "Passt."}, follow=True
    )
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    assert "The post is approved." in response.text
    review = Review.objects.get(post=post, decision=Decision.APPROVE)
    assert (review.user, review.text) == (approver, "Passt.")
    assert AuditEvent.objects.filter(action="publishing.post_approved").exists()


def test_it_schedules_on_approval_when_a_time_was_chosen(
    client: Client, approver
) -> None:
    post = make_post([FakeChannelFactory()])
    services.schedule(
        post=post, actor=post.author, at=timezone.now() + timedelta(hours=2)
    )
    services.submit_for_review(post=post, actor=post.author)
    response = login_client(client, approver).post(url("approve", post), follow=True)
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    assert "approved and scheduled" in response.text


def test_it_asks_for_a_second_approval_where_two_are_needed(
    client: Client, approver
) -> None:
    rules = PublishingSettings.current()
    rules.approvals_required = {PostType.MANHUNT: 2}
    rules.save()
    post = in_review(post_type=PostType.MANHUNT)
    response = login_client(client, approver).post(url("approve", post), follow=True)
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    assert "another is needed" in response.text
    second = UserFactory(role=Role.APPROVER, with_totp=True)
    login_client(Client(), second).post(url("approve", post))
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED


def test_it_never_lets_the_author_approve(client: Client, approver) -> None:
    post = in_review(author=approver)
    page = login_client(client, approver).get(url("detail", post))
    assert url("approve", post) not in page.text
    assert "someone else approves it" in page.text
    response = client.post(url("approve", post), follow=True)
    assert "You cannot approve your own post." in response.text
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_it_refuses_approval_to_editors(editor_client: Client) -> None:
    post = in_review()
    assert editor_client.post(url("approve", post)).status_code == 403
    page = editor_client.get(url("detail", post))
    assert url("approve", post) not in page.text


def test_it_names_the_blockers_that_stop_an_approval(
    client: Client, approver, monkeypatch: pytest.MonkeyPatch
) -> None:
    post = in_review()
    monkeypatch.setattr(services, "findings", lambda post, links=False: [blocker()])
    response = login_client(client, approver).post(url("approve", post), follow=True)
    assert "Resolve or override the blockers before approving." in response.text
    assert "Telefonnummer im Text" in response.text
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_it_sends_a_post_back_with_a_comment(client: Client, approver) -> None:
    post = in_review()
    response = login_client(client, approver).post(
        url("send_back", post), {"back-text": "Bitte Kennzeichen entfernen."}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT
    review = Review.objects.get(post=post, decision=Decision.SEND_BACK)
    assert review.text == "Bitte Kennzeichen entfernen."


def test_it_needs_a_reason_to_send_back(client: Client, approver) -> None:
    post = in_review()
    response = login_client(client, approver).post(
        url("send_back", post), {"back-text": ""}
    )
    assert response.status_code == 400
    assert "This field is required." in response.text
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_it_lets_editors_comment(editor_client: Client, editor) -> None:
    post = in_review()
    response = editor_client.post(
        url("comment", post), {"comment-text": "Foto folgt."}, follow=True
    )
    assert "The comment was added." in response.text
    assert "Foto folgt." in response.text
    assert Review.objects.get(decision=Decision.COMMENT).user == editor


def test_it_refuses_comments_from_analysts(analyst_client: Client) -> None:
    post = in_review()
    response = analyst_client.post(url("comment", post), {"comment-text": "Hm."})
    assert response.status_code == 403
    assert not Review.objects.filter(decision=Decision.COMMENT).exists()


def test_it_overrides_a_blocker_with_a_reason(
    client: Client, approver, monkeypatch: pytest.MonkeyPatch
) -> None:
    post = in_review()
    channel = post.variants.get().channel
    monkeypatch.setattr(
        services,
        "findings",
        lambda post, links=False: [blocker(channel_id=channel.pk)],
    )
    response = login_client(client, approver).post(
        url("override", post),
        {
            "code": "personal_data.phone",
            "channel": channel.pk,
            "reason": "Das ist die Nummer der Pressestelle.",
        },
        follow=True,
    )
    assert "the reason is logged" in response.text
    override = CheckOverride.objects.get()
    assert (override.code, override.channel, override.user) == (
        "personal_data.phone",
        channel,
        approver,
    )
    assert services.open_blockers(post) == []
    assert AuditEvent.objects.filter(action="publishing.check_overridden").exists()


def test_it_refuses_an_override_without_a_reason(client: Client, approver) -> None:
    post = in_review()
    response = login_client(client, approver).post(
        url("override", post),
        {"code": "personal_data.phone", "reason": ""},
        follow=True,
    )
    assert "Give a reason for the override." in response.text
    assert not CheckOverride.objects.exists()


def test_it_refuses_overrides_to_editors(editor_client: Client) -> None:
    post = in_review()
    response = editor_client.post(
        url("override", post), {"code": "personal_data.phone", "reason": "Weil."}
    )
    assert response.status_code == 403


def test_it_publishes_through_the_fast_lane_with_a_reason(
    admin_client: Client, fake_network, django_capture_on_commit_callbacks
) -> None:
    post = make_post([FakeChannelFactory()])
    page = admin_client.get(url("detail", post))
    assert url("fast_lane", post) in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url("fast_lane", post), {"fast-reason": "Amoklage, Warnung sofort."}
        )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.fast_lane
    assert post.status == PostStatus.PUBLISHED
    event = AuditEvent.objects.get(action="publishing.fast_lane")
    assert event.details["reason"] == "Amoklage, Warnung sofort."


def test_it_offers_the_fast_lane_to_nobody_else(client: Client, approver) -> None:
    post = make_post([FakeChannelFactory()])
    login_client(client, approver)
    assert url("fast_lane", post) not in client.get(url("detail", post)).text
    response = client.post(url("fast_lane", post), {"fast-reason": "Eilt."})
    post.refresh_from_db()
    assert not post.fast_lane
    assert response.status_code == 302
