"""Background tasks of the inbox: polling every channel that is due."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from leitstelle.inbox import services
from leitstelle.networks.models import Channel


def claim_due_channels(now: datetime | None = None) -> list[int]:
    """Plan each due channel's next poll; return the ids this caller claimed.

    A channel is claimed by moving its `next_sync_at` from the value read to
    the next poll time; a second scheduler reading the same value finds the
    row changed and leaves it, so no channel is polled twice.
    """
    now = now or timezone.now()
    due = services.channels_due_for_poll(now).values_list(
        "pk", "next_sync_at", "sync_interval_seconds"
    )
    claimed = []
    for pk, planned, interval in due:
        rows = Channel.objects.filter(pk=pk)
        rows = (
            rows.filter(next_sync_at__isnull=True)
            if planned is None
            else rows.filter(next_sync_at=planned)
        )
        next_sync = now + timedelta(seconds=max(interval, 1))
        if rows.update(next_sync_at=next_sync) == 1:
            claimed.append(pk)
    return claimed


@db_periodic_task(crontab(minute="*"))
def schedule_polls() -> int:
    """Queue a poll for every channel that is due; return how many."""
    claimed = claim_due_channels()
    for channel_id in claimed:
        transaction.on_commit(lambda pk=channel_id: poll_channel_task(pk))
    return len(claimed)


@db_task()
def poll_channel_task(channel_id: int) -> int | None:
    """Poll one channel; return how many items were new, None if skipped."""
    result = services.poll_channel(channel_id=channel_id)
    return None if result is None else result.created


@db_task()
def deliver_reply_task(reply_id: int) -> str | None:
    """Send one queued reply; return its state, None if nothing was queued."""
    from leitstelle.inbox import replies

    reply = replies.deliver_reply(reply_id=reply_id)
    return None if reply is None else reply.status


@db_periodic_task(crontab(minute="*/15"))
def prune_presence() -> int:
    """Forget who had a thread open long ago; return how many rows went."""
    from leitstelle.inbox import presence

    return presence.prune()


@db_periodic_task(crontab(minute="43", hour="2"))
def purge_raw_payloads() -> int:
    """Blank raw payloads past their retention, nightly; return how many."""
    from leitstelle.inbox import retention

    return retention.purge_raw().total


@db_periodic_task(crontab(minute="*/5"))
def fail_stuck_replies() -> int:
    """Let replies whose sending never finished be tried again."""
    from leitstelle.inbox import replies

    return replies.fail_stuck_replies()
