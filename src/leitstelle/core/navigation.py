"""The product's areas in the navigation, each shown to whom it may concern."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from leitstelle.core.permissions import Perm, has_perm


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str
    perm: Perm
    section: str | Promise = ""
    # Dotted path of a function (user) -> NavCount | None to show next to
    # the label; imported and called only when a page renders the
    # navigation, so partial (htmx) responses never pay for it.
    count: str = ""
    # Where the page asks for a fresh count every 30 seconds (htmx), only
    # inside the entry's own area: a poll on every page would keep an
    # unattended session alive past its idle timeout.
    count_url_name: str = ""


NAVIGATION: list[NavEntry] = [
    NavEntry(_("Overview"), "core:dashboard", Perm.VIEW_DASHBOARD),
    NavEntry(
        _("Inbox"),
        "inbox:list",
        Perm.VIEW_INBOX,
        count="leitstelle.inbox.queries.nav_badge",
        count_url_name="inbox:nav_count",
    ),
    NavEntry(_("Posts"), "publishing:list", Perm.VIEW_POSTS),
    NavEntry(_("Calendar"), "publishing:calendar", Perm.VIEW_POSTS),
    NavEntry(_("Channels"), "networks:list", Perm.VIEW_CHANNELS),
    NavEntry(_("Exercise network"), "exercise:index", Perm.USE_EXERCISE_NETWORK),
    NavEntry(
        _("Organisation"),
        "core:organisation",
        Perm.MANAGE_ORGANISATION,
        _("Administration"),
    ),
    NavEntry(_("Users"), "core:users", Perm.MANAGE_USERS, _("Administration")),
    NavEntry(
        _("Publishing rules"),
        "publishing:settings",
        Perm.MANAGE_ORGANISATION,
        _("Administration"),
    ),
    NavEntry(_("Audit log"), "core:audit", Perm.VIEW_AUDIT, _("Administration")),
]


@dataclass(frozen=True)
class NavCount:
    """A number next to a navigation label, and an optional alert."""

    text: str  # the number, e.g. "12" or "999+"
    description: str  # read out instead of the bare number
    alert: str = ""  # shown highlighted, e.g. "3 overdue"


@dataclass(frozen=True)
class NavLink:
    label: str | Promise
    url: str
    section: str | Promise
    active: bool
    count: Callable[[], Any] | None = None
    count_url: str = ""


class LazyCount:
    """Call `function(user)` once, when a template first asks for it."""

    def __init__(self, function: str, user: object) -> None:
        self.function, self.user = function, user
        self.done, self.value = False, None

    def __call__(self) -> Any:
        if not self.done:
            self.value = import_string(self.function)(self.user)
            self.done = True
        return self.value


def entries_for(user: object) -> list[NavEntry]:
    """Return the navigation entries `user` may open."""
    return [entry for entry in NAVIGATION if has_perm(user, entry.perm)]


def links_for(user: object, path: str) -> list[NavLink]:
    """Return `user`'s navigation with the area containing `path` marked."""
    links = []
    for entry in entries_for(user):
        url = reverse(entry.url_name)
        active = path == url if url == "/" else path.startswith(url)
        count = LazyCount(entry.count, user) if entry.count else None
        count_url = reverse(entry.count_url_name) if entry.count_url_name else ""
        links.append(NavLink(entry.label, url, entry.section, active, count, count_url))
    # Only the deepest match is current: /beitraege/kalender/ is the
    # calendar, not also the posts list at /beitraege/.
    deepest = max((len(link.url) for link in links if link.active), default=0)
    return [
        replace(link, active=len(link.url) == deepest) if link.active else link
        for link in links
    ]


# Banners every page polls for (e.g. emergencies in the inbox): the URL
# answers with the banner's HTML, empty when there is nothing to say.
ALERTS: list[tuple[str, Perm]] = [
    ("inbox:emergency_alert", Perm.VIEW_INBOX),
]


def alerts_for(user: object) -> list[str]:
    """Return the URLs of the banners `user` sees on every page."""
    return [reverse(name) for name, perm in ALERTS if has_perm(user, perm)]
