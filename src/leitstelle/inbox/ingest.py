"""Store one page of incoming items: authors, interactions, edits, quarantine.

`ingest_page` runs in ONE transaction with the channel row locked: the
page's rows and the channel's new cursor are committed together, so the
cursor never moves past items that were not stored, and two pollers of the
same channel wait for each other. It is idempotent: the same page twice
stores each item once; an item whose text changed is an edit (the old text
is kept as an `InteractionRevision`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone

from leitstelle.inbox import classification, service_levels
from leitstelle.inbox.models import (
    Author,
    Interaction,
    InteractionRevision,
    QuarantinedPayload,
)
from leitstelle.networks.base import (
    IncomingItem,
    InteractionPage,
    ItemKind,
    Quarantined,
)
from leitstelle.networks.models import Channel, ChannelStatus

REMOTE_ID_LENGTH = Interaction._meta.get_field("remote_id").max_length
NAME_LENGTH = Author._meta.get_field("name").max_length
URL_LENGTH = Interaction._meta.get_field("url").max_length
# A successful page heals these states; paused or unauthorised channels wait
# for an admin, whatever a poll that started earlier brings back.
HEALABLE = (ChannelStatus.ACTIVE, ChannelStatus.FAILING, ChannelStatus.RATE_LIMITED)
# What an edit that triage reclassifies loads and saves (see `classification`).
TRIAGE_LOAD = (
    "status",
    "priority",
    "categories",
    "first_response_at",
    "remote_created_at",
)
TRIAGE_SAVE = ["language", "categories", "priority", "triage", "response_due_at"]
CHANNEL_FIELDS = [
    "cursor",
    "status",
    "failure_count",
    "rate_limited_until",
    "last_sync_at",
]


@dataclass(frozen=True)
class IngestResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0

    def __add__(self, other: IngestResult) -> IngestResult:
        return IngestResult(
            created=self.created + other.created,
            updated=self.updated + other.updated,
            unchanged=self.unchanged + other.unchanged,
            quarantined=self.quarantined + other.quarantined,
        )


class InvalidItem(ValueError):
    """An item the inbox cannot store as it is; it goes to quarantine."""


@dataclass(frozen=True)
class _Clean:
    """An item with every field made storable."""

    remote_id: str
    kind: str
    text: str
    created_at: datetime
    edited_at: datetime | None
    author_id: str
    author_handle: str
    author_name: str
    author_avatar_url: str
    author_url: str
    url: str
    in_reply_to: str
    root_post: str
    media_urls: list[str]
    raw: Any


def strip_nul(value: str) -> str:
    """Return text both databases store: no NUL, no lone surrogates.

    PostgreSQL refuses NUL characters; broken UTF-16 in a network's JSON
    (a lone surrogate) cannot be encoded as UTF-8 at all, so it becomes
    U+FFFD, the replacement character.
    """
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def clean_json(value: Any) -> Any:
    """Return `value` as JSON both databases accept (no NUL, no NaN)."""
    if isinstance(value, str):
        return strip_nul(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {strip_nul(str(key)): clean_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(item) for item in value]
    return strip_nul(str(value))


def raw_text(raw: Any) -> str:
    """Serialise a quarantined payload: JSON when it can be, repr otherwise."""
    try:
        text = json.dumps(raw, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(raw)
    return strip_nul(text)


def _text(value: Any, name: str, *, limit: int | None = None) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidItem(f"{name} is {type(value).__name__}, not a string")
    value = strip_nul(value)
    return value[:limit] if limit else value


def _url(value: Any, name: str) -> str:
    """A URL too long to store is dropped, not cut: a cut URL is wrong."""
    value = _text(value, name)
    return value if len(value) <= URL_LENGTH else ""


def _media_url(value: Any) -> str:
    return _url(value, "media_urls") if isinstance(value, str) else ""


def _remote_id(value: Any, name: str, *, required: bool) -> str:
    value = _text(value, name).strip()
    if required and not value:
        raise InvalidItem(f"{name} is empty")
    if len(value) > REMOTE_ID_LENGTH:
        raise InvalidItem(f"{name} is longer than {REMOTE_ID_LENGTH} characters")
    return value


def _moment(value: Any, name: str, *, required: bool) -> datetime | None:
    if value is None and not required:
        return None
    if not isinstance(value, datetime):
        raise InvalidItem(f"{name} is {type(value).__name__}, not a datetime")
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def clean_item(item: IncomingItem) -> _Clean:
    """Check and normalise one item; raise `InvalidItem` when it cannot be."""
    try:
        kind = ItemKind(item.kind).value
    except ValueError:
        raise InvalidItem(f"unknown kind {item.kind!r}") from None
    media = item.media_urls if isinstance(item.media_urls, list | tuple) else ()
    return _Clean(
        remote_id=_remote_id(item.remote_id, "remote_id", required=True),
        kind=kind,
        text=_text(item.text, "text"),
        created_at=_moment(item.created_at, "created_at", required=True),
        edited_at=_moment(item.edited_at, "edited_at", required=False),
        author_id=_remote_id(item.author_id, "author_id", required=True),
        author_handle=_text(item.author_handle, "author_handle", limit=NAME_LENGTH),
        author_name=_text(item.author_name, "author_name", limit=NAME_LENGTH),
        author_avatar_url=_url(item.author_avatar_url, "author_avatar_url"),
        author_url=_url(item.author_url, "author_url"),
        url=_url(item.url, "url"),
        in_reply_to=_remote_id(item.in_reply_to, "in_reply_to", required=False),
        root_post=_remote_id(item.root_post, "root_post", required=False),
        media_urls=[url for url in map(_media_url, media) if url],
        raw=clean_json(item.raw),
    )


def _clean_page(
    items: Iterable[IncomingItem],
) -> tuple[dict[str, _Clean], list[Quarantined]]:
    """Clean the items; a remote id twice in a page is stored once (the last)."""
    cleaned: dict[str, _Clean] = {}
    rejected: list[Quarantined] = []
    for item in items:
        try:
            clean = clean_item(item)
        except Exception as exc:
            rejected.append(
                Quarantined(f"{type(exc).__name__}: {exc}", getattr(item, "raw", item))
            )
            continue
        cleaned.pop(clean.remote_id, None)
        cleaned[clean.remote_id] = clean
    return cleaned, rejected


def _upsert_authors(channel: Channel, items: Iterable[_Clean]) -> dict[str, int]:
    """Create new authors, update changed ones; return remote id → pk."""
    seen: dict[str, _Clean] = {}
    for item in items:
        seen[item.author_id] = item
    if not seen:
        return {}
    now = timezone.now()
    existing = {
        author.remote_id: author
        for author in Author.objects.filter(
            channel=channel, remote_id__in=list(seen)
        ).only("id", "remote_id", "handle", "name", "avatar_url", "profile_url")
    }
    new, changed = [], []
    for remote_id, item in seen.items():
        values = {
            "handle": item.author_handle,
            "name": item.author_name,
            "avatar_url": item.author_avatar_url,
            "profile_url": item.author_url,
        }
        author = existing.get(remote_id)
        if author is None:
            new.append(
                Author(
                    channel=channel,
                    remote_id=remote_id,
                    first_seen_at=now,
                    last_seen_at=now,
                    **values,
                )
            )
            continue
        # A network that leaves a field out does not erase what we know.
        updates = {k: v for k, v in values.items() if v and getattr(author, k) != v}
        if updates:
            for key, value in updates.items():
                setattr(author, key, value)
            changed.append(author)
    if existing:
        Author.objects.filter(pk__in=[a.pk for a in existing.values()]).update(
            last_seen_at=now
        )
    if changed:
        Author.objects.bulk_update(
            changed, ["handle", "name", "avatar_url", "profile_url"]
        )
    if new:
        Author.objects.bulk_create(new)
        if any(author.pk is None for author in new):  # backends without RETURNING
            new = list(
                Author.objects.filter(
                    channel=channel, remote_id__in=[a.remote_id for a in new]
                ).only("id", "remote_id")
            )
    return {
        remote_id: author.pk
        for remote_id, author in (
            *existing.items(),
            *((author.remote_id, author) for author in new),
        )
    }


def _interaction(channel: Channel, item: _Clean, author_id: int) -> Interaction:
    return Interaction(
        channel=channel,
        remote_id=item.remote_id,
        kind=item.kind,
        author_id=author_id,
        text=item.text,
        url=item.url,
        remote_created_at=item.created_at,
        edited_at=item.edited_at,
        in_reply_to=item.in_reply_to,
        root_post=item.root_post,
        thread_key=item.root_post or item.remote_id,
        media_urls=item.media_urls,
        raw=item.raw,
    )


def _store(channel: Channel, items: dict[str, _Clean]) -> tuple[int, int, int]:
    """Insert new items, record edits; return (created, updated, unchanged)."""
    if not items:
        return 0, 0, 0
    authors = _upsert_authors(channel, items.values())
    existing = {
        remote_id: (pk, text)
        for pk, remote_id, text in Interaction.objects.filter(
            channel=channel, remote_id__in=list(items)
        ).values_list("pk", "remote_id", "text")
    }
    new = [
        _interaction(channel, item, authors[item.author_id])
        for remote_id, item in items.items()
        if remote_id not in existing
    ]
    edited = {
        existing[remote_id][0]: item
        for remote_id, item in items.items()
        if remote_id in existing and existing[remote_id][1] != item.text
    }
    # Triage before the rows are written: the due times follow the priority.
    triaged = classification.triage_page(
        new=new, edits={pk: item.text for pk, item in edited.items()}
    )
    if new:
        _set_due_times(new)
        Interaction.objects.bulk_create(new)
    if edited:
        _record_edits(edited, triaged)
    return len(new), len(edited), len(items) - len(new) - len(edited)


def _set_due_times(rows: list[Interaction]) -> None:
    """Start each new item's first-answer clock (see `service_levels`)."""
    table = service_levels.minutes_table()
    for row in rows:
        row.response_due_at = service_levels.due_at(
            priority=row.priority, written_at=row.remote_created_at, table=table
        )


