"""Answering an item through its network: never lost, never sent twice.

A reply is first committed as a `Reply` row in state "sending" with its own
idempotency key; the network is called afterwards, outside any transaction
(in the worker, or inline when Huey runs immediately). When the outcome is
unknown (a timeout, a server error) the network is asked whether the reply
arrived before it is ever sent again.
"""

from __future__ import annotations

import inspect
import logging
import uuid
from datetime import date, datetime, timedelta

import regex
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from leitstelle.core.audit import record_event
from leitstelle.core.models import User
from leitstelle.inbox import moderation
from leitstelle.inbox.models import (
    Interaction,
    InteractionStatus,
    Reply,
    ReplyStatus,
    SavedReply,
)
from leitstelle.lib import text as text_lib
from leitstelle.networks.base import (
    Connector,
    ConnectorError,
    OutgoingPost,
    RemotePost,
    Unavailable,
)
from leitstelle.networks.services import record_channel_error

logger = logging.getLogger(__name__)

FALLBACK_LANGUAGE = "de"
# Far beyond any network timeout: a reply still sending then is stuck.
STUCK_AFTER = timedelta(minutes=15)
PLACEHOLDER = regex.compile(r"\{(name|handle|channel|date)\}")


class ReplyRefused(Exception):
    """A reply cannot be sent at all; `message` says why in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_can_reply(interaction: Interaction) -> None:
    """Raise `ReplyRefused` when the item cannot be answered."""
    if interaction.deleted_on_network_at or interaction.deleted_by_us_at:
        raise ReplyRefused(_("This item was deleted and can no longer be answered."))
    connector = interaction.channel.connector
    if not connector.capabilities.reply:
        raise ReplyRefused(
            _("%(network)s does not let Leitstelle answer here.")
            % {"network": connector.label}
        )


def check_length(interaction: Interaction, text: str) -> None:
    rules = interaction.channel.connector.text_rules
    length = text_lib.count(text, rules)
    if length > rules.max_length:
        raise ReplyRefused(
            _("The reply has %(length)d characters; at most %(limit)d are allowed.")
            % {"length": length, "limit": rules.max_length}
        )


def send_reply(
    *,
    interaction: Interaction,
    actor: User,
    text: str,
    saved_reply: SavedReply | None = None,
    request: HttpRequest | None = None,
) -> Reply:
    """Queue a reply to `interaction` and send it once the row is committed."""
    text = text.strip()
    if not text:
        raise ReplyRefused(_("Write a reply first."))
    check_can_reply(interaction)
    check_length(interaction, text)
    with transaction.atomic():
        reply = Reply.objects.create(
            interaction=interaction,
            author=actor,
            text=text,
            saved_reply=saved_reply,
            idempotency_key=uuid.uuid4().hex,
        )
        record_event(
            action="inbox.reply_queued",
            actor=actor,
            target=interaction,
            details={"reply": reply.pk, "saved_reply": saved_reply and saved_reply.pk},
            request=request,
        )
        transaction.on_commit(lambda: enqueue_delivery(reply.pk))
    reply.refresh_from_db()
    return reply


def enqueue_delivery(reply_id: int) -> None:
    from leitstelle.inbox.tasks import deliver_reply_task

    deliver_reply_task(reply_id)


def retry_reply(
    *, reply: Reply, actor: User, request: HttpRequest | None = None
) -> Reply:
    """Send a failed reply again; the network is asked first if it has it."""
    with transaction.atomic():
        claimed = Reply.objects.filter(pk=reply.pk, status=ReplyStatus.FAILED).update(
            status=ReplyStatus.SENDING
        )
        if not claimed:
            raise ReplyRefused(_("This reply is not waiting for another attempt."))
        record_event(
            action="inbox.reply_retried",
            actor=actor,
            target=reply.interaction,
            details={"reply": reply.pk},
            request=request,
        )
        transaction.on_commit(lambda: enqueue_delivery(reply.pk))
    reply.refresh_from_db()
    return reply


def deliver_reply(*, reply_id: int) -> Reply | None:
    """Call the network for a reply in state "sending"; None if there is none.

    A reply that was tried before (its `error` is set) is looked up on the
    network first, so a timeout that did deliver is never sent twice.
    """
    reply = (
        Reply.objects.select_related("interaction__channel", "interaction__author")
        .filter(pk=reply_id, status=ReplyStatus.SENDING)
        .first()
    )
    if reply is None:
        return None
    connector = reply.interaction.channel.connector
    post = OutgoingPost(text=reply.text, idempotency_key=reply.idempotency_key)
    try:
        found = look_up(connector, post) if reply.error else None
        remote = found or connector.reply(reply.interaction.remote_id, post)
    except Unavailable as exc:
        return uncertain(reply, connector, post, exc)
    except ConnectorError as exc:
        if isinstance(exc, moderation.CHANNEL_ERRORS):
            record_channel_error(channel=reply.interaction.channel, error=exc)
        return mark_failed(reply, exc.message)
    except Exception as exc:
        logger.exception("Sending reply %s failed", reply.pk)
        return uncertain(reply, connector, post, exc)
    return mark_sent(reply, remote)


def look_up(connector: Connector, post: OutgoingPost) -> RemotePost | None:
    """Ask the network for our post with the key; None if it cannot say."""
    accepts_post = "post" in inspect.signature(connector.find_published).parameters
    try:
        if accepts_post:
            return connector.find_published(post.idempotency_key, post=post)
        return connector.find_published(post.idempotency_key)
    except NotImplementedError:
        return None


def uncertain(
    reply: Reply, connector: Connector, post: OutgoingPost, exc: Exception
) -> Reply:
    """Handle an unknown outcome: sent if the network has it, else failed."""
    try:
        found = look_up(connector, post)
    except Exception:
        found = None
    if found is not None:
        return mark_sent(reply, found)
    detail = exc.message if isinstance(exc, ConnectorError) else type(exc).__name__
    return mark_failed(
        reply,
        _(
            "The network did not confirm the reply (%(detail)s). It may have "
            "arrived anyway: trying again checks that first."
        )
        % {"detail": detail},
    )


def mark_sent(reply: Reply, remote: RemotePost) -> Reply:
    now = timezone.now()
    with transaction.atomic():
        Reply.objects.filter(pk=reply.pk).update(
            status=ReplyStatus.SENT,
            remote_id=remote.remote_id,
            url=remote.url[:1000],
            error="",
            sent_at=now,
        )
        answered = Interaction.objects.filter(pk=reply.interaction_id)
        answered.filter(first_response_at__isnull=True).update(first_response_at=now)
        answered.update(
            status=InteractionStatus.ANSWERED, response_due_at=None, updated_at=now
        )
        record_event(
            action="inbox.reply_sent",
            actor=reply.author,
            target=reply.interaction,
            details={"reply": reply.pk, "remote_id": remote.remote_id},
        )
    reply.refresh_from_db()
    return reply


def mark_failed(reply: Reply, message: str) -> Reply:
    with transaction.atomic():
        Reply.objects.filter(pk=reply.pk).update(
            status=ReplyStatus.FAILED, error=message
        )
        record_event(
            action="inbox.reply_failed",
            actor=reply.author,
            target=reply.interaction,
            details={"reply": reply.pk, "error": message},
        )
    reply.refresh_from_db()
    return reply


def fail_stuck_replies(now: datetime | None = None) -> int:
    """Mark first attempts still "sending" after `STUCK_AFTER` as failed.

    A worker that died during the network call leaves its reply in
    "sending"; as failed, it can be tried again, which first asks the
    network whether it arrived. Return how many were marked.
    """
    cutoff = (now or timezone.now()) - STUCK_AFTER
    stuck = Reply.objects.filter(
        status=ReplyStatus.SENDING, error="", created_at__lt=cutoff
    )
    message = _(
        "Sending did not finish. The reply may have arrived anyway: trying "
        "again checks that first."
    )
    marked = 0
    for reply in stuck.select_related("interaction", "author"):
        with transaction.atomic():
            # Claimed by state: a worker that finishes meanwhile wins.
            if not stuck.filter(pk=reply.pk).update(
                status=ReplyStatus.FAILED, error=message
            ):
                continue
            record_event(
                action="inbox.reply_failed",
                actor=reply.author,
                target=reply.interaction,
                details={"reply": reply.pk, "error": message},
            )
        marked += 1
    return marked


# Collision safety


def thread_replies(interaction: Interaction) -> QuerySet[Reply]:
    """Return the replies in `interaction`'s thread that did not fail."""
    return Reply.objects.filter(
        interaction__channel_id=interaction.channel_id,
        interaction__thread_key=interaction.thread_key,
    ).exclude(status=ReplyStatus.FAILED)


