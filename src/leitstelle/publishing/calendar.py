"""Date math of the editorial calendar: weeks Mon-Sun, month grids, Berlin time.

Every boundary is a local midnight in Europe/Berlin turned into an aware
datetime, so a day is 23 hours long in late March and 25 hours in late
October. Wall-clock times that do not exist (the hour skipped in spring) move
forward by the gap; times that occur twice (the hour repeated in autumn) mean
the first occurrence.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
ONE_DAY = timedelta(days=1)
# Years a calendar page may show; far outside, local midnights overflow.
YEARS = range(1970, 3000)

T = TypeVar("T")


@dataclass(frozen=True)
class Span:
    """The days from `first` up to, not including, `end`."""

    first: date
    end: date

    @property
    def days(self) -> list[date]:
        return [self.first + ONE_DAY * n for n in range((self.end - self.first).days)]

    @property
    def last(self) -> date:
        return self.end - ONE_DAY

    def bounds(self) -> tuple[datetime, datetime]:
        """Return the aware instants where the span starts and ends."""
        return day_start(self.first), day_start(self.end)


def local_date(moment: datetime) -> date:
    """Return the calendar day of the aware `moment` in Berlin."""
    return moment.astimezone(BERLIN).date()


def today() -> date:
    return local_date(datetime.now(UTC))


def at_local(day: date, clock: time) -> datetime:
    """Return `clock` on `day` in Berlin as an instant in UTC.

    Skipped times move on by the gap, repeated ones mean the first
    occurrence. UTC, because subtracting two datetimes of one zone ignores
    the change of offset between them.
    """
    naive = datetime.combine(day, clock.replace(tzinfo=None, fold=0))
    # A time in the spring gap gets the winter offset (fold=0): in UTC it is
    # the wall-clock time after the gap.
    return naive.replace(tzinfo=BERLIN).astimezone(UTC)


def day_start(day: date) -> datetime:
    """Return the instant of local midnight at the start of `day`."""
    return at_local(day, time(0, 0))


def move_to_day(moment: datetime, day: date) -> datetime:
    """Return `moment` moved to `day`, keeping its Berlin wall-clock time."""
    local = moment.astimezone(BERLIN)
    return at_local(day, local.time())


def week_start(day: date) -> date:
    """Return the Monday of the ISO week holding `day`."""
    return day - ONE_DAY * day.weekday()


def week_span(day: date) -> Span:
    first = week_start(day)
    return Span(first, first + 7 * ONE_DAY)


def month_span(year: int, month: int) -> Span:
    """Return the days of the month, first to last."""
    length = calendar.monthrange(year, month)[1]
    first = date(year, month, 1)
    return Span(first, first + ONE_DAY * length)


def month_grid_span(year: int, month: int) -> Span:
    """Return whole weeks, Monday to Sunday, covering the month."""
    month_days = month_span(year, month)
    return Span(week_start(month_days.first), week_start(month_days.last) + 7 * ONE_DAY)


def month_grid(year: int, month: int) -> list[list[date]]:
    """Return the weeks (Monday first) that show the month, 4 to 6 rows."""
    days = month_grid_span(year, month).days
    return [days[n : n + 7] for n in range(0, len(days), 7)]


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def week_key(day: date) -> str:
    """Return the ISO week of `day` as "2026-W48"."""
    iso = day.isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def parse_week(value: str | None) -> date | None:
    """Return the Monday of an ISO week written "2026-W48", or None."""
    found = WEEK_PATTERN.match(value or "")
    if not found or int(found[1]) not in YEARS:
        return None
    try:
        return date.fromisocalendar(int(found[1]), int(found[2]), 1)
    except ValueError:
        return None


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def parse_month(value: str | None) -> tuple[int, int] | None:
    """Return (year, month) of a month written "2026-11", or None."""
    found = MONTH_PATTERN.match(value or "")
    if not found:
        return None
    year, month = int(found[1]), int(found[2])
    if year not in YEARS or not 1 <= month <= 12:
        return None
    return year, month


def parse_day(value: str | None) -> date | None:
    """Return the day written "2026-11-26", or None."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if day.year in YEARS else None


def group_by_day(
    items: Iterable[T], moment: Callable[[T], datetime | None]
) -> dict[date, list[T]]:
    """Return `items` by their Berlin day, in the order given."""
    days: dict[date, list[T]] = {}
    for item in items:
        when = moment(item)
        if when is not None:
            days.setdefault(local_date(when), []).append(item)
    return days
