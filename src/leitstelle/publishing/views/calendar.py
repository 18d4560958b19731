"""The editorial calendar: month and week, filters, and moving posts.

A post sits on the day it went out (`published_at`) or is planned to
(`scheduled_at`), in Berlin time. Dragging it to another day keeps its time of
day (calendar.js posts to `move`); the keyboard way is the reschedule form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django_htmx.middleware import HtmxDetails

from leitstelle.core.permissions import Perm, has_perm, require_perm
from leitstelle.networks.models import Channel
from leitstelle.publishing import calendar, services
from leitstelle.publishing.forms import LocalDateTimeField
from leitstelle.publishing.models import Campaign, Post
from leitstelle.publishing.states import PostType
from leitstelle.publishing.views.calendar_entries import (
    MOVABLE,
    Entry,
    entries_between,
    visible_posts,
)

MONTH = "publishing/calendar_month.html"
WEEK = "publishing/calendar_week.html"
RESCHEDULE = "publishing/reschedule.html"
VIEW_URLS = {"month": "publishing:calendar", "week": "publishing:calendar_week"}


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class CalendarFilterForm(forms.Form):
    channel = forms.ModelChoiceField(
        queryset=Channel.objects.none(),
        required=False,
        label=gettext_lazy("Channel"),
        empty_label=gettext_lazy("All channels"),
    )
    post_type = forms.ChoiceField(
        choices=[("", gettext_lazy("All types")), *PostType.choices],
        required=False,
        label=gettext_lazy("Type"),
    )
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.filter(archived=False),
        required=False,
        label=gettext_lazy("Campaign"),
        empty_label=gettext_lazy("All campaigns"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channels = Channel.objects.visible_to(user).order_by("kind", "name")
        self.fields["channel"].queryset = channels  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """Return the valid filters; invalid ones are left out."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            name: data[name]
            for name in ("channel", "post_type", "campaign")
            if name not in self.errors and data.get(name)
        }


class MoveForm(forms.Form):
    post = forms.IntegerField()
    day = forms.DateField(input_formats=["%Y-%m-%d"])


class RescheduleForm(forms.Form):
    # Naive Berlin wall time, resolved by the service like the compose form's.
    scheduled_at = LocalDateTimeField(
        label=gettext_lazy("New time"), help_text=gettext_lazy("Berlin time.")
    )


@dataclass(frozen=True)
class Day:
    date: date
    entries: list[Entry]
    in_month: bool
    today: bool


def days_of(span: calendar.Span, entries: list[Entry], month: int | None) -> list[Day]:
    by_day = calendar.group_by_day(entries, lambda entry: entry.at)
    today = calendar.today()
    return [
        Day(day, by_day.get(day, []), month is None or day.month == month, day == today)
        for day in span.days
    ]