def _record_edits(
    edited: dict[int, _Clean], triaged: dict[int, Any] | None = None
) -> None:
    """Keep the old text as a revision; the interaction gets the new one.

    Items in `triaged` (pk → classification) also get its triage and the
    due time of their new priority.
    """
    now = timezone.now()
    triaged = triaged or {}
    before = Interaction.objects.filter(pk__in=list(edited)).only(
        "id", "text", "edited_at", "raw", *(TRIAGE_LOAD if triaged else ())
    )
    revisions, rows, reclassified = [], [], []
    for row in before:
        item = edited[row.pk]
        revisions.append(
            InteractionRevision(
                interaction_id=row.pk,
                text=row.text,
                edited_at=row.edited_at,
                raw=row.raw,
                recorded_at=now,
            )
        )
        row.text = item.text
        row.edited_at = item.edited_at or now
        row.raw = item.raw
        row.updated_at = now
        rows.append(row)
        if row.pk in triaged:
            classification.apply_edit(row, triaged[row.pk])
            reclassified.append(row)
    InteractionRevision.objects.bulk_create(revisions)
    _update_rows(rows, ["text", "edited_at", "raw", "updated_at"])
    if reclassified:
        table = service_levels.minutes_table()
        service_levels.reschedule(reclassified, table)
        _update_rows(reclassified, TRIAGE_SAVE)


