"""Calendar date math: Monday weeks, month grids, Berlin days across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from leitstelle.publishing import calendar
from leitstelle.publishing.calendar import BERLIN

DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
MOMENTS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31)
).map(lambda naive: naive.replace(tzinfo=UTC))


def test_it_makes_the_spring_day_23_hours_long():
    start, end = calendar.Span(date(2026, 3, 29), date(2026, 3, 30)).bounds()

    assert end - start == timedelta(hours=23)
    assert start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)


def test_it_makes_the_autumn_day_25_hours_long():
    start, end = calendar.Span(date(2026, 10, 25), date(2026, 10, 26)).bounds()

    assert end - start == timedelta(hours=25)
    assert end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)


def test_it_keeps_the_wall_clock_when_moving_across_the_change_to_summer_time():
    winter = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)  # 09:00 CET

    moved = calendar.move_to_day(winter, date(2026, 3, 30))

    assert moved.astimezone(BERLIN).time() == time(9, 0)
    assert moved.astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_it_keeps_the_wall_clock_when_moving_across_the_change_to_winter_time():
    summer = datetime(2026, 10, 23, 16, 30, tzinfo=UTC)  # 18:30 CEST

    moved = calendar.move_to_day(summer, date(2026, 10, 26))

    assert moved.astimezone(BERLIN).time() == time(18, 30)
    assert moved.astimezone(UTC) == datetime(2026, 10, 26, 17, 30, tzinfo=UTC)


def test_it_moves_a_skipped_time_forward_by_the_gap():
    moment = calendar.at_local(date(2026, 3, 29), time(2, 30))

    assert moment.astimezone(BERLIN).time() == time(3, 30)
    assert moment.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_it_takes_the_first_of_a_repeated_time():
    moment = calendar.at_local(date(2026, 10, 25), time(2, 30))

    assert moment.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_it_reads_the_local_day_not_the_utc_day():
    late_utc = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)  # 00:30 on 1 July

    assert calendar.local_date(late_utc) == date(2026, 7, 1)


def test_it_starts_weeks_on_monday():
    span = calendar.week_span(date(2026, 11, 26))  # a Thursday

    assert span.first == date(2026, 11, 23)
    assert span.last == date(2026, 11, 29)
    assert [day.weekday() for day in span.days] == [0, 1, 2, 3, 4, 5, 6]


def test_it_names_the_53rd_week_across_new_year():
    monday = calendar.parse_week("2026-W53")

    assert monday == date(2026, 12, 28)
    assert calendar.week_span(monday).last == date(2027, 1, 3)
    assert calendar.week_key(date(2027, 1, 3)) == "2026-W53"


def test_it_refuses_weeks_that_do_not_exist():
    assert calendar.parse_week("2025-W53") is None
    assert calendar.parse_week("2026-W00") is None
    assert calendar.parse_week("2026-48") is None
    assert calendar.parse_week(None) is None


def test_it_needs_four_rows_for_a_february_starting_on_monday():
    grid = calendar.month_grid(2021, 2)

    assert len(grid) == 4
    assert grid[0][0] == date(2021, 2, 1)
    assert grid[-1][-1] == date(2021, 2, 28)


def test_it_needs_six_rows_for_a_month_starting_on_sunday():
    grid = calendar.month_grid(2026, 11)

    assert len(grid) == 6
    assert grid[0][0] == date(2026, 10, 26)
    assert grid[0][-1] == date(2026, 11, 1)
    assert grid[-1][-1] == date(2026, 12, 6)


def test_it_shifts_months_across_years():
    assert calendar.shift_month(2026, 12, 1) == (2027, 1)
    assert calendar.shift_month(2026, 1, -1) == (2025, 12)
    assert calendar.shift_month(2026, 5, -17) == (2024, 12)


def test_it_parses_months_and_days_within_sane_years():
    assert calendar.parse_month("2026-11") == (2026, 11)
    assert calendar.parse_month("2026-13") is None
    assert calendar.parse_month("0001-01") is None
    assert calendar.parse_day("2026-11-26") == date(2026, 11, 26)
    assert calendar.parse_day("2026-02-30") is None
    assert calendar.parse_day("9999-12-31") is None


def test_it_groups_items_by_their_berlin_day():
    items = [
        ("late", datetime(2026, 7, 1, 21, 59, tzinfo=UTC)),
        ("after midnight", datetime(2026, 7, 1, 22, 0, tzinfo=UTC)),
        ("unscheduled", None),
    ]

    days = calendar.group_by_day(items, lambda item: item[1])

    assert days == {date(2026, 7, 1): [items[0]], date(2026, 7, 2): [items[1]]}


@given(DAYS)
def test_it_covers_every_day_of_the_month_in_whole_weeks(day):
    grid = calendar.month_grid(day.year, day.month)
    shown = [cell for week in grid for cell in week]

    assert 4 <= len(grid) <= 6
    assert all(len(week) == 7 and week[0].weekday() == 0 for week in grid)
    assert shown == sorted(set(shown))
    assert day in shown
    assert sum(cell.month == day.month for cell in shown) == len(
        calendar.month_span(day.year, day.month).days
    )


@given(DAYS)
def test_it_makes_days_that_follow_each_other_without_gaps(day):
    start, end = calendar.Span(day, day + timedelta(days=1)).bounds()

    assert timedelta(hours=23) <= end - start <= timedelta(hours=25)
    assert calendar.local_date(start) == day
    assert calendar.local_date(end - timedelta(microseconds=1)) == day


@given(MOMENTS, DAYS)
def test_it_moves_to_the_day_keeping_the_time_unless_it_is_skipped(moment, day):
    moved = calendar.move_to_day(moment, day)
    before = moment.astimezone(BERLIN).time()
    after = moved.astimezone(BERLIN)

    assert after.date() == day
    if after.time() != before:
        # Only the skipped spring hour moves, and by exactly that hour.
        expected = (datetime.combine(day, before) + timedelta(hours=1)).time()
        assert after.time() == expected
        assert after.utcoffset() == timedelta(hours=2)


@given(DAYS)
def test_it_round_trips_week_keys(day):
    monday = calendar.parse_week(calendar.week_key(day))

    assert monday == calendar.week_start(day)
