"""The queue: what goes out next on each channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe
from django_htmx.middleware import HtmxDetails

from leitstelle.core.permissions import Perm, require_perm
from leitstelle.networks.models import Channel
from leitstelle.publishing.models import Publication
from leitstelle.publishing.states import PublicationState

QUEUE = "publishing/queue.html"
# Publications shown per channel; the rest is counted.
PER_CHANNEL = 10
WAITING = (PublicationState.PENDING, PublicationState.SENDING)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@dataclass(frozen=True)
class ChannelQueue:
    channel: Channel
    publications: list[Publication]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.publications)


def next_out(channels: list[Channel]) -> dict[int, list[Publication]]:
    """Return the first PER_CHANNEL waiting publications of each channel."""
    ranked = (
        Publication.objects.filter(state__in=WAITING, channel__in=channels)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("channel_id")],
                order_by=[F("due_at").asc(), F("id").asc()],
            )
        )
        .filter(rank__lte=PER_CHANNEL)
        .select_related("variant__post")
        .order_by("channel_id", "due_at", "id")
    )
    by_channel: dict[int, list[Publication]] = {}
    for publication in ranked:
        by_channel.setdefault(publication.channel_id, []).append(publication)
    return by_channel


def queues_for(user: Any) -> list[ChannelQueue]:
    """Return every channel `user` sees with what waits on it, busiest first."""
    channels = list(Channel.objects.visible_to(user).order_by("kind", "name"))
    totals = dict(
        Publication.objects.filter(state__in=WAITING, channel__in=channels)
        .values_list("channel_id")
        .annotate(total=Count("id"))
        .order_by()
    )
    waiting = next_out(channels)
    queues = [
        ChannelQueue(channel, waiting.get(channel.pk, []), totals.get(channel.pk, 0))
        for channel in channels
    ]
    return sorted(queues, key=lambda queue: queue.total == 0)


@require_safe
@require_perm(Perm.VIEW_POSTS)
def queue(request: HtmxHttpRequest) -> HttpResponse:
    context = {"queues": queues_for(request.user), "now": timezone.now()}
    # A history restore (back button after htmx's cache missed) needs the page.
    htmx = request.htmx
    partial = htmx and not htmx.boosted and not htmx.history_restore_request
    response = render(request, f"{QUEUE}#queue" if partial else QUEUE, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
