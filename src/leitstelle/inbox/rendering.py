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

from leitstelle.inbox import media_proxy, search, service_levels, workflow
from leitstelle.inbox.models import Interaction, InteractionStatus
from leitstelle.inbox.templatetags.inbox_tags import excerpt, safe_url
from leitstelle.networks import registry
from leitstelle.networks.templatetags.channel_tags import initials
from leitstelle.triage import categories as triage_categories

EXTERNAL = 'rel="noopener noreferrer nofollow ugc" target="_blank"'
ENTRY = (
    '<li class="inbox-item inbox-row status-{status}{urgent}" id="item-{pk}" '
    'data-item-id="{pk}" data-href="{detail}"><div class="inbox-meta">{select}'
    '<span class="kind-icon kind-{kind}" aria-hidden="true">{kind_initial}</span>'
    "<span>{kind_label} · {channel}</span>"
    '<span class="status-badge">{status_label}</span>{flags}{priority}{categories}'
    "{tags}"
    '{timer}<time datetime="{iso}" title="{absolute}">{since}</time></div>'
    '<div class="inbox-author">{avatar}<span><bdi class="inbox-author-name">'
    "{name}</bdi>{handle}{profile}</span></div>"
    '<p class="inbox-text" dir="auto">{text}</p>{media}'
    '<div class="inbox-meta"><a href="{detail}">{open}</a>{post}'
    "<span>{assignee}</span>{link}{actions}</div></li>"
)
SELECT = (
    '<input type="checkbox" class="row-select" name="items" value="{pk}" '
    'form="bulk-form" data-shortcut="x" aria-label="{label}">'
)
# Buttons of the bulk form that post to the item's own URL instead: they
# work without JavaScript (formaction) and swap only their row with htmx.
ACTION = (
    '<button type="submit" class="button-link" formaction="{url}" name="action" '
    'value="{value}" data-shortcut="{key}" hx-post="{url}" '
    'hx-vals=\'{{"action": "{value}", "from": "row"}}\' '
    'hx-target="closest li" hx-swap="outerHTML">{label}</button>'
)
ROW_ACTIONS = (
    ("assign_me", "a", "assign_me"),
    ("escalate", "e", "escalate"),
    ("close", "c", "close"),
)


def entries(
    items: list[Interaction], q: str, *, can_work: bool = False, user_id: Any = None
) -> list[SafeString]:
    """Return each item's list entry; `q`'s matches are marked.

    With `can_work` each entry has a checkbox for bulk actions and buttons
    to assign it to oneself (unless `user_id` has it), escalate and close
    it, where its status allows.
    """
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
        "can_work": can_work,
        "user_id": user_id,
        "hidden": str(_("Hidden")),
        "deleted": str(_("Deleted on the network")),
        "select": str(_("Select")),
        "assign_me": str(_("Assign to me")),
        "escalate": str(_("Escalate")),
        "close": str(_("Close")),
        "categories": {
            code: str(label) for code, label in triage_categories.LABELS.items()
        },
    }
    media_proxy.register_items(items)  # one query for every image of the page
    return [entry(item, q, labels) for item in items]


def entry(item: Interaction, q: str, labels: dict[str, Any]) -> SafeString:
    author, kind = item.author, item.channel.kind
    written = localtime(item.remote_created_at)
    kind_label = str(labels["kinds"].get(kind, kind))
    since = _("%(time)s ago") % {"time": timesince(written, labels["now"])}
    detail = f"{labels['list_url']}{item.pk}/"
    html = ENTRY.format(
        pk=int(item.pk),
        select=select(item, labels),
        status=esc(item.status),
        urgent=" triage-emergency" if is_emergency(item) else "",
        kind=esc(kind),
        kind_initial=esc(kind_label[:1]),
        kind_label=esc(kind_label),
        channel=esc(item.channel.name),
        status_label=esc(labels["statuses"].get(item.status, item.status)),
        flags=flags(item, labels),
        priority=priority(item.priority, labels["priority"]),
        categories=category_chips(item.categories, labels),
        tags=tags(item.tags, labels["list_url"]),
        timer=sla_timer(item, labels["now"]),
        iso=esc(written.isoformat()),
        absolute=esc(date_format(written, "DATETIME_FORMAT")),
        since=esc(since),
        avatar=avatar(author),
        media=media(item.media_urls),
        name=esc(author.name or author.handle),
        handle=f' <bdi class="hint">@{esc(author.handle)}</bdi>'
        if author.handle
        else "",
        profile=external(safe_url(author.profile_url), labels["profile"], "hint"),
        # highlight() escaped the text; only <br> is added.
        text=search.highlight(excerpt(item.text), q).replace("\n", "<br>"),
        detail=esc(detail),
        open=esc(labels["open"]),
        post=our_post(item.root_post, labels),
        assignee=esc(assignee_label(item, labels["unassigned"])),
        link=external(safe_url(item.url), labels["network"]),
        actions=row_actions(item, detail, labels),
    )
    return mark_safe(html)  # noqa: S308 - every value above is escaped


