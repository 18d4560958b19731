"""Inbox workflows other apps and tasks call: polling a channel, deletions.

Network calls happen outside database transactions (a slow network must
not hold the write lock); each fetched page is stored in its own
transaction together with the channel's cursor (see `ingest.ingest_page`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from leitstelle.core.audit import record_event
from leitstelle.core.models import User
from leitstelle.inbox.ingest import IngestResult, ingest_page
from leitstelle.inbox.models import Interaction, InternalNote
from leitstelle.networks.base import ConnectorError
from leitstelle.networks.models import Channel, ChannelStatus
from leitstelle.networks.services import record_channel_error

logger = logging.getLogger(__name__)

# At most this many pages per poll; the rest waits for the next run.
MAX_PAGES_PER_POLL = 10
POLLABLE = (ChannelStatus.ACTIVE, ChannelStatus.FAILING, ChannelStatus.RATE_LIMITED)


def may_poll(channel: Channel, now: datetime | None = None) -> bool:
    """Return whether the inbox may call `channel`'s network now."""
    if channel.status not in POLLABLE or not channel.connector.capabilities.inbox:
        return False
    if (channel.config or {}).get("webhook_only"):  # see inbox.webhooks.register
        return False
    until = channel.rate_limited_until
    return until is None or until <= (now or timezone.now())


def channels_due_for_poll(now: datetime | None = None) -> QuerySet[Channel]:
    """Channels whose next poll is due (or was never planned)."""
    now = now or timezone.now()
    return (
        Channel.objects.filter(status__in=POLLABLE)
        .filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now))
        .filter(Q(rate_limited_until__isnull=True) | Q(rate_limited_until__lte=now))
    )


def poll_channel(
    *, channel_id: int, max_pages: int = MAX_PAGES_PER_POLL
) -> IngestResult | None:
    """Fetch and store new interactions of one channel; None when skipped.

    A network error is recorded on the channel (its cursor stays where it
    was) and ends this poll; so does any unexpected error, which is logged.
    """
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None or not may_poll(channel):
        return None
    total = IngestResult()
    for _page in range(max_pages):
        try:
            page = channel.connector.fetch_interactions(dict(channel.cursor or {}))
            total += ingest_page(channel=channel, page=page)
        except ConnectorError as exc:
            record_channel_error(channel=channel, error=exc)
            break
        except Exception as exc:
            logger.exception("Polling channel %s failed", channel.pk)
            error = ConnectorError(
                _("Fetching the inbox failed unexpectedly (%(error)s).")
                % {"error": type(exc).__name__}
            )
            record_channel_error(channel=channel, error=error)
            break
        if not page.has_more:
            break
    return total


def mark_deleted_on_network(*, channel: Channel, remote_ids: Iterable[str]) -> int:
    """Mark items the network no longer has; they are kept, not removed."""
    return Interaction.objects.filter(
        channel=channel,
        remote_id__in=list(remote_ids),
        deleted_on_network_at__isnull=True,
    ).update(deleted_on_network_at=timezone.now(), updated_at=timezone.now())


@transaction.atomic
def add_note(
    *,
    interaction: Interaction,
    author: User,
    text: str,
    request: HttpRequest | None = None,
) -> InternalNote:
    """Add an internal note to an item; notes are never sent to the network."""
    note = InternalNote.objects.create(
        interaction=interaction, author=author, text=text
    )
    record_event(
        action="inbox.note_added",
        actor=author,
        target=interaction,
        details={"note": note.pk},
        request=request,
    )
    return note
