"""The emergency banner, polled by every page of the UI shell."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from leitstelle.core.permissions import Perm, require_perm
from leitstelle.inbox import alerts

SHOWN = 3


@never_cache
@require_safe
@require_perm(Perm.VIEW_INBOX)
def emergency_alert(request: HttpRequest) -> HttpResponse:
    found = alerts.open_emergencies(request.user)
    newest = list(found.select_related("author", "channel")[:SHOWN])
    count = len(newest) if len(newest) < SHOWN else found.count()
    context = {"items": newest, "count": count, "category": alerts.EMERGENCY}
    return render(request, "inbox/_emergency_alert.html", context)
