"""Telegram bot webhooks: one Update per request.

Reference: https://core.telegram.org/bots/api#setwebhook. Telegram signs
nothing; the `secret_token` given to setWebhook comes back in the
`X-Telegram-Bot-Api-Secret-Token` header of every request. While a webhook
is set, Telegram refuses getUpdates: polling and webhook exclude each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from leitstelle.networks.models import Channel
from leitstelle.networks.payloads import need_dict
from leitstelle.networks.telegram.parse import Context, update_item
from leitstelle.networks.webhook import WebhookAnswer, WebhookBatch, same_secret

SECRETS = (
    (
        "webhook_secret",
        _("Secret token"),
        _(
            "The secret_token given to setWebhook: 1 to 256 characters, "
            "A-Z, a-z, 0-9, _ and -."
        ),
    ),
)


def handshake(
    channel: Channel, params: Mapping[str, str], secrets: Mapping[str, str]
) -> WebhookAnswer | None:
    return None  # Telegram makes no verification request


def signature_ok(
    channel: Channel,
    headers: Mapping[str, str],
    body: bytes,
    secrets: Mapping[str, str],
) -> bool:
    return same_secret(
        secrets.get("webhook_secret", ""),
        headers.get("X-Telegram-Bot-Api-Secret-Token", ""),
    )


def parse(channel: Channel, payload: Any) -> WebhookBatch:
    """Read one Update; the cursor keeps which forward is which channel post."""
    cursor: dict[str, Any] = channel.cursor or {}
    token = str(channel.credentials.get("bot_token", ""))
    context = Context(
        channel_id=str(channel.config.get("chat_id", "")),
        group_id=str(channel.config.get("discussion_group_id") or ""),
        bot_id=token.split(":")[0],
        threads=dict(cursor.get("threads") or {}),
    )
    item = update_item(need_dict(payload), context)
    return WebhookBatch(
        items=(item,) if item else (), cursor={"threads": context.threads}
    )
