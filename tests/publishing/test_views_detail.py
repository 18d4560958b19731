"""The posts list, a post's page per channel, retry, correct, delete everywhere."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from leitstelle.core.models import AuditEvent
from leitstelle.publishing import services
from leitstelle.publishing.models import (
    Post,
    PostStatus,
    Publication,
    PublicationState,
)
from tests.conftest import login_client
from tests.publishing.factories import (
    FakeChannelFactory,
    FakeState,
    PublicationFactory,
    blocker,
    make_post,
)

pytestmark = pytest.mark.django_db
LIST = reverse("publishing:list")


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def detail(post: Post) -> str:
    return reverse("publishing:detail", args=[post.pk])


def published(post: Post, **kwargs: Any) -> Publication:
    """Mark `post` published on its one channel, as the dispatcher would."""
    values = {
        "state": PublicationState.PUBLISHED,
        "remote_id": "r-1",
        "remote_ids": ["r-1"],
        "url": "https://social.example/@polizei/1",
        "published_at": timezone.now(),
        **kwargs,
    }
    publication = PublicationFactory(variant=post.variants.get(), **values)
    services.refresh_post_status(post)
    post.refresh_from_db()
    return publication


def test_it_lists_posts_to_every_role(analyst_client: Client) -> None:
    make_post([FakeChannelFactory()], title="Sperrung B27")
    response = analyst_client.get(LIST)
    assert response.status_code == 200
    assert "Sperrung B27" in response.text
    assert "New post" not in response.text, "analysts cannot compose"


def test_it_filters_the_list_by_status(editor_client: Client) -> None:
    make_post([FakeChannelFactory()], title="Entwurf A")
    make_post([FakeChannelFactory()], title="Prüfung B", status=PostStatus.IN_REVIEW)
    response = editor_client.get(LIST, {"status": "in_review"})
    assert "Prüfung B" in response.text
    assert "Entwurf A" not in response.text


def test_it_answers_htmx_with_the_results_only(editor_client: Client) -> None:
    make_post([FakeChannelFactory()], title="Entwurf A")
    response = editor_client.get(LIST, headers={"HX-Request": "true"})
    assert 'id="results"' in response.text
    assert "<html" not in response.text


def test_it_lists_posts_in_few_queries(
    editor_client: Client, django_assert_max_num_queries
) -> None:
    channels = [FakeChannelFactory(), FakeChannelFactory()]
    for _ in range(15):
        make_post(channels)
    with django_assert_max_num_queries(16):
        response = editor_client.get(LIST)
    assert response.text.count('class="status-badge') >= 15


def test_it_hides_posts_on_channels_the_user_cannot_see(
    analyst_client: Client, admin_user
) -> None:
    hidden = FakeChannelFactory()
    hidden.users.add(admin_user)
    post = make_post([hidden], title="Geheimer Kanal")
    assert "Geheimer Kanal" not in analyst_client.get(LIST).text
    assert analyst_client.get(detail(post)).status_code == 404


def test_it_links_a_published_channel_to_the_network(analyst_client: Client) -> None:
    post = make_post([FakeChannelFactory(name="Polizei Mastodon")])
    published(post)
    response = analyst_client.get(detail(post))
    assert response.status_code == 200
    assert 'href="https://social.example/@polizei/1"' in response.text
    assert 'rel="noopener noreferrer"' in response.text
    assert "Published" in response.text


def test_it_shows_why_a_channel_failed_with_a_retry_button(
    editor_client: Client,
) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.FAILED)
    publication = PublicationFactory(
        variant=post.variants.get(),
        state=PublicationState.FAILED,
        error="Das Netzwerk lehnt Bilder über 5 MB ab.",
    )
    response = editor_client.get(detail(post))
    assert "Das Netzwerk lehnt Bilder über 5 MB ab." in response.text
    assert reverse("publishing:retry", args=[publication.pk]) in response.text


def test_it_shows_no_retry_button_to_analysts(analyst_client: Client) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.FAILED)
    publication = PublicationFactory(
        variant=post.variants.get(), state=PublicationState.FAILED, error="Fehler"
    )
    response = analyst_client.get(detail(post))
    assert reverse("publishing:retry", args=[publication.pk]) not in response.text


def test_it_never_links_to_a_script_address(analyst_client: Client) -> None:
    post = make_post([FakeChannelFactory()])
    published(post, url="javascript:alert(1)")
    response = analyst_client.get(detail(post))
    assert "javascript:alert" not in response.text


def test_it_retries_a_failed_publication(
    editor_client: Client, fake_network: FakeState
) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.FAILED)
    publication = PublicationFactory(
        variant=post.variants.get(), state=PublicationState.FAILED, error="Fehler"
    )
    response = editor_client.post(reverse("publishing:retry", args=[publication.pk]))
    assert response.status_code == 302
    assert response["Location"] == detail(post)
    publication.refresh_from_db()
    assert publication.state in {PublicationState.PENDING, PublicationState.PUBLISHED}
    assert AuditEvent.objects.filter(action="publishing.publication_retried").exists()


def test_it_refuses_a_retry_to_analysts(analyst_client: Client) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.FAILED)
    publication = PublicationFactory(
        variant=post.variants.get(), state=PublicationState.FAILED
    )
    url = reverse("publishing:retry", args=[publication.pk])
    assert analyst_client.post(url).status_code == 403


def test_it_asks_before_deleting_everywhere(editor_client: Client) -> None:
    post = make_post([FakeChannelFactory(name="Polizei Bluesky")])
    published(post)
    response = editor_client.get(reverse("publishing:delete", args=[post.pk]))
    assert response.status_code == 200
    assert "cannot be undone" in response.text
    assert "Polizei Bluesky" in response.text


def test_it_deletes_a_post_everywhere(
    client: Client, approver, fake_network: FakeState
) -> None:
    post = make_post([FakeChannelFactory()])
    publication = published(post)
    response = login_client(client, approver).post(
        reverse("publishing:delete", args=[post.pk]), follow=True
    )
    assert response.status_code == 200
    publication.refresh_from_db()
    assert publication.state == PublicationState.RETRACTED
    assert ("delete", "r-1") in fake_network.calls
    assert "Deleted" in response.text
    assert AuditEvent.objects.filter(
        action="publishing.post_deleted_everywhere"
    ).exists()


def test_it_says_when_deleting_is_not_allowed(
    editor_client: Client, fake_network: FakeState
) -> None:
    post = make_post([FakeChannelFactory()])
    publication = published(post)
    response = editor_client.post(
        reverse("publishing:delete", args=[post.pk]), follow=True
    )
    assert "Only approvers may change or delete a published post." in response.text
    publication.refresh_from_db()
    assert publication.state == PublicationState.PUBLISHED


def test_it_corrects_a_published_post_in_place(
    client: Client, approver, fake_network: FakeState
) -> None:
    channel = FakeChannelFactory()
    post = make_post([channel])
    published(post)
    url = reverse("publishing:edit_published", args=[post.pk])
    page = login_client(client, approver).get(url)
    assert "changed in place" in page.text
    response = client.post(url, {f"text_{channel.pk}": "Korrigiert: B27 frei."})
    assert response.status_code == 302
    assert ("edit", "r-1") in fake_network.calls
    assert post.variants.get().text == "Korrigiert: B27 frei."


def test_it_reposts_where_the_network_allows_no_edits(
    client: Client, approver, fake_network: FakeState
) -> None:
    channel = FakeChannelFactory(config={"no_edit": True})
    post = make_post([channel])
    published(post)
    url = reverse("publishing:edit_published", args=[post.pk])
    page = login_client(client, approver).get(url)
    assert "deleted and posted again" in page.text
    client.post(url, {f"text_{channel.pk}": "Korrigiert."})
    assert ("delete", "r-1") in fake_network.calls
    rows = post.variants.get().publications.order_by("id")
    assert rows.first().state == PublicationState.RETRACTED
    assert rows.count() == 2


def test_it_changes_nothing_when_no_text_changed(
    client: Client, approver, fake_network: FakeState
) -> None:
    channel = FakeChannelFactory()
    post = make_post([channel])
    published(post)
    url = reverse("publishing:edit_published", args=[post.pk])
    response = login_client(client, approver).post(
        url, {f"text_{channel.pk}": post.master_text}, follow=True
    )
    assert "Nothing was changed." in response.text
    assert fake_network.calls == []


def test_it_unschedules_a_post(editor_client: Client) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.APPROVED)
    services.schedule(
        post=post, actor=post.author, at=timezone.now() + timedelta(days=1)
    )
    response = editor_client.post(reverse("publishing:unschedule", args=[post.pk]))
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    assert not Publication.objects.filter(variant__post=post).exists()


def test_it_shows_blockers_with_an_override_form_to_approvers(
    client: Client, approver, monkeypatch: pytest.MonkeyPatch
) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.IN_REVIEW)
    monkeypatch.setattr(services, "findings", lambda post, links=False: [blocker()])
    response = login_client(client, approver).get(
        reverse("publishing:checks", args=[post.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Telefonnummer im Text" in response.text
    assert reverse("publishing:override", args=[post.pk]) in response.text


def test_it_shows_blockers_without_override_to_editors(
    editor_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.IN_REVIEW)
    monkeypatch.setattr(services, "findings", lambda post, links=False: [blocker()])
    response = editor_client.get(reverse("publishing:checks", args=[post.pk]))
    assert "<html" in response.text, "no full page without htmx"
    assert "Telefonnummer im Text" in response.text
    assert reverse("publishing:override", args=[post.pk]) not in response.text


def test_it_serves_an_attachment_to_the_team(
    analyst_client: Client, media_root: Any
) -> None:
    post = make_post([FakeChannelFactory()])
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    upload = SimpleUploadedFile("bild.png", buffer.getvalue(), "image/png")
    asset = services.add_media(
        post=post, actor=post.author, file=upload, alt_text="Rot"
    )
    response = analyst_client.get(reverse("publishing:media", args=[post.pk, asset.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == buffer.getvalue()


def test_it_marks_only_the_deepest_area_as_current(editor_client: Client) -> None:
    posts = editor_client.get(LIST).text
    assert f'<a href="{LIST}" aria-current="page">' in posts
    url = reverse("publishing:calendar")
    calendar = editor_client.get(url).text
    assert f'<a href="{LIST}" aria-current="page">' not in calendar
    assert f'<a href="{url}" aria-current="page">' in calendar


def test_it_schedules_an_approved_post_from_its_page(editor_client: Client) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.APPROVED)
    page = editor_client.get(detail(post))
    assert reverse("publishing:go_out", args=[post.pk]) in page.text
    later = timezone.localtime() + timedelta(days=1)
    response = editor_client.post(
        reverse("publishing:go_out", args=[post.pk]),
        {"action": "schedule", "scheduled_at": later.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert "The post is scheduled." in response.text
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED


def test_it_publishes_an_approved_post_now_from_its_page(
    editor_client: Client, fake_network: FakeState, django_capture_on_commit_callbacks
) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(
            reverse("publishing:go_out", args=[post.pk]), {"action": "publish"}
        )
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert len(fake_network.posts) == 1


def test_it_refuses_to_publish_a_draft_from_its_page(editor_client: Client) -> None:
    post = make_post([FakeChannelFactory()])
    assert reverse("publishing:go_out", args=[post.pk]) not in (
        editor_client.get(detail(post)).text
    )
    response = editor_client.post(
        reverse("publishing:go_out", args=[post.pk]), {"action": "publish"}, follow=True
    )
    assert "Only an approved post can be published." in response.text


@pytest.mark.parametrize("name", ["edit_published", "delete", "edit"])
def test_it_refuses_changes_to_analysts(analyst_client: Client, name: str) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.PUBLISHED)
    url = reverse(f"publishing:{name}", args=[post.pk])
    assert analyst_client.get(url).status_code == 403
    assert analyst_client.post(url).status_code == 403


def test_it_sends_anonymous_visitors_to_the_login(client: Client) -> None:
    post = make_post([FakeChannelFactory()])
    for url in (LIST, detail(post), reverse("publishing:review")):
        response = client.get(url)
        assert response.status_code == 302
        assert "/anmelden" in response["Location"]
