"""Turn Bluesky's raw XRPC payloads into `IncomingItem`s, refusing anything odd.

Shapes: app.bsky.notification.listNotifications#notification and
app.bsky.feed.defs#postView (https://docs.bsky.app/docs/api/), with the post
record of app.bsky.feed.post. Parsed from the raw JSON, not the SDK's
models, so that one odd notification is quarantined instead of failing the
whole page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from leitstelle.networks.base import IncomingItem, ItemKind, Quarantined, RemotePost

REASONS = {
    "reply": ItemKind.REPLY,
    "mention": ItemKind.MENTION,
    "quote": ItemKind.QUOTE,
}
IMAGE_URL = "https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{cid}@jpeg"


EPOCH = datetime(1970, 1, 1, tzinfo=UTC).isoformat()


class PayloadError(ValueError):
    """A payload lacks a field the inbox needs, or has it in an odd type."""


PARSE_ERRORS = (PayloadError, KeyError, TypeError, ValueError, AttributeError)


def did_of(uri: str) -> str:
    """Return the repository (DID) of an at:// URI."""
    return uri.removeprefix("at://").split("/", 1)[0]


def rkey_of(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def post_url(uri: str, handle: str = "") -> str:
    return f"https://bsky.app/profile/{handle or did_of(uri)}/post/{rkey_of(uri)}"


def sweep(
    content: Any, cursor: dict[str, Any]
) -> tuple[list[Any], dict[str, Any], bool]:
    """Return a page's notifications newer than the cursor, the next cursor,
    and whether the sweep goes on.

    Notifications come newest first; a sweep pages back (`page`) until it
    reaches what the last sweep saw, then `since` moves to the newest. The
    first sweep reads one page; with nothing there, it starts at 1970.
    """
    notes = content.get("notifications") if isinstance(content, dict) else None
    if not isinstance(notes, list):
        raise PayloadError("the notifications cannot be read")
    since = moment(cursor.get("since"))
    times = [time for note in notes if (time := moment(_get(note, "indexedAt")))]
    fresh = [note for note in notes if _is_fresh(note, since)]
    newest = cursor.get("newest") or (
        max(times).isoformat() if times else cursor.get("since")
    )
    if since is None or len(fresh) < len(notes) or not content.get("cursor"):
        return fresh, {"since": newest or EPOCH}, False
    return (
        fresh,
        {"since": cursor["since"], "newest": newest, "page": content["cursor"]},
        True,
    )


def parse_notifications(
    notes: list[Any], *, did: str
) -> tuple[list[IncomingItem], list[Quarantined]]:
    """Parse replies, mentions and quotes; leave likes, reposts and follows out."""
    items: list[IncomingItem] = []
    quarantined: list[Quarantined] = []
    for note in notes:
        reason = _get(note, "reason")
        if isinstance(reason, str) and reason not in REASONS:
            continue
        try:
            items.append(parse_notification(note, did=did))
        except PARSE_ERRORS as exc:
            quarantined.append(Quarantined(reason=str(exc), raw=note))
    return items, quarantined


def parse_post_views(content: Any) -> tuple[IncomingItem, ...]:
    """Parse search results, leaving out what cannot be read."""
    views = content.get("posts") if isinstance(content, dict) else None
    found = []
    for view in views if isinstance(views, list) else []:
        try:
            found.append(parse_post_view(view))
        except PARSE_ERRORS:
            continue
    return tuple(found)


def remote_post(uri: str, created_at: Any) -> RemotePost:
    return RemotePost(remote_id=uri, url=post_url(uri), published_at=moment(created_at))


def moment(value: Any) -> datetime | None:
    """Return a timestamp, or None if `value` is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _get(note: Any, key: str) -> Any:
    return note.get(key) if isinstance(note, dict) else None


def _is_fresh(note: Any, since: datetime | None) -> bool:
    """Whether a sweep still has to look at `note`.

    One without a readable time is looked at (and quarantined) every time
    rather than dropped unseen.
    """
    time = moment(_get(note, "indexedAt"))
    return since is None or time is None or time > since


def parse_notification(raw: Any, *, did: str) -> IncomingItem:
    """Return the post a reply, mention or quote notification carries."""
    note = _mapping(raw, "notification")
    reason = note.get("reason")
    if reason not in REASONS:
        raise PayloadError(f"unexpected notification reason {reason!r}")
    record = _mapping(note.get("record"), "record")
    parent, root = _reply_refs(record)
    kind = REASONS[reason]
    if parent and did_of(parent) == did and reason != "quote":
        kind = ItemKind.COMMENT
    elif parent and reason == "mention":
        kind = ItemKind.REPLY
    if kind == ItemKind.QUOTE:
        root_post = _string(note.get("reasonSubject"), "reasonSubject")
    elif root and did_of(root) == did:
        root_post = root
    else:
        root_post = parent if kind == ItemKind.COMMENT else ""
    return _item(note, record, kind=kind, in_reply_to=parent, root_post=root_post)


def parse_post_view(raw: Any) -> IncomingItem:
    """Return a post from a feed or search result (app.bsky.feed.defs#postView)."""
    view = _mapping(raw, "post")
    record = _mapping(view.get("record"), "record")
    parent, _ = _reply_refs(record)
    return _item(view, record, kind=ItemKind.MENTION, in_reply_to=parent, root_post="")


def _item(
    view: Mapping[str, Any],
    record: Mapping[str, Any],
    *,
    kind: ItemKind,
    in_reply_to: str,
    root_post: str,
) -> IncomingItem:
    uri = _string(view.get("uri"), "uri", required=True)
    author = _mapping(view.get("author"), "author")
    author_did = _string(author.get("did"), "author.did", required=True)
    handle = _string(author.get("handle"), "author.handle", required=True)
    return IncomingItem(
        remote_id=uri,
        kind=kind,
        text=_string(
            record.get("text"), "record.text", required=True, allow_empty=True
        ),
        created_at=_time(record.get("createdAt"), "record.createdAt"),
        author_id=author_did,
        author_handle=handle,
        author_name=_string(author.get("displayName"), "author.displayName"),
        author_avatar_url=_string(author.get("avatar"), "author.avatar"),
        author_url=f"https://bsky.app/profile/{handle}",
        url=post_url(uri, handle),
        in_reply_to=in_reply_to,
        root_post=root_post,
        media_urls=_image_urls(record.get("embed"), author_did),
        raw=dict(view),
    )


def _reply_refs(record: Mapping[str, Any]) -> tuple[str, str]:
    reply = record.get("reply")
    if reply is None:
        return "", ""
    reply = _mapping(reply, "record.reply")
    parent = _mapping(reply.get("parent"), "record.reply.parent")
    root = _mapping(reply.get("root"), "record.reply.root")
    return (
        _string(parent.get("uri"), "record.reply.parent.uri", required=True),
        _string(root.get("uri"), "record.reply.root.uri", required=True),
    )


def _image_urls(embed: Any, did: str) -> tuple[str, ...]:
    """Return the CDN addresses of a post's images (plain or with a quote)."""
    if not isinstance(embed, Mapping):
        return ()
    if embed.get("$type") == "app.bsky.embed.recordWithMedia":
        return _image_urls(embed.get("media"), did)
    if embed.get("$type") != "app.bsky.embed.images":
        return ()
    images = embed.get("images")
    if not isinstance(images, list):
        raise PayloadError("record.embed.images is not a list")
    urls = []
    for image in images:
        blob = _mapping(
            _mapping(image, "embed.image").get("image"), "embed.image.image"
        )
        ref = _mapping(blob.get("ref"), "embed.image.image.ref")
        cid = _string(ref.get("$link"), "embed.image.image.ref.$link", required=True)
        urls.append(IMAGE_URL.format(did=did, cid=cid))
    return tuple(urls)


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PayloadError(f"{name} is missing or not an object")
    return value


def _string(
    value: Any, name: str, *, required: bool = False, allow_empty: bool = False
) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value and not allow_empty):
        raise PayloadError(f"{name} is missing or not text")
    return value


def _time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise PayloadError(f"{name} is missing or not a timestamp")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise PayloadError(f"{name} is not a timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
