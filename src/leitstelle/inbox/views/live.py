"""Live updates of the list: how many items arrived since it was shown.

The list page renders the time it was built into `_live.html`; the page
polls `new_items` with that time and its filters every few seconds and
shows a quiet banner ("3 new items — show") when anything matching has
arrived since. Arrival is `received_at`, not the network's time: an item
fetched late still counts as new. (`received_at` is stamped just before the
ingest commits; an item committed in the milliseconds around the page's
rendering may be missed until the next reload.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_htmx.middleware import HtmxDetails

from leitstelle.core.permissions import Perm, require_perm
from leitstelle.inbox import queries
from leitstelle.inbox.forms import InboxFilterForm

BANNER = "inbox/_live.html#banner"
# More than this many new items are shown as "more than 99"; counting
# further would cost time and tell the reader nothing more.
MAX_COUNTED = 99


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def parse_since(value: str | None) -> datetime | None:
    """Return the aware time of an ISO 8601 `since` value, or None."""
    try:
        since = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    if timezone.is_naive(since):
        return None
    return since


def arrivals(user: Any, params: QueryDict, since: datetime) -> list[int]:
    """Return the ids of items arrived after `since` that the list would show.

    At most `MAX_COUNTED + 1` ids, newest first: the caller can tell "more".
    """
    filters = InboxFilterForm(params, user=user).filters()
    filters.pop("sort", None)  # the order of the list does not matter here
    matching = queries.filter_interactions(
        queries.visible_interactions(user), user=user, **filters
    )
    newest = matching.filter(received_at__gt=since).order_by("-received_at", "-id")
    return list(newest.values_list("id", flat=True)[: MAX_COUNTED + 1])


@never_cache
@require_safe
@require_perm(Perm.VIEW_INBOX)
def new_items(request: HtmxHttpRequest) -> HttpResponse:
    """Return the banner announcing newly arrived items (empty if none)."""
    since = parse_since(request.GET.get("since"))
    ids = arrivals(request.user, request.GET, since) if since else []
    context = {
        "live_ids": ids[:MAX_COUNTED],
        "live_count": len(ids),
        "live_more": len(ids) > MAX_COUNTED,
        "live_limit": MAX_COUNTED,
    }
    return render(request, BANNER, context)
