"""Facebook page webhooks, and the verification all Meta webhooks share.

References: https://developers.facebook.com/docs/graph-api/webhooks/
getting-started (the GET verification with `hub.mode`, `hub.verify_token`,
`hub.challenge`; every POST signed in `X-Hub-Signature-256` with the app
secret) and https://developers.facebook.com/docs/graph-api/webhooks/
reference/page/#feed (comments arrive as `feed` changes with
`item: comment` and `verb: add | edited | remove`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from leitstelle.networks import meta
from leitstelle.networks.base import IncomingItem, ItemKind, Quarantined
from leitstelle.networks.models import Channel
from leitstelle.networks.payloads import (
    PayloadError,
    need_dict,
    need_str,
    opt_dict,
    opt_list,
    opt_str,
)
from leitstelle.networks.webhook import (
    WebhookAnswer,
    WebhookBatch,
    hex_signature_ok,
    same_secret,
)

SECRETS = (
    (
        "webhook_secret",
        _("App secret"),
        _(
            "From the Meta app dashboard, App settings → Basic. Meta signs "
            "every notification with it."
        ),
    ),
)


def meta_handshake(
    channel: Channel, params: Mapping[str, str], secrets: Mapping[str, str]
) -> WebhookAnswer:
    """Answer Meta's subscription check with the challenge, or refuse."""
    if params.get("hub.mode") == "subscribe" and same_secret(
        secrets.get("webhook_verify_token", ""), params.get("hub.verify_token", "")
    ):
        return WebhookAnswer(200, params.get("hub.challenge", ""))
    return WebhookAnswer(403, "")


def meta_signature_ok(
    channel: Channel,
    headers: Mapping[str, str],
    body: bytes,
    secrets: Mapping[str, str],
) -> bool:
    return hex_signature_ok(
        secrets.get("webhook_secret", ""),
        body,
        headers.get("X-Hub-Signature-256", ""),
    )


handshake = meta_handshake
signature_ok = meta_signature_ok


def moment(value: Any) -> datetime:
    """Read a webhook time: Unix seconds, or Graph's ISO form."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise PayloadError(f"time {value} is not a time") from None
    try:
        return meta.parse_time(value)
    except ValueError:
        raise PayloadError("created_time is missing or not a time") from None


def changes(payload: Any, account_id: str, fields: Iterable[str]) -> Iterable[Any]:
    """Yield (entry, value) of the account's changes to one of `fields`.

    Entries of other accounts (one app may serve several) are skipped. Both
    shapes Meta sends are read: `entry.changes[]` and `entry.field/value`.
    """
    wanted = set(fields)
    for entry in opt_list(need_dict(payload), "entry"):
        entry = need_dict(entry)
        if account_id and opt_str(entry, "id") not in ("", account_id):
            continue
        found = opt_list(entry, "changes") or ([entry] if "field" in entry else [])
        for change in found:
            change = need_dict(change)
            if change.get("field") in wanted:
                yield entry, change.get("value")


def collect(
    pairs: Iterable[Any], parse: Callable[[Any, Any], IncomingItem | str | None]
) -> WebhookBatch:
    """Parse each change on its own: a broken one is quarantined, not fatal.

    `parse` returns an item, a remote id that was deleted, or None (skip).
    """
    items: list[IncomingItem] = []
    deleted: list[str] = []
    quarantined: list[Quarantined] = []
    for entry, value in pairs:
        try:
            result = parse(entry, value)
        except (PayloadError, ValueError, TypeError) as exc:
            quarantined.append(Quarantined(f"{type(exc).__name__}: {exc}", value))
            continue
        if isinstance(result, IncomingItem):
            items.append(result)
        elif isinstance(result, str):
            deleted.append(result)
    return WebhookBatch(
        items=tuple(items), quarantined=tuple(quarantined), deleted=tuple(deleted)
    )


def feed_comment(entry: Any, value: Any) -> IncomingItem | str | None:
    value = need_dict(value)
    if value.get("item") != "comment":
        return None  # reactions, shares, our own posts
    comment_id = need_str(value, "comment_id")
    if value.get("verb") == "remove":
        return comment_id
    author = opt_dict(value, "from")
    if opt_str(author, "id") and opt_str(author, "id") == opt_str(entry, "id"):
        return None  # the page's own answer
    post_id = need_str(value, "post_id")
    parent = opt_str(value, "parent_id")
    photo = opt_str(value, "photo")
    return IncomingItem(
        remote_id=comment_id,
        kind=ItemKind.REPLY if parent and parent != post_id else ItemKind.COMMENT,
        text=opt_str(value, "message"),
        created_at=moment(value.get("created_time")),
        author_id=opt_str(author, "id"),
        author_handle=opt_str(author, "id"),
        author_name=opt_str(author, "name"),
        url=opt_str(opt_dict(value, "post"), "permalink_url"),
        in_reply_to=parent or post_id,
        root_post=post_id,
        media_urls=(photo,) if photo else (),
        raw=value,
    )


def parse(channel: Channel, payload: Any) -> WebhookBatch:
    page_id = str(channel.config.get("page_id") or channel.remote_id or "")
    return collect(changes(payload, page_id, ["feed"]), feed_comment)
