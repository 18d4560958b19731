"""Threads webhooks: replies to our posts and mentions of our profile.

Reference: https://developers.facebook.com/docs/threads/webhooks (the
`replies` and `mentions` fields; `values.value` carries the reply object
with `replied_to` and `root_post`). Verification and signatures are Meta's.
"""

from __future__ import annotations

from typing import Any

from leitstelle.networks.base import IncomingItem, ItemKind, Quarantined
from leitstelle.networks.facebook.webhook import (
    SECRETS,
    meta_handshake,
    meta_signature_ok,
)
from leitstelle.networks.models import Channel
from leitstelle.networks.payloads import PayloadError, need_dict
from leitstelle.networks.threads.connector import thread_item
from leitstelle.networks.webhook import WebhookBatch

__all__ = ["SECRETS", "handshake", "parse", "signature_ok"]

handshake = meta_handshake
signature_ok = meta_signature_ok
KINDS = {"replies": None, "mentions": ItemKind.MENTION}


def parse(channel: Channel, payload: Any) -> WebhookBatch:
    payload = need_dict(payload)
    values = payload.get("values")
    values = values if isinstance(values, list) else [values]
    items: list[IncomingItem] = []
    quarantined: list[Quarantined] = []
    for entry in values:
        try:
            entry = need_dict(entry)
            if entry.get("field") not in KINDS:
                continue
            item = thread_item(
                need_dict(entry, "value"), kind=KINDS[entry.get("field")]
            )
        except (PayloadError, ValueError, TypeError) as exc:
            quarantined.append(Quarantined(f"{type(exc).__name__}: {exc}", entry))
            continue
        if item.author_handle.lstrip("@") != channel.handle.lstrip("@"):
            items.append(item)
    return WebhookBatch(items=tuple(items), quarantined=tuple(quarantined))
