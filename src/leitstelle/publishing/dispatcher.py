"""The dispatcher: sends due publications, never losing one, never twice.

One round (`dispatch_due`) repeats two steps until nothing is due:

1. `claim`: in one short transaction, take a few due rows under a row lock
   (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so competing workers
   take different rows; SQLite serialises writers with IMMEDIATE
   transactions) and mark them `sending` with this round's claim token.
   Rows stuck in `sending` longer than `LEASE` (the worker died mid-call) are
   claimed again, flagged `outcome_unknown`.
2. `send`: outside any transaction, call the channel's connector with the
   row's idempotency key. When the outcome of an earlier try is unknown
   (timeout, server error, worker died), first ask the network whether it has
   the post (`find_published`) and only send when it has not. The remote id
   is recorded in the same transaction that marks the row `published`, and
   only while the row still carries this round's claim token.

Transient errors (rate limits, timeouts, server errors) put the row back to
`pending` with exponential backoff and jitter, at least as long as the
network's Retry-After; after `MAX_ATTEMPTS` tries, or on a permanent error
(rejected content, expired access), the row fails with a plain reason.

A variant split into a thread goes out part by part, each part with its own
key (`<key>` for the first, `<key>.<n>` for the next) and replying to the
previous part; the parts already out are kept in `remote_ids`, so a retry
continues where the last try stopped.
"""

from __future__ import annotations

import inspect
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from leitstelle.core.audit import record_event
from leitstelle.networks.base import (
    Connector,
    ConnectorError,
    Media,
    OutgoingPost,
    RateLimited,
    RemotePost,
)
from leitstelle.networks.models import Channel, ChannelStatus
from leitstelle.publishing.models import (
    MediaAsset,
    MediaKind,
    Post,
    PostStatus,
    Publication,
    PublicationState,
    Variant,
)

logger = logging.getLogger(__name__)

# A row in `sending` longer than this belongs to a worker that died: it is
# taken again (asking the network first). Far longer than a connector call
# (20 s per request), long enough for a video upload that takes minutes.
LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 10
BASE_DELAY = 15.0  # seconds before the first retry
MAX_DELAY = 3600.0
BATCH = 10  # rows per claim: small, so that competing workers share the work
ROUND_SECONDS = 50.0  # one round stops taking new rows after this long


@dataclass
class DispatchReport:
    claimed: int = 0
    published: int = 0
    failed: int = 0
    retried: int = 0
    lost: int = 0  # claimed again by another worker meanwhile
    outcomes: list[str] = field(default_factory=list)

    def add(self, outcome: str) -> None:
        self.outcomes.append(outcome)
        if outcome == "published":
            self.published += 1
        elif outcome == "failed":
            self.failed += 1
        elif outcome == "retry":
            self.retried += 1
        else:
            self.lost += 1


def connector_for(channel: Channel) -> Connector:
    """Return the connector for `channel` (tests replace this)."""
    return channel.connector


def backoff(attempts: int, *, retry_after: float | None = None) -> float:
    """Seconds to wait before try `attempts + 1`: exponential, with jitter."""
    delay = min(MAX_DELAY, BASE_DELAY * 2 ** max(0, attempts - 1))
    delay = delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 - jitter only
    return max(delay, float(retry_after or 0))


def part_key(key: str, index: int) -> str:
    return key if index == 0 else f"{key}.{index}"


# --- claiming -----------------------------------------------------------------


def _locked(queryset: Any) -> Any:
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset  # SQLite: the IMMEDIATE transaction holds the write lock