def is_emergency(item: Interaction) -> bool:
    return triage_categories.EMERGENCY in (item.categories or ())


def category_chips(codes: Any, labels: dict[str, Any]) -> str:
    """Triage's categories as chips with their labels, the most urgent first."""
    if not isinstance(codes, list | tuple):
        return ""
    names = labels["categories"]
    return "".join(
        f'<span class="inbox-category triage-chip triage-{esc(str(code))}" '
        f'title="{esc(str(code))}">{esc(names.get(code) or str(code))}</span>'
        for code in codes
    )


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


def flags(item: Interaction, labels: dict[str, Any]) -> str:
    """Badges for items hidden by us or deleted on their network."""
    shown = []
    if item.hidden_at:
        shown.append(labels["hidden"])
    if item.deleted_on_network_at or item.deleted_by_us_at:
        shown.append(labels["deleted"])
    return "".join(
        f'<span class="status-badge warning">{esc(label)}</span>' for label in shown
    )


def select(item: Interaction, labels: dict[str, Any]) -> str:
    if not labels["can_work"]:
        return ""
    name = item.author.name or item.author.handle
    label = f"{labels['select']}: {name}"
    return SELECT.format(pk=int(item.pk), label=esc(label))


def row_actions(item: Interaction, detail: str, labels: dict[str, Any]) -> str:
    if not labels["can_work"]:
        return ""
    url = esc(f"{detail}bearbeiten/")
    offered = {
        "assign_me": item.assignee_id != labels["user_id"],
        "escalate": workflow.allowed(item.status, InteractionStatus.ESCALATED),
        "close": workflow.allowed(item.status, InteractionStatus.CLOSED),
    }
    buttons = "".join(
        ACTION.format(url=url, value=value, key=key, label=esc(labels[label]))
        for value, key, label in ROW_ACTIONS
        if offered[value]
    )
    return f'<span class="row-actions">{buttons}</span>'


def tags(values: list[str], list_url: str) -> str:
    return "".join(
        f'<a class="inbox-tag" href="{esc(list_url + "?" + urlencode({"tag": t}))}">'
        f"#{esc(str(t))}</a>"
        for t in values or ()
    )


def sla_timer(item: Interaction, now: Any) -> str:
    shown = service_levels.timer(item, now)
    if shown is None:
        return ""
    absolute = date_format(localtime(shown.due), "DATETIME_FORMAT")
    return (
        f'<span class="sla sla-{esc(shown.state)}" title="{esc(absolute)}" '
        f'data-due="{esc(shown.due.isoformat())}">{esc(shown.label)}</span>'
    )


MEDIA_SHOWN = 4


def avatar(author: Any) -> str:
    """The author's avatar through our media proxy, initials without one."""
    url = media_proxy.address(author.avatar_url)
    if url:
        return (
            f'<img class="avatar-image" src="{esc(url)}" alt="" width="32" '
            'height="32" loading="lazy" decoding="async">'
        )
    return (
        '<span class="avatar-initials" aria-hidden="true">'
        f"{esc(initials(author.name or author.handle))}</span>"
    )


def media(urls: list[str]) -> str:
    """Thumbnails of attached media, only ever through our media proxy."""
    local = [url for url in map(media_proxy.address, urls or []) if url]
    if not local:
        return ""
    thumbnails = "".join(
        f'<li><img src="{esc(url)}" alt="" loading="lazy" decoding="async"></li>'
        for url in local[:MEDIA_SHOWN]
    )
    return f'<ul class="inbox-media">{thumbnails}</ul>'
