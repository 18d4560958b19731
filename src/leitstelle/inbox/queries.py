"""The inbox list: visible interactions, filters and keyset pagination.

Pages are cut by the sort key, by default (remote_created_at, id) newest
first, never by OFFSET and never with COUNT(*): the cursor in the URL is
the key of the last row shown, so a page costs one index range scan however
deep it is. The other sorts (oldest first, priority, due time) page the
same way on their own key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connections
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from leitstelle.core.navigation import NavCount
from leitstelle.inbox import search
from leitstelle.inbox.models import Interaction, InteractionStatus
from leitstelle.networks.models import Channel
from leitstelle.publishing import services as publishing

PAGE_SIZE = 50
# Columns the list never shows: raw payloads are large, credentials secret.
LEAN = (
    "raw",
    "triage",  # the list shows categories and priority, not triage's details
    "channel__config",
    "channel__credentials_encrypted",
    "channel__cursor",
    "channel__last_error",
)
URGENT_PRIORITY = 3
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# SQLite has no JSON containment; the column names are fixed here.
SQLITE_HAS_VALUE = {
    "categories": (
        "EXISTS (SELECT 1 FROM json_each(inbox_interaction.categories) "
        "WHERE json_each.value = %s)"
    ),
    "tags": (
        "EXISTS (SELECT 1 FROM json_each(inbox_interaction.tags) "
        "WHERE json_each.value = %s)"
    ),
}
# The pseudo-status "to do": everything not yet answered or closed.
TODO = "todo"
TODO_STATUSES = (
    InteractionStatus.NEW,
    InteractionStatus.OPEN,
    InteractionStatus.WAITING,
    InteractionStatus.ESCALATED,
)
NAV_STATUSES = (InteractionStatus.NEW, InteractionStatus.OPEN)
NAV_CAP = 999


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


def has_json_value(queryset: QuerySet, name: str, value: str) -> QuerySet:
    """Return the rows whose JSON list column `name` contains `value`."""
    if connections[queryset.db].vendor == "postgresql":
        return queryset.filter(**{f"{name}__contains": [value]})
    return queryset.filter(
        RawSQL(SQLITE_HAS_VALUE[name], [value], output_field=BooleanField())  # noqa: S611
    )


def has_category(queryset: QuerySet, category: str) -> QuerySet:
    return has_json_value(queryset, "categories", category)


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_interactions(queryset: QuerySet, *, user: Any, **filters: Any) -> QuerySet:
    """Narrow `queryset` by the list's filter fields; empty values are ignored."""
    simple = {
        "channel": "channel",
        "network": "channel__kind",
        "language": "language",
        "root_post": "root_post",
        "priority_min": "priority__gte",
    }
    for name, lookup in simple.items():
        if filters.get(name) not in (None, ""):
            queryset = queryset.filter(**{lookup: filters[name]})
    queryset = filter_status(queryset, filters.get("status") or "")
    if filters.get("category"):
        queryset = has_category(queryset, filters["category"])
    if filters.get("tag"):
        queryset = has_json_value(queryset, "tags", filters["tag"])
    if filters.get("campaign"):
        queryset = on_campaign(queryset, filters["campaign"].pk)
    if filters.get("overdue"):
        queryset = queryset.filter(response_due_at__lt=timezone.now())
    if filters.get("date_from"):
        queryset = queryset.filter(
            remote_created_at__gte=day_start(filters["date_from"])
        )
    if filters.get("date_to"):
        end = day_start(filters["date_to"] + timedelta(days=1))
        queryset = queryset.filter(remote_created_at__lt=end)
    queryset = filter_assignee(queryset, filters.get("assignee") or "", user)
    return search.search(queryset, filters.get("q") or "")


def on_campaign(queryset: QuerySet, campaign_id: int) -> QuerySet:
    """Keep the items answering a post of the campaign, on its channel."""
    ours = publishing.publications_of_campaign(campaign_id).filter(
        channel_id=OuterRef("channel_id"), remote_id=OuterRef("root_post")
    )
    return queryset.filter(Exists(ours))


def filter_status(queryset: QuerySet, status: str) -> QuerySet:
    if status == TODO:
        return queryset.filter(status__in=TODO_STATUSES)
    return queryset.filter(status=status) if status else queryset


def filter_assignee(queryset: QuerySet, assignee: str, user: Any) -> QuerySet:
    if assignee == "me":
        return queryset.filter(assignee=user)
    if assignee == "none":
        return queryset.filter(assignee__isnull=True)
    return queryset.filter(assignee_id=int(assignee)) if assignee else queryset


@dataclass(frozen=True)
class Sort:
    """An order of the list: key fields, all in one direction, id last."""

    fields: tuple[str, ...]
    descending: bool
    # Only rows with a value in the first field take part (no NULLs to page).
    requires_first: bool = False

    def order(self, *, reverse: bool = False) -> list[str]:
        prefix = "-" if self.descending != reverse else ""
        return [prefix + name for name in self.fields]

    def values(self, item: Interaction) -> tuple[Any, ...]:
        return tuple(getattr(item, name) for name in self.fields)

    def after(self, key: tuple[Any, ...], *, reverse: bool = False) -> Q:
        """Return the condition "comes after `key` in this order"."""
        later = "lt" if self.descending != reverse else "gt"
        condition = Q()
        for index, name in enumerate(self.fields):
            equal = {self.fields[i]: key[i] for i in range(index)}
            condition |= Q(**equal, **{f"{name}__{later}": key[index]})
        return Q(**{f"{self.fields[0]}__{later}e": key[0]}) & condition


