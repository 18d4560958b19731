"""`/api/v1/posts`: the same rules as the UI, documented in OpenAPI."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leitstelle.core.models import AuditEvent
from leitstelle.publishing.models import (
    Campaign,
    Post,
    PostStatus,
    PostType,
    PublicationState,
)
from tests.core.test_api import Api, make_token
from tests.publishing.factories import FakeChannelFactory, PublicationFactory, make_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_api(editor) -> Api:
    return Api(make_token(editor))


@pytest.fixture
def approver_api(approver) -> Api:
    return Api(make_token(approver))


@pytest.fixture
def analyst_api(analyst) -> Api:
    return Api(make_token(analyst))


def test_it_documents_the_posts_endpoints(admin_user) -> None:
    schema = Api(make_token(admin_user)).get("/openapi.json").json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/posts"])
    assert {"get", "patch"} <= set(paths["/api/v1/posts/{post_id}"])
    assert "post" in paths["/api/v1/posts/{post_id}/submit"]
    assert "post" in paths["/api/v1/posts/{post_id}/approve"]
    assert "PostIn" in schema["components"]["schemas"]


def test_it_creates_a_post_with_a_variant(editor_api: Api, editor) -> None:
    x, mastodon = FakeChannelFactory(kind="x"), FakeChannelFactory()
    response = editor_api.post(
        "/posts",
        {
            "title": "Sperrung",
            "post_type": "warning",
            "master_text": "Die B27 ist gesperrt.",
            "labels": ["Verkehr"],
            "campaign": "Sicher im Herbst",
            "channel_ids": [x.pk, mastodon.pk],
            "variants": [{"channel_id": x.pk, "text": "B27 gesperrt."}],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["author"] == editor.username
    assert body["campaign"] == "Sicher im Herbst"
    texts = {v["channel"]["id"]: (v["text"], v["customised"]) for v in body["variants"]}
    assert texts == {
        x.pk: ("B27 gesperrt.", True),
        mastodon.pk: ("Die B27 ist gesperrt.", False),
    }
    assert Campaign.objects.filter(name="Sicher im Herbst").exists()
    assert AuditEvent.objects.filter(action="publishing.post_created").exists()


def test_it_reads_a_naive_time_as_german_time(editor_api: Api) -> None:
    channel = FakeChannelFactory()
    response = editor_api.post(
        "/posts",
        {
            "master_text": "Text",
            "channel_ids": [channel.pk],
            "scheduled_at": "2027-07-01T12:00:00",
        },
    )
    assert response.status_code == 201, response.json()
    post = Post.objects.get()
    assert post.scheduled_at == datetime(2027, 7, 1, 10, 0, tzinfo=UTC)


def test_it_refuses_a_channel_the_user_cannot_see(editor_api: Api, admin_user) -> None:
    hidden = FakeChannelFactory()
    hidden.users.add(admin_user)
    response = editor_api.post("/posts", {"channel_ids": [hidden.pk]})
    assert response.status_code == 400
    assert str(hidden.pk) in response.json()["detail"]
    assert not Post.objects.exists()


def test_it_refuses_an_unknown_type(editor_api: Api) -> None:
    response = editor_api.post("/posts", {"post_type": "gossip"})
    assert response.status_code == 400
    assert "report" in response.json()["detail"]


def test_it_refuses_writing_to_analysts(analyst_api: Api) -> None:
    response = analyst_api.post("/posts", {"master_text": "Hallo"})
    assert response.status_code == 403


def test_it_lists_posts_with_filters(analyst_api: Api) -> None:
    channel = FakeChannelFactory()
    make_post([channel], title="Entwurf")
    make_post([channel], title="Meldung", status=PostStatus.IN_REVIEW)
    response = analyst_api.get("/posts", status="in_review")
    assert response.status_code == 200
    body = response.json()
    assert [item["title"] for item in body["items"]] == ["Meldung"]
    assert body["count"] == 1


def test_it_hides_posts_on_invisible_channels(analyst_api: Api, admin_user) -> None:
    hidden = FakeChannelFactory()
    hidden.users.add(admin_user)
    post = make_post([hidden])
    assert analyst_api.get("/posts").json()["count"] == 0
    assert analyst_api.get(f"/posts/{post.pk}").status_code == 404


def test_it_shows_a_post_with_its_publications(analyst_api: Api) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.PUBLISHED)
    PublicationFactory(
        variant=post.variants.get(),
        state=PublicationState.PUBLISHED,
        url="https://social.example/1",
    )
    body = analyst_api.get(f"/posts/{post.pk}").json()
    publication = body["variants"][0]["publications"][0]
    assert publication["state"] == "published"
    assert publication["url"] == "https://social.example/1"
    assert body["approvals_needed"] == 1


def test_it_changes_a_draft(editor_api: Api) -> None:
    channel = FakeChannelFactory()
    post = make_post([channel], master_text="Alt")
    response = editor_api.patch(
        f"/posts/{post.pk}",
        {"master_text": "Neu", "post_type": PostType.PREVENTION},
    )
    assert response.status_code == 200, response.json()
    post.refresh_from_db()
    assert (post.master_text, post.post_type) == ("Neu", PostType.PREVENTION)
    assert post.variants.get().text == "Neu"


def test_it_splits_a_variant_into_a_thread(editor_api: Api) -> None:
    channel = FakeChannelFactory()
    post = make_post([channel])
    response = editor_api.patch(
        f"/posts/{post.pk}",
        {"variants": [{"channel_id": channel.pk, "text": "A B", "parts": ["A", "B"]}]},
    )
    assert response.status_code == 200
    assert response.json()["variants"][0]["parts"] == ["A", "B"]


def test_it_refuses_to_change_a_published_post(editor_api: Api) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.PUBLISHED)
    response = editor_api.patch(f"/posts/{post.pk}", {"master_text": "Neu"})
    assert response.status_code == 409
    assert "already gone out" in response.json()["detail"]


def test_it_submits_and_approves_with_four_eyes(
    editor_api: Api, approver_api: Api
) -> None:
    created = editor_api.post(
        "/posts",
        {"master_text": "Text", "channel_ids": [FakeChannelFactory().pk]},
    ).json()
    submitted = editor_api.post(f"/posts/{created['id']}/submit", {})
    assert submitted.json()["status"] == "in_review"
    approved = approver_api.post(f"/posts/{created['id']}/approve", {"text": "Ok"})
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    assert approved.json()["approvals_given"] == 1
    assert approved.json()["reviews"][0]["decision"] == "approve"


def test_it_refuses_approval_of_the_own_post(approver_api: Api, approver) -> None:
    post = make_post([FakeChannelFactory()], author=approver)
    Api.post(approver_api, f"/posts/{post.pk}/submit", {})
    response = approver_api.post(f"/posts/{post.pk}/approve", {})
    assert response.status_code == 403
    assert response.json()["detail"] == "You cannot approve your own post."


def test_it_refuses_approval_to_editors(editor_api: Api) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.IN_REVIEW)
    assert editor_api.post(f"/posts/{post.pk}/approve", {}).status_code == 403


def test_it_refuses_submitting_twice(editor_api: Api) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.IN_REVIEW)
    response = editor_api.post(f"/posts/{post.pk}/submit", {})
    assert response.status_code == 409


def test_it_sends_a_post_back(approver_api: Api) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.IN_REVIEW)
    response = approver_api.post(f"/posts/{post.pk}/send-back", {"text": "Kürzer."})
    assert response.status_code == 200
    assert response.json()["status"] == "draft"
    missing = approver_api.post(f"/posts/{post.pk}/send-back", {"text": ""})
    assert missing.status_code == 400


def test_it_schedules_an_approved_post(editor_api: Api) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.APPROVED)
    response = editor_api.post(
        f"/posts/{post.pk}/schedule", {"scheduled_at": "2027-01-15T08:00:00+01:00"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "scheduled"
    assert body["variants"][0]["publications"][0]["state"] == "pending"


def test_it_publishes_an_approved_post_now(
    editor_api: Api, fake_network, django_capture_on_commit_callbacks
) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_api.post(f"/posts/{post.pk}/publish", {})
    assert response.status_code == 200, response.json()
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert len(fake_network.posts) == 1


def test_it_refuses_to_publish_a_draft(editor_api: Api) -> None:
    post = make_post([FakeChannelFactory()])
    response = editor_api.post(f"/posts/{post.pk}/publish", {})
    assert response.status_code == 409
    assert response.json()["detail"] == "Only an approved post can be published."


def test_it_leaves_out_channels_the_caller_cannot_see(
    analyst_api: Api, admin_user
) -> None:
    visible, hidden = FakeChannelFactory(), FakeChannelFactory()
    hidden.users.add(admin_user)
    post = make_post([visible, hidden])
    body = analyst_api.get(f"/posts/{post.pk}").json()
    assert [v["channel"]["id"] for v in body["variants"]] == [visible.pk]
    listed = analyst_api.get("/posts").json()["items"][0]
    assert [c["id"] for c in listed["channels"]] == [visible.pk]
