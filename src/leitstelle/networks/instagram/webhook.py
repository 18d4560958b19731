"""Instagram comment webhooks (`comments`, `live_comments` fields).

Reference: https://developers.facebook.com/docs/graph-api/webhooks/reference/
instagram (value: `id`, `text`, `from{id,username}`, `media{id}`,
`parent_id`) and https://developers.facebook.com/docs/instagram-platform/
webhooks/examples. The value has no time: the entry's `time` stands in.
Verification and signatures are Meta's (see facebook/webhook.py).
"""

from __future__ import annotations

from typing import Any

from leitstelle.networks.base import IncomingItem, ItemKind
from leitstelle.networks.facebook.webhook import (
    SECRETS,
    changes,
    collect,
    meta_handshake,
    meta_signature_ok,
    moment,
)
from leitstelle.networks.models import Channel
from leitstelle.networks.payloads import need_dict, need_str, opt_dict, opt_str
from leitstelle.networks.webhook import WebhookBatch

__all__ = ["SECRETS", "handshake", "parse", "signature_ok"]

handshake = meta_handshake
signature_ok = meta_signature_ok


def comment(entry: Any, value: Any, *, account_id: str = "") -> IncomingItem | None:
    value = need_dict(value)
    author = opt_dict(value, "from")
    if account_id and opt_str(author, "id") == account_id:
        return None  # our own answer
    username = opt_str(author, "username")
    media_id = need_str(opt_dict(value, "media"), "id")
    parent = opt_str(value, "parent_id")
    return IncomingItem(
        remote_id=need_str(value, "id"),
        kind=ItemKind.REPLY if parent else ItemKind.COMMENT,
        text=opt_str(value, "text"),
        created_at=moment(entry.get("time")),
        author_id=opt_str(author, "id") or username,
        author_handle=username,
        author_url=f"https://www.instagram.com/{username}/" if username else "",
        in_reply_to=parent or media_id,
        root_post=media_id,
        raw=value,
    )


def parse(channel: Channel, payload: Any) -> WebhookBatch:
    account = str(channel.config.get("ig_user_id") or channel.remote_id or "")
    return collect(
        changes(payload, account, ["comments", "live_comments"]),
        lambda entry, value: comment(entry, value, account_id=account),
    )