SORTS = {
    "newest": Sort(("remote_created_at", "id"), descending=True),
    "oldest": Sort(("remote_created_at", "id"), descending=False),
    "priority": Sort(("priority", "remote_created_at", "id"), descending=True),
    "due": Sort(("response_due_at", "id"), descending=False, requires_first=True),
}
DEFAULT_SORT = "newest"


def encode_key(values: tuple[Any, ...]) -> str:
    """Return a cursor: each value as an integer (times in µs since 1970)."""
    return ".".join(
        str((v - EPOCH) // MICROSECOND if isinstance(v, datetime) else int(v))
        for v in values
    )


def decode_key(value: str | None, sort: Sort) -> tuple[Any, ...] | None:
    """Return the key of a cursor for `sort`, or None if it is malformed."""
    parts = (value or "").split(".")
    if len(parts) != len(sort.fields):
        return None
    key: list[Any] = []
    try:
        for name, part in zip(sort.fields, parts, strict=True):
            number = int(part)
            is_time = name in ("remote_created_at", "response_due_at")
            key.append(EPOCH + number * MICROSECOND if is_time else number)
    except (ValueError, OverflowError):
        return None
    return tuple(key)


def keyset_page(
    queryset: QuerySet,
    *,
    before: str | None = None,
    after: str | None = None,
    sort: str = DEFAULT_SORT,
) -> Page:
    """Return one page in `sort` order: after the cursor `before` (the next
    page, "older" in the default order) or before the cursor `after`.
    """
    order = SORTS.get(sort) or SORTS[DEFAULT_SORT]
    queryset = queryset.select_related("channel", "author", "assignee").defer(*LEAN)
    if order.requires_first:
        queryset = queryset.filter(**{f"{order.fields[0]}__isnull": False})
    previous_key = decode_key(after, order) if after and not before else None
    if previous_key:
        rows = queryset.filter(order.after(previous_key, reverse=True))
        rows = list(rows.order_by(*order.order(reverse=True))[: PAGE_SIZE + 1])
        more, items = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE][::-1]
        return Page(items, key_of(order, items, -1), key_of(order, items, 0, more))
    next_key = decode_key(before, order)
    if next_key:
        queryset = queryset.filter(order.after(next_key))
    rows = list(queryset.order_by(*order.order())[: PAGE_SIZE + 1])
    items = rows[:PAGE_SIZE]
    return Page(
        items,
        key_of(order, items, -1, len(rows) > PAGE_SIZE),
        key_of(order, items, 0, bool(next_key)),
    )


def key_of(
    sort: Sort, items: list[Interaction], index: int, wanted: bool = True
) -> str:
    return encode_key(sort.values(items[index])) if items and wanted else ""


def cursor_of(items: list[Interaction], index: int, wanted: bool = True) -> str:
    return encode_cursor(items[index]) if items and wanted else ""


@dataclass(frozen=True)
class InboxCounts:
    """What the navigation shows next to "Inbox"; each capped at NAV_CAP."""

    todo: int
    overdue: int

    def __bool__(self) -> bool:
        return bool(self.todo or self.overdue)


def nav_counts(user: Any) -> InboxCounts:
    """Count `user`'s visible new and open items and the overdue ones.

    One query of two counts, each over at most NAV_CAP + 1 rows: in a surge
    with a hundred thousand open items the navigation says "1000+" and
    costs no more than with a thousand.
    """
    visible = visible_interactions(user).order_by()
    fresh = visible.filter(status__in=NAV_STATUSES).values("id")[: NAV_CAP + 1]
    late = visible.filter(response_due_at__lt=timezone.now()).values("id")
    late = late[: NAV_CAP + 1]
    fresh_sql, fresh_params = fresh.query.sql_with_params()
    late_sql, late_params = late.query.sql_with_params()
    # Both parts are SQL the ORM compiled; every value is a bound parameter.
    sql = (
        f"SELECT (SELECT COUNT(*) FROM ({fresh_sql}) fresh), "  # noqa: S608
        f"(SELECT COUNT(*) FROM ({late_sql}) late)"
    )
    with connections[visible.db].cursor() as cursor:
        cursor.execute(sql, [*fresh_params, *late_params])
        todo, overdue = cursor.fetchone()
    return InboxCounts(todo=todo, overdue=overdue)


def capped(number: int) -> str:
    return f"{NAV_CAP}+" if number > NAV_CAP else str(number)


def nav_badge(user: Any) -> NavCount | None:
    """Return the navigation's count for the inbox, None when all is done."""
    counts = nav_counts(user)
    if not counts:
        return None
    alert = ""
    if counts.overdue:
        alert = ngettext("%(n)s overdue", "%(n)s overdue", counts.overdue) % {
            "n": capped(counts.overdue)
        }
    description = ngettext(
        "%(n)s new or open item", "%(n)s new or open items", counts.todo
    ) % {"n": capped(counts.todo)}
    return NavCount(text=capped(counts.todo), description=description, alert=alert)


@dataclass(frozen=True)
class BuiltinView:
    slug: str
    label: Any
    query: str


BUILTIN_VIEWS = (
    BuiltinView("mine", _("Mine"), "assignee=me&status=todo"),
    BuiltinView("unassigned", _("Unassigned"), "assignee=none&status=todo"),
    BuiltinView("urgent", _("Urgent"), f"priority_min={URGENT_PRIORITY}&status=todo"),
    BuiltinView("waiting", _("Waiting for answer"), "status=waiting"),
    BuiltinView("overdue", _("Overdue"), "overdue=on&sort=due"),
)
