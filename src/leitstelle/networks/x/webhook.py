"""X Account Activity API webhooks: mentions, replies and quotes pushed to us.

References: https://docs.x.com/x-api/webhooks/quickstart (the CRC: a GET
with `crc_token`, answered with `{"response_token": "sha256=<base64 of
HMAC-SHA256(consumer secret, crc_token)>"}`; each POST signed the same way
over the body in `x-twitter-webhooks-signature`) and
https://docs.x.com/x-api/account-activity/introduction (`for_user_id`,
`tweet_create_events` with v1.1 post objects, `tweet_delete_events`).
"""

from __future__ import annotations

import hmac
import html
import json
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from leitstelle.networks.base import IncomingItem, ItemKind, Quarantined
from leitstelle.networks.models import Channel
from leitstelle.networks.payloads import (
    PayloadError,
    dig,
    need_dict,
    need_str,
    opt_dict,
    opt_list,
    opt_str,
)
from leitstelle.networks.webhook import WebhookAnswer, WebhookBatch, base64_signature
from leitstelle.networks.x.parse import parse_created

SECRETS = (
    (
        "webhook_secret",
        _("API key secret (consumer secret)"),
        _(
            "Of the X app the webhook is registered with. Left empty, the "
            "channel's stored consumer secret is used."
        ),
    ),
)


def consumer_secret(channel: Channel, secrets: Mapping[str, str]) -> str:
    return secrets.get("webhook_secret") or secrets.get("consumer_secret") or ""


def handshake(
    channel: Channel, params: Mapping[str, str], secrets: Mapping[str, str]
) -> WebhookAnswer:
    token, secret = params.get("crc_token", ""), consumer_secret(channel, secrets)
    if not token or not secret:
        return WebhookAnswer(403, "")
    answer = {"response_token": base64_signature(secret, token.encode())}
    return WebhookAnswer(200, json.dumps(answer), "application/json")


def signature_ok(
    channel: Channel,
    headers: Mapping[str, str],
    body: bytes,
    secrets: Mapping[str, str],
) -> bool:
    secret = consumer_secret(channel, secrets)
    given = headers.get("x-twitter-webhooks-signature", "").strip()
    if not secret or not given:
        return False
    return hmac.compare_digest(base64_signature(secret, body).encode(), given.encode())


def text_of(raw: dict[str, Any]) -> str:
    extended = opt_dict(raw, "extended_tweet")
    return html.unescape(
        opt_str(extended, "full_text")
        or opt_str(raw, "full_text")
        or opt_str(raw, "text")
    )


def media_of(raw: dict[str, Any]) -> tuple[str, ...]:
    extended = opt_dict(raw, "extended_tweet")
    entities = (
        opt_dict(extended, "extended_entities")
        or opt_dict(raw, "extended_entities")
        or opt_dict(raw, "entities")
    )
    return tuple(
        url
        for media in opt_list(entities, "media")
        if isinstance(media, dict) and (url := opt_str(media, "media_url_https"))
    )


def tweet_item(raw: Any, me: str) -> IncomingItem | None:
    raw = need_dict(raw)
    user = need_dict(raw, "user")
    author_id = need_str(user, "id_str")
    if author_id == me or raw.get("retweeted_status"):
        return None  # our own posts, plain reposts
    tweet_id = need_str(raw, "id_str")
    username = opt_str(user, "screen_name")
    answered = opt_str(raw, "in_reply_to_status_id_str")
    quoted = opt_str(raw, "quoted_status_id_str")
    if answered and opt_str(raw, "in_reply_to_user_id_str") == me:
        kind, parent, root = ItemKind.COMMENT, answered, answered
    elif raw.get("is_quote_status") and quoted:
        kind, parent, root = ItemKind.QUOTE, quoted, ""
    else:
        kind, parent, root = ItemKind.MENTION, answered, ""
    return IncomingItem(
        remote_id=tweet_id,
        kind=kind,
        text=text_of(raw),
        created_at=parse_created(need_str(raw, "created_at")),
        author_id=author_id,
        author_handle=username,
        author_name=opt_str(user, "name"),
        author_avatar_url=opt_str(user, "profile_image_url_https"),
        author_url=f"https://x.com/{username}" if username else "",
        url=f"https://x.com/{username or 'i/web'}/status/{tweet_id}",
        in_reply_to=parent,
        root_post=root,
        media_urls=media_of(raw),
        raw=raw,
    )


def parse(channel: Channel, payload: Any) -> WebhookBatch:
    payload = need_dict(payload)
    me = str(channel.remote_id)
    if opt_str(payload, "for_user_id") != me:
        return WebhookBatch()  # another account of the same app
    items: list[IncomingItem] = []
    quarantined: list[Quarantined] = []
    for raw in opt_list(payload, "tweet_create_events"):
        try:
            item = tweet_item(raw, me)
        except (PayloadError, ValueError, TypeError) as exc:
            quarantined.append(Quarantined(f"{type(exc).__name__}: {exc}", raw))
            continue
        if item is not None:
            items.append(item)
    deleted = tuple(
        str(dig(event, "status", "id"))
        for event in opt_list(payload, "tweet_delete_events")
        if dig(event, "status", "id")
    )
    return WebhookBatch(
        items=tuple(items), quarantined=tuple(quarantined), deleted=deleted
    )
