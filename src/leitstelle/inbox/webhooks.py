"""Webhooks: networks push new items to us instead of waiting for a poll.

One endpoint per channel (`/webhooks/<channel id>/`). Each request is
checked with the network's own scheme (`networks/<kind>/webhook.py`)
before anything is read: a bad signature is refused with 403 and leaves no
trace in the database. A body that cannot be parsed is quarantined with the
reason and answered with 200 (a network that gets errors retries and finally
switches the webhook off). Good payloads are stored through the same
idempotent `ingest_page` as polled ones, so an item that arrives by webhook
and again by poll is stored once.

Meta's networks and X keep being polled as well (a webhook only brings
items sooner). Telegram delivers either way but never both: `register`
sets the webhook there and leaves the channel out of polling meanwhile.
Networks without webhooks for the inbox (Mastodon, Bluesky, the exercise
network) are only polled.
"""

from __future__ import annotations

import json
import logging
import secrets as random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from types import ModuleType
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.timezone import now
from django.utils.translation import gettext as _

from leitstelle.core.audit import record_event
from leitstelle.inbox import services
from leitstelle.inbox.ingest import IngestResult, ingest_page, raw_text, strip_nul
from leitstelle.inbox.models import QuarantinedPayload
from leitstelle.lib.crypto import DecryptionError
from leitstelle.networks.base import InteractionPage
from leitstelle.networks.models import Channel, ChannelStatus
from leitstelle.networks.webhook import WebhookAnswer, WebhookBatch

logger = logging.getLogger(__name__)

MODULES = {
    "facebook": "leitstelle.networks.facebook.webhook",
    "instagram": "leitstelle.networks.instagram.webhook",
    "threads": "leitstelle.networks.threads.webhook",
    "x": "leitstelle.networks.x.webhook",
    "telegram": "leitstelle.networks.telegram.webhook",
}
META_KINDS = frozenset({"facebook", "instagram", "threads"})
# Networks whose batches name the account of each entry (`entry[].id`).
ROUTED_KINDS = frozenset({"facebook", "instagram"})
# Meta batches up to 1,000 changes; X and Telegram send far less.
MAX_BODY_BYTES = 5 * 1024 * 1024
RECEIVED_KEY = "webhook_received_at"
# Marks quarantined rows that hold a whole webhook payload (retryable).
WEBHOOK_REASON = "Webhook: "


@dataclass(frozen=True)
class Received:
    status: int
    result: IngestResult | None = None


def module_for(kind: str) -> ModuleType | None:
    """Return the webhook module of a network, None if it has no webhooks."""
    path = MODULES.get(kind)
    return import_module(path) if path else None


def supports_webhooks(channel: Channel) -> bool:
    return channel.kind in MODULES


def needs_verify_token(channel: Channel) -> bool:
    return channel.kind in META_KINDS


def callback_url(channel: Channel) -> str:
    return settings.BASE_URL.rstrip("/") + reverse(
        "webhook", kwargs={"channel_id": channel.pk}
    )


def secrets_of(channel: Channel) -> dict[str, Any]:
    """The channel's decrypted credentials; empty when they cannot be read."""
    try:
        return channel.credentials
    except DecryptionError:
        logger.warning("Webhook for channel %s: credentials unreadable", channel.pk)
        return {}


def is_configured(channel: Channel) -> bool:
    module = module_for(channel.kind)
    if module is None:
        return False
    stored = secrets_of(channel)
    keys = [key for key, _label, _help in module.SECRETS]
    if channel.kind == "x":
        return bool(stored.get("webhook_secret") or stored.get("consumer_secret"))
    return all(stored.get(key) for key in keys)


def handshake(*, channel: Channel, params: Mapping[str, str]) -> WebhookAnswer:
    """Answer a network's GET verification (Meta's challenge, X's CRC)."""
    module = module_for(channel.kind)
    answer = module.handshake(channel, params, secrets_of(channel)) if module else None
    return answer or WebhookAnswer(405, "")


