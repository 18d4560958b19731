"""Replying in a thread: the form, sending, retrying and the length counter."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_htmx.middleware import HtmxDetails

from leitstelle.core.permissions import Perm, has_perm, require_perm
from leitstelle.inbox import moderation, presence, queries, replies
from leitstelle.inbox.models import Interaction, Reply, ReplyStatus, SavedReply
from leitstelle.inbox.reply_forms import ReplyForm
from leitstelle.inbox.views.thread import thread_context

THREAD = "inbox/thread.html"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def visible_item(request: HttpRequest, pk: int) -> Interaction:
    return get_object_or_404(
        queries.visible_interactions(request.user).select_related(
            "channel", "author", "assignee"
        ),
        pk=pk,
    )


def work_context(
    request: HttpRequest, item: Interaction, **overrides: Any
) -> dict[str, Any]:
    """Return what the thread page needs to reply and moderate."""
    can_work = has_perm(request.user, Perm.WORK_INBOX)
    presence.touch(interaction=item, user=request.user)  # type: ignore[arg-type]
    context: dict[str, Any] = {
        "colleagues": presence.colleagues(interaction=item, user=request.user),
        "presence_seconds": presence.HEARTBEAT_SECONDS,
    }
    if not can_work:
        return {**context, **overrides}
    channel = item.channel
    context.update(
        {
            "reply_refusal": reply_refusal(item),
            "saved_replies": replies.saved_reply_choices(item.language),
            "moderation": {
                action: moderation.supports(channel, action)
                for action in moderation.ACTIONS
            },
            "moderation_unsupported": moderation.unsupported(channel),
        }
    )
    if "reply_form" not in overrides:
        picked = picked_saved_reply(request)
        overrides["reply_form"] = new_reply_form(item, picked)
    form = overrides["reply_form"]
    text = form["text"].value() or ""
    context["reply_length"], context["reply_limit"] = replies.length_of(text, item)
    return {**context, **overrides}


def reply_refusal(item: Interaction) -> str:
    try:
        replies.check_can_reply(item)
    except replies.ReplyRefused as exc:
        return exc.message
    return ""


def picked_saved_reply(request: HttpRequest) -> SavedReply | None:
    value = request.GET.get("textbaustein", "")
    return SavedReply.objects.filter(pk=int(value)).first() if value.isdigit() else None


def new_reply_form(item: Interaction, saved: SavedReply | None = None) -> ReplyForm:
    initial: dict[str, Any] = {"seen_reply": replies.newest_reply_id(item)}
    if saved is not None:
        initial["text"] = replies.fill_placeholders(saved.text, item)
        initial["saved_reply"] = saved.pk
    return ReplyForm(initial=initial)


def render_thread(
    request: HttpRequest, item: Interaction, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(
        request, THREAD, thread_context(request, item, **extra), status=status
    )


@require_POST
@require_perm(Perm.WORK_INBOX)
def send(request: HttpRequest, pk: int) -> HttpResponse:
    item = visible_item(request, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return render_thread(request, item, 400, reply_form=form)
    others = replies.replies_by_others_since(
        interaction=item,
        seen_id=form.cleaned_data["seen_reply"],
        user=request.user,  # type: ignore[arg-type]
    )
    if others and not form.cleaned_data["confirmed"]:
        data = request.POST.copy()
        data["seen_reply"] = str(others[-1].pk)
        data["confirmed"] = "1"
        return render_thread(
            request, item, 409, reply_form=ReplyForm(data), collisions=others
        )
    try:
        reply = replies.send_reply(
            interaction=item,
            actor=request.user,  # type: ignore[arg-type]
            text=form.cleaned_data["text"],
            saved_reply=form.cleaned_data["saved_reply"],
            request=request,
        )
    except replies.ReplyRefused as exc:
        form.add_error("text", exc.message)
        return render_thread(request, item, 400, reply_form=form)
    announce(request, reply)
    return redirect(f"{reverse('inbox:detail', args=[item.pk])}#reply-{reply.pk}")


def announce(request: HttpRequest, reply: Reply) -> None:
    if reply.status == ReplyStatus.SENT:
        messages.success(request, _("The reply was sent."))
    elif reply.status == ReplyStatus.FAILED:
        messages.error(
            request,
            _("The reply could not be sent: %(error)s") % {"error": reply.error},
        )
    else:
        messages.info(request, _("The reply is being sent."))


def visible_reply(request: HttpRequest, reply_pk: int) -> Reply:
    items = queries.visible_interactions(request.user)
    return get_object_or_404(
        Reply.objects.select_related("author", "interaction").filter(
            interaction__in=items
        ),
        pk=reply_pk,
    )


@require_POST
@require_perm(Perm.WORK_INBOX)
def retry(request: HttpRequest, reply_pk: int) -> HttpResponse:
    reply = visible_reply(request, reply_pk)
    try:
        reply = replies.retry_reply(
            reply=reply,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
    except replies.ReplyRefused as exc:
        messages.error(request, exc.message)
    else:
        announce(request, reply)
    detail = reverse("inbox:detail", args=[reply.interaction_id])
    return redirect(f"{detail}#reply-{reply.pk}")


@require_safe
@require_perm(Perm.VIEW_INBOX)
def reply_status(request: HttpRequest, reply_pk: int) -> HttpResponse:
    """Return one reply's entry; the page polls it while it is being sent."""
    reply = visible_reply(request, reply_pk)
    context = {"reply": reply, "can_work": has_perm(request.user, Perm.WORK_INBOX)}
    return render(request, "inbox/_reply.html", context)


@require_POST
@require_perm(Perm.WORK_INBOX)
def count(request: HttpRequest, pk: int) -> HttpResponse:
    """Return the reply's length as the item's network counts it."""
    item = visible_item(request, pk)
    length, limit = replies.length_of(request.POST.get("text", ""), item)
    context = {"reply_length": length, "reply_limit": limit}
    return render(request, "inbox/_reply_count.html", context)


@require_safe
@require_perm(Perm.WORK_INBOX)
def fill(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Put a saved reply, placeholders filled, into the reply form."""
    item = visible_item(request, pk)
    picked = picked_saved_reply(request)
    if not request.htmx:
        detail = reverse("inbox:detail", args=[item.pk])
        query = f"?textbaustein={picked.pk}" if picked else ""
        return redirect(f"{detail}{query}#reply")
    context = {"item": item, "can_work": True}
    context.update(work_context(request, item, reply_form=new_reply_form(item, picked)))
    return render(request, f"{THREAD}#reply-form", context)
