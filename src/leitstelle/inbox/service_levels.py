"""Service levels: when the first answer to an item is due, and timers.

`InboxSettings.response_minutes` maps a priority ("0" normal … "3" urgent)
to the minutes a citizen may wait for a first answer. The clock starts when
the item was written on its network, not when it was fetched: a poll that
comes late does not buy the team time. A priority above the highest
configured one uses that one's target. The due time is stored on the item
(`response_due_at`) so the "overdue" view is one index range; it is cleared
once the item is answered or closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leitstelle.core.audit import record_event
from leitstelle.inbox.models import (
    InboxSettings,
    Interaction,
    InteractionStatus,
    default_response_minutes,
)

PRIORITIES = (0, 1, 2, 3)
# Answered and closed items need no first answer any more.
CLOCK_STOPPED = (InteractionStatus.ANSWERED, InteractionStatus.CLOSED)
RUNNING = [s for s in InteractionStatus.values if s not in CLOCK_STOPPED]
# Below this much time left a timer turns amber.
SOON = timedelta(minutes=30)


def minutes_table() -> dict[int, int]:
    """Return target minutes per priority, without creating the settings row."""
    row = InboxSettings.objects.filter(pk=1).only("response_minutes").first()
    return normalise(row.response_minutes if row else default_response_minutes())


def normalise(values: Mapping[Any, Any]) -> dict[int, int]:
    """Return `values` as {priority: minutes}; bad entries fall back to defaults."""
    table = {int(k): int(v) for k, v in default_response_minutes().items()}
    for key, value in (values or {}).items():
        try:
            priority, minutes = int(key), int(value)
        except (TypeError, ValueError):
            continue
        if priority >= 0 and minutes > 0:
            table[priority] = minutes
    return table


def target_minutes(priority: int, table: Mapping[int, int]) -> int:
    """Return the target of `priority`: its own, else the nearest lower one."""
    known = [p for p in table if p <= max(priority, 0)]
    return table[max(known)] if known else table[min(table)]


def due_at(
    *, priority: int, written_at: datetime, table: Mapping[int, int]
) -> datetime:
    """Return when the first answer to an item written at `written_at` is due."""
    return written_at + timedelta(minutes=target_minutes(priority, table))


def due_for(item: Interaction, table: Mapping[int, int]) -> datetime | None:
    """Return `item`'s due time, or None when its clock does not run."""
    if item.status in CLOCK_STOPPED or item.first_response_at:
        return None
    return due_at(
        priority=item.priority, written_at=item.remote_created_at, table=table
    )


def reschedule(items: Iterable[Interaction], table: Mapping[int, int]) -> None:
    """Set each item's `response_due_at` in memory; the caller saves it."""
    for item in items:
        item.response_due_at = due_for(item, table)


@transaction.atomic
def update_settings(
    *,
    response_minutes: Mapping[int, int],
    raw_retention_days: int,
    actor: Any,
    request: HttpRequest | None = None,
) -> InboxSettings:
    """Save the service levels and move the due times of waiting items."""
    settings_row = InboxSettings.current()
    before = normalise(settings_row.response_minutes)
    table = normalise(response_minutes)
    settings_row.response_minutes = {str(k): v for k, v in sorted(table.items())}
    settings_row.raw_retention_days = raw_retention_days
    settings_row.save()
    moved = reschedule_waiting(table) if table != before else 0
    record_event(
        action="inbox.settings_changed",
        actor=actor,
        target=settings_row,
        details={
            "response_minutes": settings_row.response_minutes,
            "raw_retention_days": raw_retention_days,
            "rescheduled": moved,
        },
        request=request,
    )
    return settings_row


def reschedule_waiting(table: Mapping[int, int]) -> int:
    """Recompute the due time of every item whose clock runs; return how many."""
    waiting = Interaction.objects.filter(response_due_at__isnull=False)
    moved = 0
    priorities = waiting.order_by().values_list("priority", flat=True).distinct()
    for priority in sorted(priorities):
        minutes = timedelta(minutes=target_minutes(priority, table))
        moved += waiting.filter(priority=priority).update(
            response_due_at=F("remote_created_at") + minutes
        )
    return moved


@dataclass(frozen=True)
class Timer:
    """What a row shows about its service level."""

    label: str
    state: str  # "ok", "soon" or "overdue"
    due: datetime


def timer(item: Interaction, now: datetime | None = None) -> Timer | None:
    """Return the timer of `item`, or None when no answer is due."""
    due = item.response_due_at
    if due is None or item.status in CLOCK_STOPPED:
        return None
    left = due - (now or timezone.now())
    if left < timedelta(0):
        return Timer(_("overdue %(time)s") % {"time": duration(-left)}, "overdue", due)
    state = "soon" if left <= SOON else "ok"
    return Timer(_("due in %(time)s") % {"time": duration(left)}, state, due)


def duration(delta: timedelta) -> str:
    """Return `delta` short and rounded down: "25 min", "2 h", "3 days"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return ngettext("%(n)d min", "%(n)d min", minutes) % {"n": max(minutes, 0)}
    hours = minutes // 60
    if hours < 48:
        return ngettext("%(n)d h", "%(n)d h", hours) % {"n": hours}
    days = hours // 24
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def timer_labels() -> dict[str, str]:
    """Return the timer texts with "{time}" and "{n}" holes, for the browser.

    The page's script (inbox-workflow.js) counts the timers down between
    reloads with these, in the user's language.
    """

    def form(singular: str, plural: str, n: int) -> str:
        return ngettext(singular, plural, n).replace("%(n)d", "{n}")

    return {
        "due": _("due in %(time)s").replace("%(time)s", "{time}"),
        "overdue": _("overdue %(time)s").replace("%(time)s", "{time}"),
        "min": form("%(n)d min", "%(n)d min", 2),
        "hour": form("%(n)d h", "%(n)d h", 2),
        "day": form("%(n)d day", "%(n)d days", 1),
        "days": form("%(n)d day", "%(n)d days", 2),
    }
