"""Compose: the form, live variants and counters, media, and the actions."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from leitstelle.core.models import AuditEvent, Role
from leitstelle.networks.exercise.models import ExercisePost
from leitstelle.publishing import services
from leitstelle.publishing.models import (
    MediaKind,
    Post,
    PostStatus,
    PostType,
    PublicationState,
    PublishingSettings,
)
from tests.conftest import login_client
from tests.core.factories import UserFactory
from tests.publishing.factories import (
    FakeChannelFactory,
    exercise_channel,
    make_post,
)

pytestmark = pytest.mark.django_db
COMPOSE = reverse("publishing:compose")


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _media(media_root: Any) -> Any:
    return media_root


def edit_url(post: Post) -> str:
    return reverse("publishing:edit", args=[post.pk])


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Sperrung B27",
        "post_type": PostType.REPORT,
        "master_text": "Die B27 ist zwischen A und B gesperrt.",
        "labels": "Verkehr, Leipzig",
        "action": "save",
    }
    data.update(overrides)
    return data


def png(size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "navy").save(buffer, "PNG")
    return SimpleUploadedFile("foto.png", buffer.getvalue(), content_type="image/png")


def test_it_sends_anonymous_visitors_to_the_login(client: Client) -> None:
    response = client.get(COMPOSE)
    assert response.status_code == 302
    assert "/anmelden" in response["Location"]


def test_it_refuses_composing_to_community_managers(
    client: Client, community_manager
) -> None:
    response = login_client(client, community_manager).get(COMPOSE)
    assert response.status_code == 403


def test_it_offers_the_channels_the_editor_sees(editor_client: Client) -> None:
    FakeChannelFactory(name="Polizei Mastodon")
    response = editor_client.get(COMPOSE)
    assert response.status_code == 200
    assert "Polizei Mastodon" in response.text, "visible channel not offered"
    assert 'name="master_text"' in response.text
    assert 'type="datetime-local"' in response.text, "no time picker"


def test_it_saves_a_draft_with_derived_variants(editor_client: Client, editor) -> None:
    channel = FakeChannelFactory()
    response = editor_client.post(COMPOSE, form_data(channels=[channel.pk]))
    post = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == edit_url(post)
    assert post.author == editor
    assert post.status == PostStatus.DRAFT
    assert post.labels == ["Verkehr", "Leipzig"]
    variant = post.variants.get()
    assert variant.channel == channel
    assert variant.text == "Die B27 ist zwischen A und B gesperrt."
    assert not variant.customised
    assert AuditEvent.objects.filter(action="publishing.post_created").exists()


def test_it_keeps_line_breaks_as_plain_newlines(editor_client: Client) -> None:
    editor_client.post(COMPOSE, form_data(master_text="Zeile 1\r\nZeile 2"))
    assert Post.objects.get().master_text == "Zeile 1\nZeile 2"


def test_it_stores_an_adapted_variant(editor_client: Client) -> None:
    channel = FakeChannelFactory()
    master = "Die B27 ist zwischen A und B gesperrt."
    editor_client.post(
        COMPOSE,
        form_data(
            channels=[channel.pk],
            **{
                f"variant_{channel.pk}": "Kurz: B27 gesperrt.",
                f"derived_{channel.pk}": master,
            },
        ),
    )
    variant = Post.objects.get().variants.get()
    assert variant.text == "Kurz: B27 gesperrt."
    assert variant.customised


def test_it_leaves_an_untouched_variant_following_the_master_text(
    editor_client: Client,
) -> None:
    channel = FakeChannelFactory()
    post = make_post([channel], master_text="Alt.")
    response = editor_client.post(
        edit_url(post),
        form_data(
            master_text="Neu.",
            channels=[channel.pk],
            **{f"variant_{channel.pk}": "Alt.", f"derived_{channel.pk}": "Alt."},
        ),
    )
    assert response.status_code == 302
    variant = post.variants.get()
    assert variant.text == "Neu.", "untouched variant did not follow the master"
    assert not variant.customised


def test_it_splits_a_variant_into_a_thread_at_dashed_lines(
    editor_client: Client,
) -> None:
    channel = FakeChannelFactory(kind="bluesky")
    editor_client.post(
        COMPOSE,
        form_data(
            channels=[channel.pk],
            **{f"variant_{channel.pk}": "Erster Teil.\r\n---\r\nZweiter Teil."},
        ),
    )
    variant = Post.objects.get().variants.get()
    assert variant.parts == ["Erster Teil.", "Zweiter Teil."]


def test_it_never_splits_for_a_network_without_threads(editor_client: Client) -> None:
    channel = FakeChannelFactory(kind="telegram")
    editor_client.post(
        COMPOSE,
        form_data(
            channels=[channel.pk],
            **{f"variant_{channel.pk}": "Erster Teil.\n---\nZweiter Teil."},
        ),
    )
    variant = Post.objects.get().variants.get()
    assert variant.parts == []
    assert variant.text == "Erster Teil.\n---\nZweiter Teil."


def test_it_attaches_an_image_with_its_alt_text(editor_client: Client) -> None:
    response = editor_client.post(
        COMPOSE,
        form_data(media_file=png(), alt_text="Gesperrte Straße mit Absperrgitter"),
    )
    assert response.status_code == 302
    asset = Post.objects.get().media.get()
    assert asset.kind == MediaKind.IMAGE
    assert asset.alt_text == "Gesperrte Straße mit Absperrgitter"
    assert (asset.width, asset.height) == (40, 30)


def test_it_marks_an_image_without_alt_text(editor_client: Client) -> None:
    editor_client.post(COMPOSE, form_data(media_file=png()))
    post = Post.objects.get()
    response = editor_client.get(edit_url(post))
    assert "Alt text is missing" in response.text
    assert 'aria-invalid="true"' in response.text


def test_it_changes_the_alt_text_of_an_attached_image(editor_client: Client) -> None:
    editor_client.post(COMPOSE, form_data(media_file=png()))
    post = Post.objects.get()
    asset = post.media.get()
    editor_client.post(
        edit_url(post), form_data(**{f"alt_{asset.pk}": "Blaues Rechteck"})
    )
    asset.refresh_from_db()
    assert asset.alt_text == "Blaues Rechteck"


def test_it_removes_an_attached_image(editor_client: Client) -> None:
    editor_client.post(COMPOSE, form_data(media_file=png()))
    post = Post.objects.get()
    asset = post.media.get()
    url = reverse("publishing:remove_media", args=[post.pk, asset.pk])
    response = editor_client.post(url)
    assert response.status_code == 302
    assert not post.media.exists()


def test_it_refuses_captions_without_a_video(editor_client: Client) -> None:
    captions = SimpleUploadedFile(
        "untertitel.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\nHallo\n", "text/vtt"
    )
    response = editor_client.post(COMPOSE, form_data(captions_file=captions))
    assert response.status_code == 400
    assert "Captions belong to a video" in response.text
    assert not Post.objects.exists()


def test_it_attaches_captions_to_a_video(editor_client: Client) -> None:
    video = SimpleUploadedFile("clip.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    captions = SimpleUploadedFile(
        "clip.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\nHallo\n", "text/vtt"
    )
    editor_client.post(COMPOSE, form_data(media_file=video, captions_file=captions))
    post = Post.objects.get()
    video_asset = post.media.get(kind=MediaKind.VIDEO)
    assert video_asset.captions.get().kind == MediaKind.CAPTIONS


def test_it_rerenders_an_invalid_form_with_the_typed_variants(
    editor_client: Client,
) -> None:
    channel = FakeChannelFactory()
    response = editor_client.post(
        COMPOSE,
        form_data(
            post_type="unknown",
            channels=[channel.pk],
            **{f"variant_{channel.pk}": "Mein eigener Text"},
        ),
    )
    assert response.status_code == 400
    assert "Mein eigener Text" in response.text, "typed variant lost"
    assert not Post.objects.exists()


def test_it_submits_a_post_for_review(editor_client: Client) -> None:
    channel = FakeChannelFactory()
    response = editor_client.post(
        COMPOSE, form_data(channels=[channel.pk], action="submit")
    )
    post = Post.objects.get()
    assert response["Location"] == post.get_absolute_url()
    assert post.status == PostStatus.IN_REVIEW


def test_it_says_why_a_submission_is_refused(editor_client: Client) -> None:
    response = editor_client.post(COMPOSE, form_data(action="submit"), follow=True)
    assert "Choose at least one channel first." in response.text
    assert Post.objects.get().status == PostStatus.DRAFT


def test_it_remembers_the_time_in_german_time(editor_client: Client) -> None:
    channel = FakeChannelFactory()
    later = timezone.localtime() + timedelta(days=3)
    local = later.strftime("%Y-%m-%dT%H:%M")
    editor_client.post(
        COMPOSE,
        form_data(channels=[channel.pk], action="submit", scheduled_at=local),
    )
    post = Post.objects.get()
    assert post.status == PostStatus.IN_REVIEW
    assert timezone.localtime(post.scheduled_at).strftime("%Y-%m-%dT%H:%M") == local


def test_it_reads_the_hour_after_the_spring_change_in_german_time(
    editor_client: Client,
) -> None:
    editor_client.post(COMPOSE, form_data(scheduled_at="2027-03-28T03:30"))
    post = Post.objects.get()
    # Summer time has begun at 02:00: 03:30 CEST is 01:30 UTC.
    assert post.scheduled_at == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def test_it_refuses_a_time_in_the_past(editor_client: Client) -> None:
    response = editor_client.post(
        COMPOSE, form_data(scheduled_at="2020-01-01T10:00"), follow=True
    )
    assert "This time lies in the past" in response.text
    assert Post.objects.get().scheduled_at is None


def test_it_publishes_at_once_when_no_approval_is_needed(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    rules = PublishingSettings.current()
    rules.approvals_required = {PostType.WARNING: 0}
    rules.save()
    editor = UserFactory(role=Role.EDITOR)
    channel = exercise_channel()
    with django_capture_on_commit_callbacks(execute=True):
        login_client(client, editor).post(
            COMPOSE,
            form_data(
                post_type=PostType.WARNING,
                master_text="Unwetterwarnung für Leipzig.",
                channels=[channel.pk],
                action="publish",
            ),
        )
    post = Post.objects.get()
    assert post.status == PostStatus.PUBLISHED, post.status
    publication = post.variants.get().publications.get()
    assert publication.state == PublicationState.PUBLISHED
    assert ExercisePost.objects.filter(text="Unwetterwarnung für Leipzig.").count() == 1


def test_it_offers_no_publish_button_when_approval_is_needed(
    editor_client: Client,
) -> None:
    post = make_post([FakeChannelFactory()])
    response = editor_client.get(edit_url(post))
    assert 'value="publish"' not in response.text
    assert 'value="submit"' in response.text


def test_it_warns_that_editing_an_approved_post_sends_it_back(
    editor_client: Client,
) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.APPROVED)
    response = editor_client.get(edit_url(post))
    assert "sends it back to review" in response.text
    editor_client.post(edit_url(post), form_data(master_text="Geändert."))
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_it_sends_a_published_post_to_the_correction_page(
    editor_client: Client,
) -> None:
    post = make_post([FakeChannelFactory()], status=PostStatus.PUBLISHED)
    response = editor_client.get(edit_url(post))
    assert response["Location"] == reverse("publishing:edit_published", args=[post.pk])


def test_it_hides_posts_on_channels_the_editor_cannot_see(
    editor_client: Client, admin_user
) -> None:
    hidden = FakeChannelFactory()
    hidden.users.add(admin_user)
    post = make_post([hidden])
    assert editor_client.get(edit_url(post)).status_code == 404


# --- htmx -------------------------------------------------------------------


def htmx_post(client: Client, url: str, data: dict[str, Any]):
    return client.post(url, data, headers={"HX-Request": "true"})


def test_it_rederives_following_variants_when_the_master_text_changes(
    editor_client: Client,
) -> None:
    follows, adapted = FakeChannelFactory(), FakeChannelFactory()
    response = htmx_post(
        editor_client,
        reverse("publishing:preview"),
        {
            "master_text": "Neuer Text",
            "channels": [follows.pk, adapted.pk],
            f"variant_{follows.pk}": "Alter Text",
            f"derived_{follows.pk}": "Alter Text",
            f"variant_{adapted.pk}": "Eigene Fassung",
            f"derived_{adapted.pk}": "",
        },
    )
    assert response.status_code == 200
    assert 'id="variants"' in response.text
    assert "<html" not in response.text, "full page instead of the partial"
    assert "Neuer Text</textarea>" in response.text
    assert "Eigene Fassung</textarea>" in response.text
    assert "Alter Text" not in response.text


def test_it_counts_with_each_networks_rules(editor_client: Client) -> None:
    x = FakeChannelFactory(kind="x")
    text = "https://polizei.sachsen.de/de/aktuelles/ein-sehr-langer-pfad " + "a" * 10
    response = htmx_post(
        editor_client,
        reverse("publishing:meter"),
        {"channels": [x.pk], "channel": x.pk, f"variant_{x.pk}": text},
    )
    # X counts every URL as 23: 23 + 1 + 10.
    assert "34 of 280 characters" in response.text


def test_it_marks_over_length_and_offers_a_thread(editor_client: Client) -> None:
    bluesky = FakeChannelFactory(kind="bluesky")
    text = "Ein Satz über die Lage. " * 20
    response = htmx_post(
        editor_client,
        reverse("publishing:meter"),
        {
            "channels": [bluesky.pk],
            "channel": bluesky.pk,
            f"variant_{bluesky.pk}": text,
        },
    )
    assert "meter-over" in response.text
    assert "too many" in response.text
    assert "Split into a thread" in response.text


def test_it_asks_to_shorten_where_the_network_has_no_threads(
    editor_client: Client,
) -> None:
    telegram = FakeChannelFactory(kind="telegram")
    text = "x" * 5000
    response = htmx_post(
        editor_client,
        reverse("publishing:meter"),
        {
            "channels": [telegram.pk],
            "channel": telegram.pk,
            f"variant_{telegram.pk}": text,
        },
    )
    assert "904 too many" in response.text
    assert "Split into a thread" not in response.text
    assert "Nothing is cut off automatically" in response.text


def test_it_splits_an_over_long_variant_into_numbered_parts(
    editor_client: Client,
) -> None:
    bluesky = FakeChannelFactory(kind="bluesky")
    text = "Ein Satz über die Lage in der Stadt. " * 15
    response = htmx_post(
        editor_client,
        reverse("publishing:split"),
        {
            "channels": [bluesky.pk],
            "channel": bluesky.pk,
            f"variant_{bluesky.pk}": text,
        },
    )
    assert response.status_code == 200
    assert "(1/3)" in response.text and "(3/3)" in response.text
    assert "\n---\n" in response.text
    assert "meter-over" not in response.text, "a part is still too long"


def test_it_ignores_counters_for_channels_not_chosen(editor_client: Client) -> None:
    channel = FakeChannelFactory()
    response = htmx_post(
        editor_client,
        reverse("publishing:meter"),
        {"channel": channel.pk, f"variant_{channel.pk}": "Text"},
    )
    assert response.status_code == 204


def test_it_lets_the_caption_limit_count_when_media_is_attached(
    editor_client: Client,
) -> None:
    telegram = FakeChannelFactory(kind="telegram")
    post = make_post([telegram])
    services.add_media(post=post, actor=post.author, file=png(), alt_text="Bild")
    response = htmx_post(
        editor_client,
        reverse("publishing:meter"),
        {
            "post": post.pk,
            "channels": [telegram.pk],
            "channel": telegram.pk,
            f"variant_{telegram.pk}": "Text",
        },
    )
    assert "4 of 1024 characters" in response.text


# --- in the browser -----------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_composes_with_live_counters_in_the_browser(
    page: Any, live_server: Any, tmp_path: Any
) -> None:
    """Counters follow the typing; the image keeps its alt text; no axe errors."""
    from tests.core.factories import PASSWORD
    from tests.core.test_accessibility import violations

    UserFactory(username="redaktion", role=Role.EDITOR)
    channel = exercise_channel()
    image = tmp_path / "foto.png"
    Image.new("RGB", (60, 40), "navy").save(image)
    page.goto(f"{live_server.url}/anmelden/?next={COMPOSE}")
    page.locator("input[name=username]").fill("redaktion")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}{COMPOSE}")

    page.locator("#id_master_text").fill("Die B27 ist gesperrt.")
    page.get_by_label(str(channel.name), exact=False).check()
    meter = page.locator(f"#meter-{channel.pk}")
    meter.get_by_text("21 of 500").wait_for()
    page.locator(f"#id_variant_{channel.pk}").fill("B27 gesperrt.")
    meter.get_by_text("13 of 500").wait_for()
    page.locator("#id_media_file").set_input_files(str(image))
    page.locator("#id_alt_text").fill("Absperrung auf der B27")
    assert violations(page) == []
    page.locator("button[value=submit]").click()

    page.wait_for_url(f"{live_server.url}/beitraege/*/")
    post = Post.objects.get()
    assert post.status == PostStatus.IN_REVIEW
    assert post.media.get().alt_text == "Absperrung auf der B27"
    variant = post.variants.get()
    assert (variant.text, variant.customised) == ("B27 gesperrt.", True)
    page.locator("#checks h2").wait_for()
    assert violations(page) == []
    for path in (reverse("publishing:list"), reverse("publishing:review")):
        page.goto(f"{live_server.url}{path}")
        assert violations(page) == []


def test_it_starts_a_new_campaign_from_the_form(editor_client: Client) -> None:
    editor_client.post(COMPOSE, form_data(new_campaign="  Sicher  im Herbst "))
    post = Post.objects.get()
    assert post.campaign is not None
    assert post.campaign.name == "Sicher im Herbst"
    assert AuditEvent.objects.filter(action="publishing.campaign_created").exists()


def test_it_lets_an_adapted_variant_follow_the_master_text_again(
    editor_client: Client,
) -> None:
    channel = FakeChannelFactory()
    post = make_post([channel], master_text="Haupttext.")
    services.set_variant_text(
        variant=post.variants.get(), actor=post.author, text="Eigener Text."
    )
    page = editor_client.get(edit_url(post))
    assert f'name="reset_{channel.pk}"' in page.text
    editor_client.post(
        edit_url(post),
        form_data(
            master_text="Haupttext.",
            channels=[channel.pk],
            **{f"variant_{channel.pk}": "Eigener Text.", f"reset_{channel.pk}": "1"},
        ),
    )
    variant = post.variants.get()
    assert (variant.text, variant.customised) == ("Haupttext.", False)


def test_it_schedules_an_approved_post(editor_client: Client) -> None:
    channel = FakeChannelFactory()
    post = make_post([channel], status=PostStatus.APPROVED)
    page = editor_client.get(edit_url(post))
    assert 'value="schedule"' in page.text
    later = timezone.localtime() + timedelta(days=2)
    response = editor_client.post(
        edit_url(post),
        form_data(
            title=post.title,
            master_text=post.master_text,
            channels=[channel.pk],
            action="schedule",
            scheduled_at=later.strftime("%Y-%m-%dT%H:%M"),
        ),
        follow=True,
    )
    assert "The post is scheduled." in response.text
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    publication = post.variants.get().publications.get()
    assert publication.state == PublicationState.PENDING
    assert abs(publication.due_at - later) < timedelta(minutes=1)


def test_it_needs_a_time_to_schedule(editor_client: Client) -> None:
    channel = FakeChannelFactory()
    post = make_post([channel], status=PostStatus.APPROVED)
    response = editor_client.post(
        edit_url(post),
        form_data(
            title=post.title,
            master_text=post.master_text,
            channels=[channel.pk],
            action="schedule",
        ),
        follow=True,
    )
    assert "Choose when the post should go out." in response.text
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED


def test_it_keeps_channels_the_editor_cannot_see(
    editor_client: Client, admin_user
) -> None:
    visible, hidden = FakeChannelFactory(), FakeChannelFactory()
    hidden.users.add(admin_user)
    post = make_post([visible, hidden])
    page = editor_client.get(edit_url(post))
    assert hidden.name not in page.text
    editor_client.post(
        edit_url(post), form_data(master_text="Neu.", channels=[visible.pk])
    )
    assert set(post.variants.values_list("channel_id", flat=True)) == {
        visible.pk,
        hidden.pk,
    }


def test_it_adds_captions_to_an_attached_video(editor_client: Client) -> None:
    video = SimpleUploadedFile("clip.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    editor_client.post(COMPOSE, form_data(media_file=video))
    post = Post.objects.get()
    asset = post.media.get()
    page = editor_client.get(edit_url(post))
    assert f'name="captions_{asset.pk}"' in page.text
    captions = SimpleUploadedFile(
        "clip.srt", b"1\n00:00:00,000 --> 00:00:01,000\nHallo\n", "application/x-subrip"
    )
    editor_client.post(edit_url(post), form_data(**{f"captions_{asset.pk}": captions}))
    assert asset.captions.get().original_name == "clip.srt"


@pytest.mark.parametrize("name", ["preview", "meter", "split"])
def test_it_refuses_live_requests_to_analysts(
    analyst_client: Client, name: str
) -> None:
    response = htmx_post(analyst_client, reverse(f"publishing:{name}"), {})
    assert response.status_code == 403
