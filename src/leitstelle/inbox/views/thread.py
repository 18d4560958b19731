"""One thread with its context, and internal notes on it."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_htmx.middleware import HtmxDetails

from leitstelle.core.permissions import Perm, has_perm, require_perm
from leitstelle.inbox import queries, services, workflow
from leitstelle.inbox.forms import NoteForm
from leitstelle.inbox.models import Interaction
from leitstelle.publishing import services as publishing

LIST = "inbox/list.html"
THREAD_LIMIT = 500
HISTORY_LIMIT = 20


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@require_safe
@require_perm(Perm.VIEW_INBOX)
def interaction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        queries.visible_interactions(request.user).select_related(
            "channel", "author", "assignee"
        ),
        pk=pk,
    )
    # Opening a new item to work on it makes it open (helper B's workflow).
    workflow.open_on_view(interaction=item, actor=request.user, request=request)
    return render(request, "inbox/thread.html", thread_context(request, item))


def thread_context(request: HttpRequest, item: Interaction, **extra: object) -> dict:
    """Return the conversation around `item`, its history and its notes."""
    from leitstelle.inbox.views.replies import work_context

    thread = (
        Interaction.objects.filter(channel=item.channel, thread_key=item.thread_key)
        .select_related("author")
        .prefetch_related("revisions", "replies__author")
        .order_by("remote_created_at", "id")[:THREAD_LIMIT]
    )
    earlier = Interaction.objects.filter(author=item.author).exclude(pk=item.pk)
    counts = earlier.aggregate(
        total=Count("id"), hidden=Count("id", filter=Q(hidden_at__isnull=False))
    )
    return {
        "item": item,
        "our_post": publishing.published_as(
            channel_id=item.channel_id, remote_id=item.root_post
        ),
        "can_view_posts": has_perm(request.user, Perm.VIEW_POSTS),
        "thread": thread,
        "history": earlier.order_by("-remote_created_at", "-id")[:HISTORY_LIMIT],
        "history_counts": counts,
        "notes": item.notes.select_related("author"),
        "can_work": has_perm(request.user, Perm.WORK_INBOX),
        "note_form": NoteForm(),
        **work_context(request, item, **extra),
    }


@require_POST
@require_perm(Perm.WORK_INBOX)
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        queries.visible_interactions(request.user).select_related("channel", "author"),
        pk=pk,
    )
    form = NoteForm(request.POST)
    if not form.is_valid():
        context = thread_context(request, item, note_form=form)
        return render(request, "inbox/thread.html", context, status=400)
    services.add_note(
        interaction=item,
        author=request.user,  # type: ignore[arg-type]
        text=form.cleaned_data["text"],
        request=request,
    )
    messages.success(request, _("The note was added."))
    return redirect("inbox:detail", pk=item.pk)