def receive(*, channel: Channel, headers: Mapping[str, str], body: bytes) -> Received:
    """Check, parse and store one POST; return the HTTP status to answer."""
    module = module_for(channel.kind)
    if module is None:
        return Received(404)
    if not module.signature_ok(channel, headers, body, secrets_of(channel)):
        logger.warning("Webhook for channel %s: bad signature, refused", channel.pk)
        return Received(403)
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        if channel.status == ChannelStatus.PAUSED:
            return Received(200, IngestResult())
        return Received(200, quarantine(channel, f"Not JSON: {exc}", body))
    result = IngestResult()
    for target, part in route(channel, payload):
        if target.status != ChannelStatus.PAUSED:  # paused: nothing is fetched
            result += store(channel=target, module=module, payload=part)
    return Received(200, result)


def account_id(channel: Channel) -> str:
    """The id Meta names the channel's account by in `entry[].id`."""
    config = channel.config or {}
    return str(config.get("ig_user_id") or config.get("page_id") or channel.remote_id)


def route(channel: Channel, payload: Any) -> list[tuple[Channel, Any]]:
    """Split a Meta batch by account: one app's callback serves all its pages.

    Meta sends the changes of every page (or Instagram account) of an app to
    the one callback URL registered for the app; entries of another
    connected channel of the same network go to that channel.
    """
    entries = payload.get("entry") if isinstance(payload, dict) else None
    if channel.kind not in ROUTED_KINDS or not isinstance(entries, list):
        return [(channel, payload)]
    own = account_id(channel)
    groups: dict[str, list[Any]] = {}
    for entry in entries:
        key = str(entry.get("id") or "") if isinstance(entry, dict) else ""
        groups.setdefault(key if key != own else "", []).append(entry)
    routed: list[tuple[Channel, Any]] = []
    for key, part in groups.items():
        target = sibling(channel, key) if key else channel
        routed.append((target or channel, {**payload, "entry": part}))
    return routed


def sibling(channel: Channel, account: str) -> Channel | None:
    """Another channel of the same network whose account is `account`."""
    return (
        Channel.objects.filter(kind=channel.kind)
        .exclude(pk=channel.pk)
        .filter(
            Q(config__page_id=account)
            | Q(config__ig_user_id=account)
            | Q(remote_id=account)
        )
        .order_by("pk")
        .first()
    )


def quarantine(channel: Channel, reason: str, body: bytes | Any) -> IngestResult:
    """Keep a whole webhook payload that could not be read; it can be retried."""
    text = (
        strip_nul(body.decode("utf-8", "replace"))
        if isinstance(body, bytes)
        else raw_text(body)
    )
    QuarantinedPayload.objects.create(
        channel=channel,
        reason=WEBHOOK_REASON + (strip_nul(reason)[:2000] or "?"),
        raw_body=text,
    )
    return IngestResult(quarantined=1)


def retryable(payload: QuarantinedPayload) -> bool:
    """Whether the row is a whole webhook payload (items of polls are not)."""
    return payload.reason.startswith(WEBHOOK_REASON) and supports_webhooks(
        payload.channel
    )


class RetryFailed(Exception):
    """The payload still cannot be read; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def retry(
    *, payload: QuarantinedPayload, actor: Any, request: Any = None
) -> IngestResult:
    """Read a quarantined webhook payload again (e.g. after an update).

    On success its items are stored and the row goes; otherwise it stays
    as it was and `RetryFailed` says why.
    """
    module = module_for(payload.channel.kind)
    if module is None or not retryable(payload):
        raise RetryFailed(_("Only whole webhook payloads can be read again."))
    try:
        data = json.loads(payload.raw_body)
    except ValueError as exc:
        message = _("It is still not JSON (%(error)s).") % {"error": exc}
        raise RetryFailed(message) from None
    with transaction.atomic():
        try:
            result = store(
                channel=payload.channel, module=module, payload=data, strict=True
            )
        except Exception as exc:  # the parser's failure is the admin's answer
            raise RetryFailed(f"{type(exc).__name__}: {exc}") from None
        record_event(
            action="inbox.quarantine_retried",
            actor=actor,
            target=payload.channel,
            details={
                "payload": payload.pk,
                "created": result.created,
                "updated": result.updated,
                "quarantined": result.quarantined,
            },
            request=request,
        )
        payload.delete()
    return result


def store(
    *, channel: Channel, module: ModuleType, payload: Any, strict: bool = False
) -> IngestResult:
    """Parse and store a payload with the channel locked; quarantine on failure.

    The cursor keeps its place (only keys the batch names are merged), so a
    webhook never moves a poll's cursor backwards. `strict` raises the
    parser's error instead of quarantining the payload.
    """
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        try:
            batch: WebhookBatch = module.parse(locked, payload)
        except Exception as exc:  # any parser failure is quarantined
            if strict:
                raise
            return quarantine(locked, f"{type(exc).__name__}: {exc}", payload)
        cursor = {**(locked.cursor or {}), **batch.cursor}
        page = InteractionPage(
            items=batch.items, cursor=cursor, quarantined=batch.quarantined
        )
        result = ingest_page(channel=locked, page=page)
        if batch.deleted:
            services.mark_deleted_on_network(channel=locked, remote_ids=batch.deleted)
        # Admins see on the channel page that notifications arrive.
        locked.config = {**(locked.config or {}), RECEIVED_KEY: now().isoformat()}
        locked.save(update_fields=["config"])
    return result


def last_received(channel: Channel) -> datetime | None:
    """When the channel's webhook last brought a readable notification."""
    value = (channel.config or {}).get(RECEIVED_KEY)
    return parse_datetime(value) if isinstance(value, str) else None


