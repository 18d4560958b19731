"""Saved replies (Textbausteine): list, write, change and delete them."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from leitstelle.core.permissions import Perm, require_perm
from leitstelle.inbox import saved_replies as service
from leitstelle.inbox.models import SavedReply
from leitstelle.inbox.reply_forms import SavedReplyForm

LIST = "inbox/saved_replies.html"
FORM = "inbox/saved_replies_form.html"


@require_http_methods(["GET", "HEAD"])
@require_perm(Perm.WORK_INBOX)
def saved_reply_list(request: HttpRequest) -> HttpResponse:
    saved = SavedReply.objects.order_by("title", "language")
    return render(request, LIST, {"saved_replies": saved})


@require_http_methods(["GET", "HEAD", "POST"])
@require_perm(Perm.WORK_INBOX)
def saved_reply_create(request: HttpRequest) -> HttpResponse:
    initial = {"title": request.GET.get("title", "")[:200]}
    form = SavedReplyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        service.add_saved_reply(
            **form.cleaned_data,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
        messages.success(request, _("The saved reply was added."))
        return redirect("inbox:saved_replies")
    return render(request, FORM, {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "HEAD", "POST"])
@require_perm(Perm.WORK_INBOX)
def saved_reply_edit(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(SavedReply, pk=pk)
    form = SavedReplyForm(request.POST or None, instance=saved)
    if request.method == "POST" and form.is_valid():
        service.change_saved_reply(
            saved=SavedReply.objects.get(pk=saved.pk),
            changes=form.cleaned_data,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
        messages.success(request, _("The saved reply was changed."))
        return redirect("inbox:saved_replies")
    context = {"form": form, "saved": saved}
    return render(request, FORM, context, status=400 if form.errors else 200)


@require_http_methods(["GET", "HEAD", "POST"])
@require_perm(Perm.WORK_INBOX)
def saved_reply_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first (GET), then delete (POST); replies sent with it keep their text."""
    saved = get_object_or_404(SavedReply, pk=pk)
    if request.method != "POST":
        return render(request, "inbox/saved_replies_delete.html", {"saved": saved})
    service.delete_saved_reply(
        saved=saved,
        actor=request.user,  # type: ignore[arg-type]
        request=request,
    )
    messages.success(request, _("The saved reply was deleted."))
    return redirect("inbox:saved_replies")
