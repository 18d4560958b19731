"""The inbox list: filters, saved views and keyset pages."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from django_htmx.middleware import HtmxDetails

from leitstelle.core.permissions import Perm, has_perm, require_perm
from leitstelle.inbox import queries, rendering, service_levels
from leitstelle.inbox.forms import InboxFilterForm, SavedViewForm, view_query
from leitstelle.inbox.models import SavedView

LIST = "inbox/list.html"
# Filters folded away under "More filters" unless one of them is set.
MORE_FILTERS = frozenset(
    {
        "network",
        "category",
        "tag",
        "language",
        "priority_min",
        "date_from",
        "date_to",
        "root_post",
        "overdue",
    }
)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@dataclass(frozen=True)
class ViewLink:
    label: Any
    url: str
    active: bool
    saved: SavedView | None = None


@require_safe
@require_perm(Perm.VIEW_INBOX)
def interaction_list(request: HtmxHttpRequest) -> HttpResponse:
    form = InboxFilterForm(request.GET, user=request.user)
    visible = queries.visible_interactions(request.user)
    filters = form.filters()
    sort = filters.pop("sort", queries.DEFAULT_SORT)
    matching = queries.filter_interactions(visible, user=request.user, **filters)
    page = queries.keyset_page(
        matching,
        before=request.GET.get("before"),
        after=request.GET.get("after"),
        sort=sort,
    )
    can_work = has_perm(request.user, Perm.WORK_INBOX)
    query = view_query(request.GET)
    context = {
        "form": form,
        "page": page,
        "entries": rendering.entries(
            page.items,
            filters.get("q", ""),
            can_work=can_work,
            user_id=request.user.pk,
        ),
        "filtered": bool(filters),
        "more_filters": bool(MORE_FILTERS.intersection(filters)) or bool(form.errors),
        "sort": sort,
        "can_work": can_work,
        "perms_settings": has_perm(request.user, Perm.MANAGE_ORGANISATION),
        "query": query,
        "save_form": SavedViewForm(user=request.user),
        # Called by the template only when it renders the whole page.
        "views": partial(view_links, request.user, query),
        "workers": form.workers if can_work else [],
        "sla_labels": service_levels.timer_labels(),
    }
    only_results = request.htmx and not request.htmx.boosted
    template = f"{LIST}#results" if only_results else LIST
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def same_query(one: str, other: str) -> bool:
    return sorted(parse_qsl(one)) == sorted(parse_qsl(other))


def view_links(user: Any, query: str) -> list[ViewLink]:
    """Return "All", the built-in views and `user`'s saved ones."""
    base = reverse("inbox:list")
    links = [ViewLink(_("All"), base, not query)]
    for view in queries.BUILTIN_VIEWS:
        url = f"{base}?{view.query}"
        links.append(ViewLink(view.label, url, same_query(query, view.query)))
    for saved in SavedView.objects.filter(user=user):
        url = f"{base}?{saved.query}"
        links.append(ViewLink(saved.name, url, same_query(query, saved.query), saved))
    return links


@require_safe
@require_perm(Perm.VIEW_INBOX)
def nav_count(request: HttpRequest) -> HttpResponse:
    """Return the navigation's inbox count; the navigation polls it."""
    context = {"count": queries.nav_badge(request.user)}
    return render(request, "core/_nav_count.html", context)