def newest_reply_id(interaction: Interaction) -> int:
    """Return the id of the newest reply in the thread, 0 if there is none."""
    newest = thread_replies(interaction).order_by("-id").values_list("pk", flat=True)
    return newest.first() or 0


def replies_by_others_since(
    *, interaction: Interaction, seen_id: int, user: User
) -> list[Reply]:
    """Return the thread's replies by colleagues newer than `seen_id`."""
    return list(
        thread_replies(interaction)
        .filter(pk__gt=seen_id)
        .filter(~Q(author=user) | Q(author__isnull=True))
        .select_related("author")
        .order_by("id")
    )


# Saved replies


def saved_reply_choices(language: str) -> list[SavedReply]:
    """Return one version per title: `language`'s, else German, else any."""
    preferred = [language or FALLBACK_LANGUAGE, FALLBACK_LANGUAGE]
    chosen: dict[str, SavedReply] = {}
    for saved in SavedReply.objects.order_by("title", "language"):
        current = chosen.get(saved.title)
        if current is None or rank(saved, preferred) < rank(current, preferred):
            chosen[saved.title] = saved
    return list(chosen.values())


def rank(saved: SavedReply, preferred: list[str]) -> int:
    return preferred.index(saved.language) if saved.language in preferred else 2


def fill_placeholders(text: str, interaction: Interaction) -> str:
    """Fill {name} {handle} {channel} {date}; anything else stays as written."""
    author = interaction.author
    handle = author.handle if author.handle.startswith("@") else f"@{author.handle}"
    written: date = timezone.localtime(interaction.remote_created_at).date()
    values = {
        "name": author.name or author.handle,
        "handle": handle if author.handle else "",
        "channel": interaction.channel.name,
        "date": formats.date_format(written, "SHORT_DATE_FORMAT"),
    }
    return PLACEHOLDER.sub(lambda match: values[match[1]], text)


def length_of(text: str, interaction: Interaction) -> tuple[int, int]:
    """Return (length as the network counts it, the network's limit)."""
    rules = interaction.channel.connector.text_rules
    return text_lib.count(text, rules), rules.max_length
