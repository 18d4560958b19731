"""Turn X API v2 posts (with their `includes`) into inbox items."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from leitstelle.networks.base import IncomingItem, ItemKind
from leitstelle.networks.payloads import (
    PayloadError,
    dig,
    need_dict,
    need_str,
    opt_dict,
    opt_list,
    opt_str,
)

TWEET_FIELDS = (
    "created_at,author_id,conversation_id,in_reply_to_user_id,"
    "referenced_tweets,attachments,public_metrics"
)
EXPANSIONS = "author_id,attachments.media_keys"
USER_FIELDS = "username,name,profile_image_url"
MEDIA_FIELDS = "url,preview_image_url,type"
QUERY = {
    "tweet.fields": TWEET_FIELDS,
    "expansions": EXPANSIONS,
    "user.fields": USER_FIELDS,
    "media.fields": MEDIA_FIELDS,
}


def by_id(body: Any, key: str, field: str) -> dict[str, dict[str, Any]]:
    """Index `includes.<key>` by `field`, skipping entries of odd shape."""
    entries = dig(body, "includes", key)
    if not isinstance(entries, list):
        return {}
    return {
        entry[field]: entry
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get(field), str)
    }


def parse_created(value: str) -> datetime:
    """Read `2024-01-15T10:30:00.000Z` (or the older `Wed Jan 06 ...` form)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")
    if moment.tzinfo is None:
        raise PayloadError("created_at has no time zone")
    return moment


def kind_of(raw: dict[str, Any], me: str) -> tuple[ItemKind, str]:
    """Return what a post is to us, and the post it answers."""
    refs = {
        dig(ref, "type"): str(dig(ref, "id"))
        for ref in opt_list(raw, "referenced_tweets")
        if isinstance(ref, dict)
    }
    answered = refs.get("replied_to", "")
    if answered and opt_str(raw, "in_reply_to_user_id") == me:
        conversation = opt_str(raw, "conversation_id")
        return (
            ItemKind.COMMENT if answered == conversation else ItemKind.REPLY
        ), answered
    if "quoted" in refs:
        return ItemKind.QUOTE, refs["quoted"]
    return ItemKind.MENTION, answered


def tweet_item(
    raw: Any,
    *,
    users: dict[str, dict[str, Any]],
    media: dict[str, dict[str, Any]],
    me: str,
    kind: ItemKind | None = None,
) -> IncomingItem:
    raw = need_dict(raw)
    tweet_id, author_id = need_str(raw, "id"), need_str(raw, "author_id")
    author = users.get(author_id, {})
    username = opt_str(author, "username")
    found_kind, answered = kind_of(raw, me)
    keys = opt_list(opt_dict(raw, "attachments"), "media_keys")
    urls = [
        opt_str(media[key], "url") or opt_str(media[key], "preview_image_url")
        for key in keys
        if isinstance(key, str) and key in media
    ]
    return IncomingItem(
        remote_id=tweet_id,
        kind=kind or found_kind,
        text=html.unescape(opt_str(raw, "text")),
        created_at=parse_created(need_str(raw, "created_at")),
        author_id=author_id,
        author_handle=username,
        author_name=opt_str(author, "name"),
        author_avatar_url=opt_str(author, "profile_image_url"),
        author_url=f"https://x.com/{username}" if username else "",
        url=f"https://x.com/{username or 'i/web'}/status/{tweet_id}",
        in_reply_to=answered,
        root_post=opt_str(raw, "conversation_id") if answered else "",
        media_urls=tuple(url for url in urls if url),
        raw=raw,
    )