def claim(
    *, now: datetime | None = None, limit: int = BATCH, lease: timedelta = LEASE
) -> tuple[str, list[int]]:
    """Mark up to `limit` due rows `sending` for this caller; return (token, ids)."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    with transaction.atomic():
        due = _locked(
            Publication.objects.filter(
                state=PublicationState.PENDING, next_attempt_at__lte=now
            ).order_by("next_attempt_at", "id")
        )
        ids = list(due.values_list("pk", flat=True)[:limit])
        if len(ids) < limit:
            stale = _locked(
                Publication.objects.filter(
                    state=PublicationState.SENDING, sending_since__lt=now - lease
                ).order_by("sending_since", "id")
            )
            ids += list(stale.values_list("pk", flat=True)[: limit - len(ids)])
        if ids:
            Publication.objects.filter(pk__in=ids).update(
                outcome_unknown=Case(
                    When(state=PublicationState.SENDING, then=Value(True)),
                    default=F("outcome_unknown"),
                ),
                state=PublicationState.SENDING,
                sending_since=now,
                claim_token=token,
                attempts=F("attempts") + 1,
            )
    return token, ids


# --- sending ------------------------------------------------------------------


def media_for(variant: Variant) -> tuple[Media, ...]:
    """Prepare the post's images and video for the variant's network."""
    from leitstelle.publishing.media import prepare_for

    connector = variant.channel.connector
    rules = connector.media_rules
    return tuple(
        prepare_for(asset, rules, network=connector.label)
        for asset in variant.post.media.all()
        if asset.kind != MediaKind.CAPTIONS
    )


@cache
def _find_takes_post(kind: type[Connector]) -> bool:
    parameters = inspect.signature(kind.find_published).parameters
    return "post" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def find(connector: Connector, key: str, post: OutgoingPost) -> RemotePost | None:
    """Ask the network whether it already has the post with `key`."""
    if _find_takes_post(type(connector)):
        return connector.find_published(key, post=post)
    return connector.find_published(key)


class _Lost(Exception):
    """Another worker took the row over (our lease ran out)."""


def _save_progress(row: Publication, token: str, done: list[str]) -> None:
    with transaction.atomic():
        updated = Publication.objects.filter(
            pk=row.pk, claim_token=token, state=PublicationState.SENDING
        ).update(remote_ids=done, remote_id=done[0])
    if not updated:
        raise _Lost


def send(
    publication_id: int,
    token: str,
    *,
    now: datetime | None = None,
    call: Callable[[Callable[[], Any]], Any] | None = None,
) -> str:
    """Send one claimed row; return "published", "retry", "failed" or "lost".

    `call` wraps every network call (the benchmark times them).
    """
    now = now or timezone.now()
    call = call or (lambda fn: fn())
    media_files = MediaAsset.objects.filter(post_id=OuterRef("variant__post_id"))
    try:
        row = (
            Publication.objects.select_related("variant", "channel")
            .annotate(
                has_media=Exists(media_files.exclude(kind=MediaKind.CAPTIONS)),
                post_status=F("variant__post__status"),
            )
            .get(pk=publication_id, claim_token=token, state=PublicationState.SENDING)
        )
    except Publication.DoesNotExist:
        return "lost"
    wait_until = row.channel.rate_limited_until
    if (
        row.channel.status == ChannelStatus.RATE_LIMITED
        and wait_until
        and (wait_until > now)
    ):
        return _wait_for_channel(row, token, wait_until)
    variant = row.variant
    texts = variant.texts
    done = [str(i) for i in row.remote_ids]
    url = row.url
    connector = connector_for(row.channel)
    try:
        media: tuple[Media, ...] | None = None
        for index in range(len(done), len(texts)):
            key = part_key(row.idempotency_key, index)
            reply_to = done[-1] if done else None
            post = OutgoingPost(
                text=texts[index], reply_to=reply_to, idempotency_key=key
            )
            remote = None
            if row.outcome_unknown:
                remote = call(lambda k=key, p=post: find(connector, k, p))
            if remote is None:
                if index == 0 and media is None:
                    media = media_for(variant) if row.has_media else ()
                if index == 0 and media:
                    post = OutgoingPost(
                        text=post.text, media=media, idempotency_key=key
                    )
                remote = call(lambda p=post: connector.publish(p))
            done.append(remote.remote_id)
            url = url or remote.url
            if index < len(texts) - 1:
                _save_progress(row, token, done)
    except _Lost:
        return "lost"
    except ConnectorError as exc:
        found = _last_lookup(row, exc, connector, texts, done)
        if found is not None:
            return _published(row, token, done, url or found)
        return _failed_try(row, token, done, exc)
    except Exception as exc:  # a bug or an unexpected library error
        if _is_media_error(exc):
            return _fail(row, token, done, str(getattr(exc, "message", exc)))
        logger.exception("publication %s: unexpected error", row.pk)
        return _failed_try(
            row, token, done, ConnectorError(_("Unexpected error: %s") % exc)
        )
    return _published(row, token, done, url)


def _wait_for_channel(row: Publication, token: str, until: datetime) -> str:
    """The channel is rate limited: try again then, without counting a try."""
    updated = Publication.objects.filter(
        pk=row.pk, claim_token=token, state=PublicationState.SENDING
    ).update(
        state=PublicationState.PENDING,
        next_attempt_at=until,
        attempts=F("attempts") - 1,
        sending_since=None,
    )
    return "retry" if updated else "lost"


def _last_lookup(
    row: Publication,
    error: ConnectorError,
    connector: Connector,
    texts: list[str],
    done: list[str],
) -> str | None:
    """Before giving up after an unknown outcome, ask the network once more.

    Return the post's link when that completed the publication (`done` is
    extended), None otherwise.
    """
    unknown = row.outcome_unknown or not isinstance(error, RateLimited)
    if error.permanent or not unknown or row.attempts < MAX_ATTEMPTS:
        return None
    index = len(done)
    post = OutgoingPost(
        text=texts[index],
        reply_to=done[-1] if done else None,
        idempotency_key=part_key(row.idempotency_key, index),
    )
    try:
        remote = find(connector, post.idempotency_key, post)
    except ConnectorError:
        return None
    if remote is None:
        return None
    done.append(remote.remote_id)
    return remote.url if len(done) == len(texts) else None


def _is_media_error(exc: Exception) -> bool:
    try:
        from leitstelle.publishing.media import MediaError
    except ImportError:
        return False
    return isinstance(exc, MediaError)


def _published(row: Publication, token: str, done: list[str], url: str) -> str:
    # One statement: the remote id is recorded as the row becomes published.
    updated = Publication.objects.filter(
        pk=row.pk, claim_token=token, state=PublicationState.SENDING
    ).update(
        state=PublicationState.PUBLISHED,
        remote_id=done[0],
        remote_ids=done,
        url=url,
        published_at=timezone.now(),
        error="",
        outcome_unknown=False,
        sending_since=None,
    )
    if not updated:
        return "lost"
    _after(row)
    return "published"


def _failed_try(
    row: Publication, token: str, done: list[str], error: ConnectorError
) -> str:
    """Retry later after a transient error; fail on a permanent one."""
    _note_on_channel(row.channel, error)
    if error.permanent:
        return _fail(row, token, done, error.message)
    tries = row.attempts
    if tries >= MAX_ATTEMPTS:
        reason = _("Gave up after %(tries)d tries. Last error: %(error)s") % {
            "tries": tries,
            "error": error.message,
        }
        return _fail(row, token, done, reason)
    rate_limited = isinstance(error, RateLimited)
    retry_after = error.retry_after if isinstance(error, RateLimited) else None
    # A rate limit means the network refused: nothing new to ask about later.
    unknown = row.outcome_unknown or not rate_limited
    wait = backoff(tries, retry_after=retry_after)
    with transaction.atomic():
        updated = Publication.objects.filter(
            pk=row.pk, claim_token=token, state=PublicationState.SENDING
        ).update(
            state=PublicationState.PENDING,
            next_attempt_at=timezone.now() + timedelta(seconds=wait),
            error=error.message,
            remote_ids=done,
            remote_id=done[0] if done else "",
            outcome_unknown=unknown,
            sending_since=None,
        )
    if not updated:
        return "lost"
    _going_out(row)
    return "retry"


def _fail(row: Publication, token: str, done: list[str], reason: str) -> str:
    with transaction.atomic():
        updated = Publication.objects.filter(
            pk=row.pk, claim_token=token, state=PublicationState.SENDING
        ).update(
            state=PublicationState.FAILED,
            error=reason,
            remote_ids=done,
            remote_id=done[0] if done else "",
            sending_since=None,
        )
        if not updated:
            return "lost"
        record_event(
            action="publishing.publication_failed",
            target=row.variant.post,
            details={
                "publication": row.pk,
                "channel": row.channel_id,
                "reason": reason,
                "parts_out": done,
            },
            actor_label="dispatcher",
        )
    _after(row)
    return "failed"


FINAL = {PostStatus.PUBLISHED, PostStatus.PARTLY_FAILED, PostStatus.FAILED}


def _going_out(row: Publication) -> None:
    """A scheduled post whose rows are being tried is "going out" now."""
    if getattr(row, "post_status", None) == PostStatus.SCHEDULED:
        Post.objects.filter(pk=row.variant.post_id, status=PostStatus.SCHEDULED).update(
            status=PostStatus.PUBLISHING
        )


def _after(row: Publication) -> None:
    """Update the post's status after one of its rows was published or failed.

    Called after that row's change is committed. While other rows of the
    post are still open, only "scheduled" becomes "going out" (a conditional
    update). Once none is open, the status is recomputed under the post's
    row lock: whichever worker commits the post's last row sees every row
    done, so the final status is always computed from the final rows, and
    the workers do not queue on the post's lock for every row.

    Reaching a final status (published, partly failed, failed) writes one
    audit event listing every channel's outcome and link; each failure has
    its own event as well.
    """
    from leitstelle.publishing.services import refresh_post_status

    post_id = row.variant.post_id
    _going_out(row)
    still_open = Publication.objects.filter(
        variant__post_id=post_id,
        state__in=[PublicationState.PENDING, PublicationState.SENDING],
    )
    if still_open.exists():
        return
    with transaction.atomic():
        post = (
            Post.objects.select_for_update()
            .only("title", "master_text", "status", "scheduled_at", "published_at")
            .get(pk=post_id)
        )
        before = post.status
        refresh_post_status(post)
        if post.status == before or post.status not in FINAL:
            return
        outcomes = Publication.objects.filter(variant__post=post).exclude(
            state=PublicationState.RETRACTED
        )
        record_event(
            action="publishing.post_went_out",
            target=post,
            details={
                "status": post.status,
                "channels": {
                    str(channel): {"state": state, "url": url, "error": error}
                    for channel, state, url, error in outcomes.values_list(
                        "channel_id", "state", "url", "error"
                    )
                },
            },
            actor_label="dispatcher",
        )


def _note_on_channel(channel: Channel, error: ConnectorError) -> None:
    """Let the channel's health show expired access and rate limits."""
    fields = ["status", "rate_limited_until", "last_error", "last_error_at"]
    before = {f: getattr(channel, f) for f in fields}
    channel.record_error(error)
    changed = {
        f: getattr(channel, f) for f in fields if getattr(channel, f) != before[f]
    }
    if changed:
        Channel.objects.filter(pk=channel.pk).update(**changed)


# --- rounds -------------------------------------------------------------------


def dispatch_due(
    *,
    now: datetime | None = None,
    limit: int = BATCH,
    max_seconds: float = ROUND_SECONDS,
    max_rows: int | None = None,
) -> DispatchReport:
    """Send everything due now; what the task and the periodic sweep call."""
    report = DispatchReport()
    started = time.monotonic()
    while time.monotonic() - started < max_seconds:
        if max_rows is not None and report.claimed >= max_rows:
            break
        token, ids = claim(now=now, limit=limit)
        if not ids:
            break
        report.claimed += len(ids)
        for pk in ids:
            report.add(send(pk, token, now=now))
    return report
