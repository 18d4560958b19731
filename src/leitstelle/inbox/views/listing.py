"""The inbox list: filters, saved views and keyset pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe
from django_htmx.middleware import HtmxDetails

from leitstelle.core.permissions import Perm, require_perm
from leitstelle.inbox import queries, rendering
from leitstelle.inbox.forms import InboxFilterForm

LIST = "inbox/list.html"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@require_safe
@require_perm(Perm.VIEW_INBOX)
def interaction_list(request: HtmxHttpRequest) -> HttpResponse:
    form = InboxFilterForm(request.GET, user=request.user)
    visible = queries.visible_interactions(request.user)
    filters = form.filters()
    matching = queries.filter_interactions(visible, user=request.user, **filters)
    page = queries.keyset_page(
        matching, before=request.GET.get("before"), after=request.GET.get("after")
    )
    q = filters.get("q", "")
    context = {
        "form": form,
        "page": page,
        "entries": rendering.entries(page.items, q),
        "filtered": bool(filters),
        "urgent_priority": queries.URGENT_PRIORITY,
    }
    partial = request.htmx and not request.htmx.boosted
    response = render(request, f"{LIST}#results" if partial else LIST, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
