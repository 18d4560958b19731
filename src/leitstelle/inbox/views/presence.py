"""The heartbeat of an open thread: who else is viewing or typing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from leitstelle.core.permissions import Perm, has_perm, require_perm
from leitstelle.inbox import presence, queries


@require_POST
@require_perm(Perm.VIEW_INBOX)
def heartbeat(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that the user has the thread open; return who else has."""
    item = get_object_or_404(queries.visible_interactions(request.user), pk=pk)
    typing = request.POST.get("typing") == "1" and has_perm(
        request.user, Perm.WORK_INBOX
    )
    presence.touch(interaction=item, user=request.user, typing=typing)  # type: ignore[arg-type]
    context = {
        "item": item,
        "colleagues": presence.colleagues(interaction=item, user=request.user),  # type: ignore[arg-type]
        "presence_seconds": presence.HEARTBEAT_SECONDS,
    }
    return render(request, "inbox/_presence.html", context)