def render_calendar(
    request: HtmxHttpRequest, template: str, context: dict, status: int = 200
) -> HttpResponse:
    # A history restore (back button after htmx's cache missed) needs the page.
    htmx = request.htmx
    partial = htmx and not htmx.boosted and not htmx.history_restore_request
    response = render(
        request, f"{template}#calendar" if partial else template, context, status=status
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def month_context(request: HttpRequest, params: QueryDict) -> dict[str, Any]:
    today = calendar.today()
    year, month = calendar.parse_month(params.get("month")) or (today.year, today.month)
    form = CalendarFilterForm(filter_data(params), user=request.user)
    filters = form.filters()
    span = calendar.month_grid_span(year, month)
    month_days = calendar.month_span(year, month)
    key = calendar.month_key(year, month)
    common = common_context(request, form, filters, view="month", period=key)
    entries = entries_between(
        request.user, span, filters, can_move=common["can_move"], back=common["here"]
    )
    days = days_of(span, entries, month)
    return {
        **common,
        "weeks": [days[n : n + 7] for n in range(0, len(days), 7)],
        "weekdays": [day.date for day in days[:7]],
        "post_count": len(entries),
        "month_start": date(year, month, 1),
        "month_key": key,
        "previous_month": calendar.month_key(*calendar.shift_month(year, month, -1)),
        "next_month": calendar.month_key(*calendar.shift_month(year, month, 1)),
        "this_month": calendar.month_key(today.year, today.month),
        "month_link": key,
        "week_link": calendar.week_key(
            month_days.first
            if today < month_days.first
            else min(today, month_days.last)
        ),
    }


def week_context(request: HttpRequest, params: QueryDict) -> dict[str, Any]:
    today = calendar.today()
    monday = calendar.parse_week(params.get("week")) or calendar.week_start(today)
    form = CalendarFilterForm(filter_data(params), user=request.user)
    filters = form.filters()
    span = calendar.week_span(monday)
    key = calendar.week_key(monday)
    common = common_context(request, form, filters, view="week", period=key)
    entries = entries_between(
        request.user, span, filters, can_move=common["can_move"], back=common["here"]
    )
    return {
        **common,
        "days": days_of(span, entries, None),
        "post_count": len(entries),
        "span": span,
        "week_key": key,
        "previous_week": calendar.week_key(monday - calendar.ONE_DAY * 7),
        "next_week": calendar.week_key(monday + calendar.ONE_DAY * 7),
        "this_week": calendar.week_key(today),
        "week_link": key,
        "month_link": calendar.month_key(monday.year, monday.month),
    }


def filter_data(params: QueryDict) -> QueryDict | None:
    """Return the filter part of `params`, or None when nothing is filtered."""
    names = ("channel", "post_type", "campaign")
    return params if any(params.get(name) for name in names) else None


def common_context(
    request: HttpRequest,
    form: CalendarFilterForm,
    filters: dict,
    *,
    view: str,
    period: str,
) -> dict[str, Any]:
    query = QueryDict(mutable=True)
    for name, value in filters.items():
        query[name] = getattr(value, "pk", value)
    period_name = "week" if view == "week" else "month"
    view_url = reverse(VIEW_URLS[view])
    here = QueryDict(mutable=True)
    here[period_name] = period
    here.update(query)
    return {
        "form": form,
        "filtered": bool(filters),
        "filter_query": query.urlencode(),
        "filter_values": list(query.items()),
        "view": view,
        "view_url": view_url,
        "period_name": period_name,
        "period": period,
        "here": f"{view_url}?{here.urlencode()}",
        "can_move": has_perm(request.user, Perm.COMPOSE_POSTS),
    }


@require_safe
@require_perm(Perm.VIEW_POSTS)
def month(request: HtmxHttpRequest) -> HttpResponse:
    return render_calendar(request, MONTH, month_context(request, request.GET))


@require_safe
@require_perm(Perm.VIEW_POSTS)
def week(request: HtmxHttpRequest) -> HttpResponse:
    return render_calendar(request, WEEK, week_context(request, request.GET))


@require_POST
@require_perm(Perm.COMPOSE_POSTS)
def move(request: HtmxHttpRequest) -> HttpResponse:
    """Move a post to another day at the same Berlin time (drag and drop)."""
    form = MoveForm(request.POST)
    view = request.POST.get("view")
    if not form.is_valid():
        messages.error(request, _("The post could not be moved: the day is missing."))
        return after_move(request, view)
    post = get_object_or_404(visible_posts(request.user), pk=form.cleaned_data["post"])
    current = post.scheduled_at or post.published_at
    if post.status not in MOVABLE:
        messages.error(request, _("Only posts that have not gone out can be moved."))
        return after_move(request, view)
    if current is None:
        messages.error(request, _("This post has no time yet; pick one with “Move”."))
        return after_move(request, view)
    new_time = calendar.move_to_day(current, form.cleaned_data["day"])
    error = reschedule(request, post, new_time)
    if error:
        messages.error(request, error)
        return after_move(request, view)
    messages.success(request, moved_message(post, new_time))
    return after_move(request, view)


def after_move(request: HtmxHttpRequest, view: str | None) -> HttpResponse:
    """Show the calendar the post was moved in, with its filters."""
    params = request.POST.copy()
    for name in ("post", "day", "view", "csrfmiddlewaretoken"):
        params.pop(name, None)
    if request.htmx:
        # htmx swaps only 2xx answers; the message tells what went wrong.
        builder = week_context if view == "week" else month_context
        template = WEEK if view == "week" else MONTH
        return render_calendar(request, template, builder(request, params))
    name = VIEW_URLS["week" if view == "week" else "month"]
    return redirect(f"{reverse(name)}?{params.urlencode()}")


def reschedule(request: HttpRequest, post: Post, new_time: datetime) -> str:
    """Move `post` to `new_time`; return the reason when it cannot move."""
    try:
        services.reschedule(post=post, at=new_time, actor=request.user, request=request)
    except services.PublishingError as error:
        return error.message
    return ""


def moved_message(post: Post, new_time: datetime) -> str:
    local = new_time.astimezone(calendar.BERLIN)
    return _("“%(post)s” now goes out on %(day)s at %(time)s.") % {
        "post": post,
        "day": local.strftime("%d.%m.%Y"),
        "time": local.strftime("%H:%M"),
    }


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else default


@require_http_methods(["GET", "HEAD", "POST"])
@require_perm(Perm.COMPOSE_POSTS)
def reschedule_form(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick a new date and time: the keyboard alternative to dragging."""
    post = get_object_or_404(visible_posts(request.user), pk=pk)
    back = safe_next(request, reverse("publishing:calendar"))
    current = post.scheduled_at or post.published_at
    movable = post.status in MOVABLE
    if request.method == "POST" and movable:
        form = RescheduleForm(request.POST)
        if form.is_valid():
            new_time = services.local_datetime(form.cleaned_data["scheduled_at"])
            error = reschedule(request, post, new_time)
            if not error:
                messages.success(request, moved_message(post, new_time))
                return redirect(back)
            form.add_error("scheduled_at", error)
        status = 400
    else:
        form = RescheduleForm(initial={"scheduled_at": current})
        status = 200
    context = {"post": post, "form": form, "back": back, "movable": movable}
    return render(request, RESCHEDULE, context, status=status)