def _update_rows(rows: list[Interaction], names: list[str]) -> None:
    """Save `names` of each row with one prepared UPDATE run for all rows.

    Much faster than `bulk_update`, whose CASE expression per row and field
    costs more to build than the database needs to run it.
    """
    connection = connections[router.db_for_write(Interaction)]
    quote = connection.ops.quote_name
    meta = Interaction._meta
    fields = [meta.get_field(name) for name in names]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    # Only quoted names from the model's meta go into the SQL; values are params.
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    params = [
        [
            field.get_db_prep_save(getattr(row, field.attname), connection)
            for field in fields
        ]
        + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _quarantine(channel: Channel, entries: Iterable[Quarantined]) -> int:
    rows = [
        QuarantinedPayload(
            channel=channel,
            reason=strip_nul(str(entry.reason)) or "?",
            raw_body=raw_text(entry.raw),
        )
        for entry in entries
    ]
    QuarantinedPayload.objects.bulk_create(rows)
    return len(rows)


def ingest_page(*, channel: Channel, page: InteractionPage) -> IngestResult:
    """Store `page` and move the channel's cursor, all or nothing.

    Items that cannot be stored (a missing id, a wrong type) are
    quarantined with the reason; they never stop the rest of the page.
    Updates `channel` in place with its new cursor and health.
    """
    items, rejected = _clean_page(page.items)
    rejected = [*page.quarantined, *rejected]
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        created, updated, unchanged = _store(locked, items)
        quarantined = _quarantine(locked, rejected) if rejected else 0
        locked.cursor = clean_json(page.cursor)
        if locked.status in HEALABLE:
            locked.record_success()
        else:
            locked.last_sync_at = timezone.now()
        locked.save(update_fields=CHANNEL_FIELDS)
    for field in CHANNEL_FIELDS:
        setattr(channel, field, getattr(locked, field))
    return IngestResult(
        created=created, updated=updated, unchanged=unchanged, quarantined=quarantined
    )
