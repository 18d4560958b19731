"""The inbox list: visible interactions, filters and keyset pagination.

Pages are cut by (remote_created_at, id), newest first, never by OFFSET and
never with COUNT(*): the cursor in the URL is that pair of the last row
shown, so a page costs one index range scan however deep it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connections
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from leitstelle.inbox import search
from leitstelle.inbox.models import Interaction
from leitstelle.networks.models import Channel

PAGE_SIZE = 50
# Columns the list never shows: raw payloads are large, credentials secret.
LEAN = (
    "raw",
    "channel__config",
    "channel__credentials_encrypted",
    "channel__cursor",
    "channel__last_error",
)
URGENT_PRIORITY = 3
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
SQLITE_HAS_CATEGORY = (
    "EXISTS (SELECT 1 FROM json_each(inbox_interaction.categories) "
    "WHERE json_each.value = %s)"
)


@dataclass(frozen=True)
class Page:
    items: list[Interaction]
    older: str
    newer: str


def encode_cursor(item: Interaction) -> str:
    """Return the cursor after `item`: microseconds since 1970, a dot, the id."""
    return f"{(item.remote_created_at - EPOCH) // MICROSECOND}.{item.pk}"


def decode_cursor(value: str | None) -> tuple[datetime, int] | None:
    """Return the (time, id) pair of a cursor, or None if it is malformed."""
    micros, _, pk = (value or "").partition(".")
    try:
        return EPOCH + int(micros) * MICROSECOND, int(pk)
    except (ValueError, OverflowError):
        return None


def visible_interactions(user: Any) -> QuerySet[Interaction]:
    """Return the interactions on the channels `user` may see."""
    channels = Channel.objects.visible_to(user).values("pk")
    return Interaction.objects.filter(channel__in=channels)


def has_category(queryset: QuerySet, category: str) -> QuerySet:
    if connections[queryset.db].vendor == "postgresql":
        return queryset.filter(categories__contains=[category])
    return queryset.filter(
        RawSQL(SQLITE_HAS_CATEGORY, [category], output_field=BooleanField())  # noqa: S611
    )


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_interactions(queryset: QuerySet, *, user: Any, **filters: Any) -> QuerySet:
    """Narrow `queryset` by the list's filter fields; empty values are ignored."""
    simple = {
        "channel": "channel",
        "network": "channel__kind",
        "status": "status",
        "language": "language",
        "root_post": "root_post",
        "priority_min": "priority__gte",
    }
    for name, lookup in simple.items():
        if filters.get(name) not in (None, ""):
            queryset = queryset.filter(**{lookup: filters[name]})
    if filters.get("category"):
        queryset = has_category(queryset, filters["category"])
    if filters.get("date_from"):
        queryset = queryset.filter(
            remote_created_at__gte=day_start(filters["date_from"])
        )
    if filters.get("date_to"):
        end = day_start(filters["date_to"] + timedelta(days=1))
        queryset = queryset.filter(remote_created_at__lt=end)
    queryset = filter_assignee(queryset, filters.get("assignee") or "", user)
    return search.search(queryset, filters.get("q") or "")


def filter_assignee(queryset: QuerySet, assignee: str, user: Any) -> QuerySet:
    if assignee == "me":
        return queryset.filter(assignee=user)
    if assignee == "none":
        return queryset.filter(assignee__isnull=True)
    return queryset.filter(assignee_id=int(assignee)) if assignee else queryset


def keyset_page(
    queryset: QuerySet, *, before: str | None = None, after: str | None = None
) -> Page:
    """Return one page, newest first: older than `before` or newer than `after`."""
    queryset = queryset.select_related("channel", "author", "assignee").defer(*LEAN)
    newer_key = decode_cursor(after) if after and not before else None
    if newer_key:
        at, pk = newer_key
        rows = queryset.filter(remote_created_at__gte=at)
        rows = rows.filter(Q(remote_created_at__gt=at) | Q(id__gt=pk))
        rows = list(rows.order_by("remote_created_at", "id")[: PAGE_SIZE + 1])
        more_newer, items = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE][::-1]
        return Page(items, cursor_of(items, -1), cursor_of(items, 0, more_newer))
    older_key = decode_cursor(before)
    if older_key:
        at, pk = older_key
        queryset = queryset.filter(remote_created_at__lte=at)
        queryset = queryset.filter(Q(remote_created_at__lt=at) | Q(id__lt=pk))
    rows = list(queryset.order_by("-remote_created_at", "-id")[: PAGE_SIZE + 1])
    items = rows[:PAGE_SIZE]
    return Page(
        items,
        cursor_of(items, -1, len(rows) > PAGE_SIZE),
        cursor_of(items, 0, bool(older_key)),
    )


def cursor_of(items: list[Interaction], index: int, wanted: bool = True) -> str:
    return encode_cursor(items[index]) if items and wanted else ""
