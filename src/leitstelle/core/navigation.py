"""The product's areas in the navigation, each shown to whom it may concern."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from leitstelle.core.permissions import Perm, has_perm


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str
    perm: Perm
    section: str | Promise = ""


NAVIGATION: list[NavEntry] = [
    NavEntry(_("Overview"), "core:dashboard", Perm.VIEW_DASHBOARD),
    NavEntry(_("Inbox"), "inbox:list", Perm.VIEW_INBOX),
    NavEntry(_("Channels"), "networks:list", Perm.VIEW_CHANNELS),
    NavEntry(_("Exercise network"), "exercise:index", Perm.USE_EXERCISE_NETWORK),
    NavEntry(
        _("Organisation"),
        "core:organisation",
        Perm.MANAGE_ORGANISATION,
        _("Administration"),
    ),
    NavEntry(_("Users"), "core:users", Perm.MANAGE_USERS, _("Administration")),
    NavEntry(_("Audit log"), "core:audit", Perm.VIEW_AUDIT, _("Administration")),
]


@dataclass(frozen=True)
class NavLink:
    label: str | Promise
    url: str
    section: str | Promise
    active: bool


def entries_for(user: object) -> list[NavEntry]:
    """Return the navigation entries `user` may open."""
    return [entry for entry in NAVIGATION if has_perm(user, entry.perm)]


def links_for(user: object, path: str) -> list[NavLink]:
    """Return `user`'s navigation with the area containing `path` marked."""
    links = []
    for entry in entries_for(user):
        url = reverse(entry.url_name)
        active = path == url if url == "/" else path.startswith(url)
        links.append(NavLink(entry.label, url, entry.section, active))
    return links