@transaction.atomic
def configure(
    *,
    channel: Channel,
    actor: Any,
    values: Mapping[str, str],
    request: Any = None,
) -> Channel:
    """Store the webhook secrets an admin entered; blank fields keep theirs.

    Meta's verify token is made here when missing: the admin copies it into
    the app dashboard. Secrets never go into the audit log, only their names.
    """
    stored = dict(secrets_of(channel))
    changed = sorted(key for key, value in values.items() if value)
    for key in changed:
        stored[key] = values[key]
    if needs_verify_token(channel) and not stored.get("webhook_verify_token"):
        stored["webhook_verify_token"] = random.token_urlsafe(24)
        changed.append("webhook_verify_token")
    channel.set_credentials(stored)
    channel.save(update_fields=["credentials_encrypted"])
    record_event(
        action="channel.webhook_configured",
        actor=actor,
        target=channel,
        details={"changed": changed},
        request=request,
    )
    return channel


# Networks where Leitstelle itself tells the network where to deliver.
REGISTERABLE_KINDS = frozenset({"telegram"})
WEBHOOK_ONLY = "webhook_only"
TELEGRAM_UPDATES = ["message", "edited_message", "channel_post"]


def can_register(channel: Channel) -> bool:
    return channel.kind in REGISTERABLE_KINDS


def delivers_by_webhook(channel: Channel) -> bool:
    """Whether the network delivers to the webhook instead of being polled."""
    return bool((channel.config or {}).get(WEBHOOK_ONLY))


def register(*, channel: Channel, actor: Any, request: Any = None) -> Channel:
    """Ask Telegram to deliver to our webhook; polling stops meanwhile.

    Telegram refuses getUpdates while a webhook is set, so the channel is
    marked to be left out of polling. Network errors propagate (typed
    ConnectorError with a plain message) and change nothing.
    """
    stored = dict(secrets_of(channel))
    if not stored.get("webhook_secret"):
        stored["webhook_secret"] = random.token_urlsafe(32)
    channel.connector.bot.call(  # type: ignore[attr-defined]
        "setWebhook",
        url=callback_url(channel),
        secret_token=stored["webhook_secret"],
        allowed_updates=TELEGRAM_UPDATES,
    )
    with transaction.atomic():
        channel.set_credentials(stored)
        channel.config = {**(channel.config or {}), WEBHOOK_ONLY: True}
        channel.save(update_fields=["credentials_encrypted", "config"])
        record_event(
            action="channel.webhook_registered",
            actor=actor,
            target=channel,
            details={"url": callback_url(channel)},
            request=request,
        )
    return channel


def unregister(*, channel: Channel, actor: Any, request: Any = None) -> Channel:
    """Remove the webhook at Telegram; the channel is polled again."""
    channel.connector.bot.call("deleteWebhook")  # type: ignore[attr-defined]
    with transaction.atomic():
        config = dict(channel.config or {})
        config.pop(WEBHOOK_ONLY, None)
        channel.config = config
        channel.save(update_fields=["config"])
        record_event(
            action="channel.webhook_removed",
            actor=actor,
            target=channel,
            request=request,
        )
    return channel
