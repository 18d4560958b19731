"""The queue: what goes out next on each channel."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse_lazy
from django.utils import timezone, translation

from leitstelle.networks.models import Channel, ChannelStatus
from leitstelle.publishing.models import Post, Publication, Variant
from leitstelle.publishing.states import PostStatus, PublicationState
from leitstelle.publishing.views.queue import PER_CHANNEL
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db

QUEUE_URL = reverse_lazy("publishing:queue")


@pytest.fixture(autouse=True)
def english(settings: Any) -> Iterator[None]:
    """Assert the source strings, whatever the German catalog says."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def make_channel(name: str, **fields: Any) -> Channel:
    return Channel.objects.create(kind="exercise", name=name, remote_id=name, **fields)


def waiting(
    channel: Channel,
    title: str,
    *,
    in_minutes: int = 60,
    state: str = PublicationState.PENDING,
    **fields: Any,
) -> Publication:
    due = timezone.now() + timedelta(minutes=in_minutes)
    post = Post.objects.create(
        title=title, status=PostStatus.SCHEDULED, scheduled_at=due
    )
    variant = Variant.objects.create(post=post, channel=channel, text=title)
    return Publication.objects.create(
        variant=variant,
        channel=channel,
        due_at=due,
        next_attempt_at=fields.pop("next_attempt_at", due),
        state=state,
        **fields,
    )


def test_it_lists_what_goes_out_next_per_channel_in_order(editor_client):
    mastodon = make_channel("Polizei Mastodon")
    bluesky = make_channel("Polizei Bluesky")
    waiting(mastodon, "Später", in_minutes=120)
    waiting(mastodon, "Gleich", in_minutes=5)
    waiting(bluesky, "Auf Bluesky", in_minutes=30)

    response = editor_client.get(QUEUE_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Gleich") < html.index("Später")
    mastodon_part = html[html.index("Polizei Mastodon") :]
    assert "Auf Bluesky" not in mastodon_part[: mastodon_part.index("</section>")]
    assert "2 waiting" in html


def test_it_leaves_out_what_has_gone_out_or_failed(editor_client):
    channel = make_channel("Polizei Mastodon")
    waiting(channel, "Schon draußen", state=PublicationState.PUBLISHED)
    waiting(channel, "Gescheitert", state=PublicationState.FAILED)
    waiting(channel, "Gelöscht", state=PublicationState.RETRACTED)

    html = editor_client.get(QUEUE_URL).content.decode()

    assert "Schon draußen" not in html
    assert "Gescheitert" not in html
    assert "Gelöscht" not in html
    assert "Nothing waiting." in html


def test_it_shows_sending_and_retries_with_the_reason(editor_client):
    channel = make_channel("Polizei Mastodon")
    waiting(channel, "Unterwegs", in_minutes=-1, state=PublicationState.SENDING)
    retry_at = timezone.now() + timedelta(minutes=7)
    waiting(
        channel,
        "Nochmal",
        in_minutes=-3,
        attempts=2,
        next_attempt_at=retry_at,
        error="Das Netzwerk ist gerade nicht erreichbar.",
    )

    html = editor_client.get(QUEUE_URL).content.decode()

    assert "Sending" in html
    local = timezone.localtime(retry_at).strftime("%H:%M")
    assert f"Retry at {local}" in html
    assert "Das Netzwerk ist gerade nicht erreichbar." in html


def test_it_shows_a_few_per_channel_and_counts_the_rest(editor_client):
    channel = make_channel("Polizei Mastodon")
    for n in range(PER_CHANNEL + 3):
        waiting(channel, f"Beitrag {n:02d}", in_minutes=10 + n)

    html = editor_client.get(QUEUE_URL).content.decode()

    assert f"Beitrag {PER_CHANNEL - 1:02d}" in html
    assert f"Beitrag {PER_CHANNEL:02d}" not in html
    assert "and 3 more" in html
    assert f"{PER_CHANNEL + 3} waiting" in html


def test_it_warns_when_a_channel_cannot_send(editor_client):
    channel = make_channel("Polizei X", status=ChannelStatus.NEEDS_REAUTH)
    waiting(channel, "Wartet auf Anmeldung")

    html = editor_client.get(QUEUE_URL).content.decode()

    assert "This channel is not sending right now: Needs re-authorisation." in html


def test_it_hides_channels_the_user_cannot_see(editor_client):
    hidden = make_channel("Verdeckt")
    hidden.users.add(UserFactory(username="someone-else"))
    waiting(hidden, "Geheim")

    html = editor_client.get(QUEUE_URL).content.decode()

    assert "Verdeckt" not in html
    assert "Geheim" not in html


def test_it_escapes_titles_and_reasons(editor_client):
    channel = make_channel("Polizei Mastodon")
    waiting(channel, "<i>Titel</i>", attempts=1, error="<script>x</script>")

    html = editor_client.get(QUEUE_URL).content.decode()

    assert "<i>Titel</i>" not in html
    assert "<script>x</script>" not in html
    assert "&lt;i&gt;Titel&lt;/i&gt;" in html


def test_it_refreshes_itself_with_the_queue_only(editor_client):
    waiting(make_channel("Polizei Mastodon"), "Gleich")

    page = editor_client.get(QUEUE_URL).content.decode()
    partial = editor_client.get(QUEUE_URL, headers={"HX-Request": "true"})

    assert 'hx-trigger="every 30s"' in page
    html = partial.content.decode()
    assert html.lstrip().startswith('<div id="queue"')
    assert "<html" not in html
    assert "Gleich" in html


def test_it_says_when_there_are_no_channels(editor_client):
    html = editor_client.get(QUEUE_URL).content.decode()

    assert "Nothing can go out before a channel is connected." in html


def test_it_asks_anonymous_visitors_to_log_in(client):
    response = client.get(QUEUE_URL)

    assert response.status_code == 302


def test_it_shows_the_queue_to_analysts(analyst_client):
    waiting(make_channel("Polizei Mastodon"), "Gleich")

    assert "Gleich" in analyst_client.get(QUEUE_URL).content.decode()


def test_it_needs_the_same_queries_for_many_channels(
    editor_client, django_assert_max_num_queries
):
    for n in range(8):
        channel = make_channel(f"Kanal {n}")
        for m in range(PER_CHANNEL + 2):
            waiting(channel, f"Beitrag {n}-{m}", in_minutes=m + 1)

    # The page shell needs about 11; the queue itself 3, whatever the count.
    with django_assert_max_num_queries(15):
        response = editor_client.get(QUEUE_URL)

    assert response.content.decode().count('class="queue-item"') == 8 * PER_CHANNEL
