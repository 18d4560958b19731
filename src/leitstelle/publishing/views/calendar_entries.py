"""The calendar's posts: which a user sees, and each as HTML built in Python.

A month may hold thousands of posts. The template engine spends about half a
millisecond on each; plain rows, labels looked up once per page and markup
built here take a tenth of that. Every value passes through `esc` (the
standard library's `html.escape`, quotes included: the characters Django
escapes) on its way into the markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape as esc
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Coalesce, Substr
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from leitstelle.publishing import calendar
from leitstelle.publishing.models import Post, Variant
from leitstelle.publishing.states import PostStatus, PostType
from leitstelle.publishing.views.detail import visible_posts

# Posts that can still be moved: nothing of them has gone out yet.
MOVABLE = frozenset(
    {PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.APPROVED, PostStatus.SCHEDULED}
)
ENTRY = (
    '<li class="calendar-post post-{status}"{drag}>'
    '<time datetime="{iso}">{clock}</time> '
    '<a href="{url}" class="calendar-title">{title}</a>'
    '<span class="calendar-meta">{meta}</span>{move}</li>'
)
DRAG = ' draggable="true" data-post="{pk}"'
MOVE = (
    '<a href="{url}?{query}" class="calendar-reschedule">{label}'
    '<span class="visually-hidden">: {title}</span></a>'
)


@dataclass(frozen=True)
class Entry:
    """A post on the calendar: its time and its markup."""

    pk: int
    at: datetime
    html: SafeString


def posts_between(user: Any, span: calendar.Span, filters: dict) -> QuerySet[Post]:
    """Return the posts of the span, with `calendar_at`: out, or planned."""
    start, end = span.bounds()
    posts = (
        visible_posts(user)
        .annotate(calendar_at=Coalesce("published_at", "scheduled_at"))
        .filter(calendar_at__gte=start, calendar_at__lt=end)
    )
    if channel := filters.get("channel"):
        posts = posts.filter(
            Exists(Variant.objects.filter(post=OuterRef("pk"), channel=channel))
        )
    if post_type := filters.get("post_type"):
        posts = posts.filter(post_type=post_type)
    if campaign := filters.get("campaign"):
        posts = posts.filter(campaign=campaign)
    return posts


def url_maker(name: str) -> Callable[[int], str]:
    """Return a fast `reverse(name, args=[pk])` for thousands of rows."""
    marker = "987654321"
    pattern = reverse(name, args=[int(marker)])
    return lambda pk: pattern.replace(marker, str(pk))


def channel_names(posts: QuerySet[Post]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    variants = Variant.objects.filter(post__in=posts.values("pk")).order_by(
        "channel__kind", "channel__name"
    )
    for post_id, name in variants.values_list("post_id", "channel__name"):
        names.setdefault(post_id, []).append(name)
    return names


def entries_between(
    user: Any, span: calendar.Span, filters: dict, *, can_move: bool, back: str
) -> list[Entry]:
    """Return the span's posts, earliest first, as calendar entries.

    With `can_move`, posts that have not gone out are draggable and link to
    the reschedule form, which returns to `back`.
    """
    posts = posts_between(user, span, filters)
    channels = channel_names(posts)
    # Translations and URLs are looked up once per page, not once per post.
    types = {value: str(label) for value, label in PostType.choices}
    statuses = {value: str(label) for value, label in PostStatus.choices}
    detail_url = url_maker("publishing:detail")
    move_url = url_maker("publishing:reschedule")
    move_label, query = esc(_("Move")), esc(urlencode({"next": back}))
    rows = posts.values_list(
        "pk",
        "title",
        Substr("master_text", 1, 60),
        "post_type",
        "status",
        "calendar_at",
        "campaign__name",
    ).order_by("calendar_at", "pk")
    entries = []
    for pk, title, text, post_type, status, at, campaign in rows:
        local = at.astimezone(calendar.BERLIN)
        name = esc(title or text or f"#{pk}")
        meta = [types.get(post_type, post_type), statuses.get(status, status)]
        meta += channels.get(pk, [])
        if campaign:
            meta.append(campaign)
        move = drag = ""
        if can_move and status in MOVABLE:
            drag = DRAG.format(pk=pk)
            move = MOVE.format(
                url=move_url(pk), query=query, label=move_label, title=name
            )
        html = ENTRY.format(
            status=esc(status),
            drag=drag,
            iso=local.isoformat(),
            clock=local.strftime("%H:%M"),
            url=detail_url(pk),
            title=name,
            meta=esc(" · ".join(meta)),
            move=move,
        )
        entries.append(Entry(pk, at, mark_safe(html)))  # noqa: S308 - escaped above
    return entries
