"""Hide, unhide, delete, block and mute from the thread page."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from leitstelle.core.permissions import Perm, require_perm
from leitstelle.inbox import moderation, queries

DONE = {
    "hide": _("The item is hidden on the network. A snapshot was kept."),
    "unhide": _("The item is visible on the network again."),
    "delete": _("The item was deleted on the network. A snapshot was kept."),
    "block": _("The author is blocked."),
    "mute": _("The author is muted."),
}


def moderate(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    item = get_object_or_404(
        queries.visible_interactions(request.user).select_related("channel", "author"),
        pk=pk,
    )
    act: Callable = getattr(moderation, action)
    try:
        act(interaction=item, actor=request.user, request=request)
    except moderation.ModerationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(DONE[action]))
    return redirect("inbox:detail", pk=item.pk)


@require_POST
@require_perm(Perm.WORK_INBOX)
def hide(request: HttpRequest, pk: int) -> HttpResponse:
    return moderate(request, pk, "hide")


@require_POST
@require_perm(Perm.WORK_INBOX)
def unhide(request: HttpRequest, pk: int) -> HttpResponse:
    return moderate(request, pk, "unhide")


@require_POST
@require_perm(Perm.WORK_INBOX)
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    return moderate(request, pk, "delete")


@require_POST
@require_perm(Perm.WORK_INBOX)
def block(request: HttpRequest, pk: int) -> HttpResponse:
    return moderate(request, pk, "block")


@require_POST
@require_perm(Perm.WORK_INBOX)
def mute(request: HttpRequest, pk: int) -> HttpResponse:
    return moderate(request, pk, "mute")
