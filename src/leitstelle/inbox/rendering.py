"""The list's entries as HTML, built in Python.

The list shows 50 entries of some 20 values each; the template engine
spends about a millisecond on each entry, this module a tenth of that.
Every value passes through `esc` (the standard library's `html.escape`,
quotes included: the same five characters Django escapes) on its way into
the markup; the text is escaped by `search.highlight`.
"""

from __future__ import annotations

from html import escape as esc
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from leitstelle.inbox import search
from leitstelle.inbox.models import Interaction, InteractionStatus
from leitstelle.inbox.templatetags.inbox_tags import excerpt, safe_url
from leitstelle.networks import registry
from leitstelle.networks.templatetags.channel_tags import initials

EXTERNAL = 'rel="noopener noreferrer nofollow ugc" target="_blank"'
ENTRY = (
    '<li class="inbox-item status-{status}"><div class="inbox-meta">'
    '<span class="kind-icon kind-{kind}" aria-hidden="true">{kind_initial}</span>'
    "<span>{kind_label} · {channel}</span>"
    '<span class="status-badge">{status_label}</span>{priority}{categories}'
    '<time datetime="{iso}" title="{absolute}">{since}</time></div>'
    '<div class="inbox-author"><span class="avatar-initials" aria-hidden="true">'
    '{initials}</span><span><bdi class="inbox-author-name">{name}</bdi>{handle}'
    "{profile}</span></div>"
    '<p class="inbox-text" dir="auto">{text}</p>'
    '<div class="inbox-meta"><a href="{detail}">{open}</a>{post}'
    "<span>{assignee}</span>{link}</div></li>"
)


def entries(items: list[Interaction], q: str) -> list[SafeString]:
    """Return each item's list entry; `q`'s matches are marked."""
    # Translations are looked up once per page, not once per entry.
    labels = {
        "list_url": reverse("inbox:list"),
        "now": timezone.now(),
        "statuses": {value: str(label) for value, label in InteractionStatus.choices},
        "kinds": {kind: str(label) for kind, label in registry.LABELS.items()},
        "priority": str(_("Priority")),
        "profile": str(_("Profile")),
        "open": str(_("Open thread")),
        "post": str(_("On our post")),
        "network": str(_("On the network")),
        "unassigned": str(_("Unassigned")),
    }
    return [entry(item, q, labels) for item in items]


def entry(item: Interaction, q: str, labels: dict[str, Any]) -> SafeString:
    author, kind = item.author, item.channel.kind
    written = localtime(item.remote_created_at)
    kind_label = str(labels["kinds"].get(kind, kind))
    since = _("%(time)s ago") % {"time": timesince(written, labels["now"])}
    html = ENTRY.format(
        status=esc(item.status),
        kind=esc(kind),
        kind_initial=esc(kind_label[:1]),
        kind_label=esc(kind_label),
        channel=esc(item.channel.name),
        status_label=esc(labels["statuses"].get(item.status, item.status)),
        priority=priority(item.priority, labels["priority"]),
        categories="".join(
            f'<span class="inbox-category">{esc(str(c))}</span>'
            for c in item.categories
        ),
        iso=esc(written.isoformat()),
        absolute=esc(date_format(written, "DATETIME_FORMAT")),
        since=esc(since),
        initials=esc(initials(author.name or author.handle)),
        name=esc(author.name or author.handle),
        handle=f' <bdi class="hint">@{esc(author.handle)}</bdi>'
        if author.handle
        else "",
        profile=external(safe_url(author.profile_url), labels["profile"], "hint"),
        # highlight() escaped the text; only <br> is added.
        text=search.highlight(excerpt(item.text), q).replace("\n", "<br>"),
        detail=esc(f"{labels['list_url']}{item.pk}/"),
        open=esc(labels["open"]),
        post=our_post(item.root_post, labels),
        assignee=esc(assignee_label(item, labels["unassigned"])),
        link=external(safe_url(item.url), labels["network"]),
    )
    return mark_safe(html)  # noqa: S308 - every value above is escaped


def priority(value: int, label: str) -> str:
    if not value:
        return ""
    return f'<span class="inbox-priority">{esc(label)} {int(value)}</span>'


def our_post(root_post: str, labels: dict[str, Any]) -> str:
    """Link to the list of everything on the same post of ours."""
    if not root_post:
        return ""
    url = labels["list_url"] + "?" + urlencode({"root_post": root_post})
    return f'<a href="{esc(url)}">{esc(labels["post"])} {esc(root_post)}</a>'


def external(url: str, label: str, css_class: str = "") -> str:
    """Link out to a network, only ever to an http(s) address."""
    if not url:
        return ""
    css = f' class="{css_class}"' if css_class else ""
    return f' <a href="{esc(url)}" {EXTERNAL}{css}>{esc(label)}</a>'


def assignee_label(item: Interaction, unassigned: str) -> str:
    if item.assignee is None:
        return unassigned
    name = item.assignee.get_full_name() or item.assignee.username
    return _("Assigned to %(name)s") % {"name": name}
