"""Turn Mastodon payloads into `IncomingItem`s, refusing anything odd.

Entities: https://docs.joinmastodon.org/entities/Notification/ and
https://docs.joinmastodon.org/entities/Status/. Mastodon.py has already
cast ids to int and timestamps to datetime where it could; anything it
could not cast arrives as sent, so every field is checked here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any

from leitstelle.networks.base import IncomingItem, ItemKind, Quarantined, RemotePost

BLOCK_TAGS = {
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
}
SKIPPED_TAGS = {"script", "style"}
NOTIFICATION_TYPES = ("mention", "quote")


class PayloadError(ValueError):
    """A payload lacks a field the inbox needs, or has it in an odd type."""


PARSE_ERRORS = (PayloadError, KeyError, TypeError, ValueError, AttributeError)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Return the plain text of a status: tags dropped, line breaks kept.

    Links keep their full address: Mastodon splits it into visible and
    `invisible` spans, whose text is joined again here.
    """
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts).replace("\r", "")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def parse_notifications(
    notes: list[Any], *, account_id: str
) -> tuple[list[IncomingItem], list[Quarantined]]:
    """Parse a page of notifications; quarantine each one that is odd."""
    items: list[IncomingItem] = []
    quarantined: list[Quarantined] = []
    for note in notes:
        try:
            items.append(parse_notification(note, account_id=account_id))
        except PARSE_ERRORS as exc:
            quarantined.append(Quarantined(reason=str(exc), raw=jsonable(note)))
    return items, quarantined


def newest_id(notes: list[Any]) -> str | None:
    """Return the newest id: from the Link header, else the largest id."""
    newer = getattr(notes, "_pagination_prev", None)
    if isinstance(newer, dict) and newer.get("min_id") is not None:
        return str(newer["min_id"])
    ids = [
        str(note["id"])
        for note in notes
        if isinstance(note, dict) and isinstance(note.get("id"), int | str)
    ]
    return max(ids, key=lambda value: (len(value), value), default=None)


def parse_statuses(statuses: Any) -> tuple[IncomingItem, ...]:
    """Parse search results, leaving out what cannot be read."""
    found = []
    for status in statuses if isinstance(statuses, list) else []:
        try:
            found.append(
                parse_status(_mapping(status, "status"), kind=ItemKind.MENTION)
            )
        except PARSE_ERRORS:
            continue
    return tuple(found)


def remote_post(status: Any) -> RemotePost:
    return RemotePost(
        remote_id=str(status["id"]),
        url=status.get("url") or status.get("uri") or "",
        published_at=status.get("created_at"),
    )


def parse_notification(raw: Any, *, account_id: str) -> IncomingItem:
    """Return the status a mention or quote notification carries."""
    note = _mapping(raw, "notification")
    kind = note.get("type")
    if kind not in NOTIFICATION_TYPES:
        raise PayloadError(f"unexpected notification type {kind!r}")
    status = _mapping(note.get("status"), "status")
    item_kind = ItemKind.QUOTE if kind == "quote" else _status_kind(status, account_id)
    return parse_status(status, kind=item_kind, raw=jsonable(note))


def parse_status(
    status: Mapping[str, Any], *, kind: ItemKind, raw: Any = None
) -> IncomingItem:
    author = _mapping(status.get("account"), "status.account")
    in_reply_to = _optional_id(status.get("in_reply_to_id"), "status.in_reply_to_id")
    return IncomingItem(
        remote_id=_id(status.get("id"), "status.id"),
        kind=kind,
        text=_status_text(status),
        created_at=_time(status.get("created_at"), "status.created_at"),
        author_id=_id(author.get("id"), "account.id"),
        author_handle=_string(author.get("acct"), "account.acct", required=True),
        author_name=_string(author.get("display_name"), "account.display_name"),
        author_avatar_url=_string(author.get("avatar"), "account.avatar"),
        author_url=_string(author.get("url"), "account.url"),
        url=_string(status.get("url"), "status.url")
        or _string(status.get("uri"), "status.uri"),
        in_reply_to=in_reply_to,
        root_post=_root_post(status, kind, in_reply_to),
        media_urls=_media_urls(status.get("media_attachments")),
        edited_at=_optional_time(status.get("edited_at"), "status.edited_at"),
        raw=raw if raw is not None else jsonable(status),
    )


def jsonable(value: Any) -> Any:
    """Return `value` (Mastodon.py's entities) as plain JSON-compatible data."""
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _status_kind(status: Mapping[str, Any], account_id: str) -> ItemKind:
    if status.get("visibility") == "direct":
        return ItemKind.DIRECT_MESSAGE
    parent_author = _optional_id(
        status.get("in_reply_to_account_id"), "status.in_reply_to_account_id"
    )
    if parent_author and parent_author == account_id:
        return ItemKind.COMMENT
    if status.get("in_reply_to_id") is not None:
        return ItemKind.REPLY
    return ItemKind.MENTION


def _root_post(status: Mapping[str, Any], kind: ItemKind, in_reply_to: str) -> str:
    """Return our post a comment answers, or the post a quote quotes.

    Deeper replies leave it empty: they carry `in_reply_to`, which the inbox
    follows to the thread.
    """
    if kind == ItemKind.COMMENT:
        return in_reply_to
    if kind == ItemKind.QUOTE:
        quote = status.get("quote")
        if isinstance(quote, Mapping):
            quoted = quote.get("quoted_status")
            if isinstance(quoted, Mapping):
                return _optional_id(quoted.get("id"), "quote.quoted_status.id")
            return _optional_id(quote.get("quoted_status_id"), "quote.quoted_status_id")
    return ""


def _status_text(status: Mapping[str, Any]) -> str:
    body = html_to_text(_string(status.get("content"), "status.content", required=True))
    warning = _string(status.get("spoiler_text"), "status.spoiler_text").strip()
    return f"{warning}\n\n{body}" if warning else body


def _media_urls(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise PayloadError("status.media_attachments is not a list")
    urls = []
    for attachment in value:
        media = _mapping(attachment, "media_attachment")
        url = _string(media.get("url"), "media_attachment.url") or _string(
            media.get("remote_url"), "media_attachment.remote_url"
        )
        if url:
            urls.append(url)
    return tuple(urls)


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PayloadError(f"{name} is missing or not an object")
    return value


def _id(value: Any, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise PayloadError(f"{name} is missing or not an id")
    return str(value)


def _optional_id(value: Any, name: str) -> str:
    return "" if value is None else _id(value, name)


def _string(value: Any, name: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise PayloadError(f"{name} is missing or not text")
    return value


def _time(value: Any, name: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise PayloadError(f"{name} is not a timestamp") from None
    if not isinstance(value, datetime):
        raise PayloadError(f"{name} is missing or not a timestamp")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _optional_time(value: Any, name: str) -> datetime | None:
    return None if value is None else _time(value, name)
