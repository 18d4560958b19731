"""Payloads that could not be read, for admins: list, detail, dismiss."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from leitstelle.core.audit import record_event
from leitstelle.core.permissions import Perm, require_perm
from leitstelle.inbox import webhooks
from leitstelle.inbox.models import QuarantinedPayload
from leitstelle.networks.models import Channel

PAGE_SIZE = 50
PREVIEW_LENGTH = 160


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@require_safe
@require_perm(Perm.MANAGE_CHANNELS)
def quarantine_list(request: HttpRequest) -> HttpResponse:
    rows = QuarantinedPayload.objects.select_related("channel").order_by("-id")
    channel_id = _int(request.GET.get("channel"))
    if channel_id:
        rows = rows.filter(channel_id=channel_id)
    before = _int(request.GET.get("before"))
    if before:
        rows = rows.filter(id__lt=before)
    page = list(rows.defer("raw_body")[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    context = {
        "payloads": page,
        "older": page[-1].pk if more else None,
        "channels": Channel.objects.filter(quarantined_payloads__isnull=False)
        .distinct()
        .order_by("name"),
        "channel_id": channel_id,
    }
    return render(request, "inbox/quarantine_list.html", context)


@require_safe
@require_perm(Perm.MANAGE_CHANNELS)
def quarantine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payload = get_object_or_404(
        QuarantinedPayload.objects.select_related("channel"), pk=pk
    )
    context = {"payload": payload, "retryable": webhooks.retryable(payload)}
    return render(request, "inbox/quarantine_detail.html", context)


@require_POST
@require_perm(Perm.MANAGE_CHANNELS)
def quarantine_retry(request: HttpRequest, pk: int) -> HttpResponse:
    payload = get_object_or_404(
        QuarantinedPayload.objects.select_related("channel"), pk=pk
    )
    try:
        result = webhooks.retry(payload=payload, actor=request.user, request=request)
    except webhooks.RetryFailed as exc:
        messages.error(
            request,
            _("The payload still cannot be read: %(reason)s") % {"reason": exc.message},
        )
        return redirect("inbox:quarantine_detail", pk=pk)
    messages.success(
        request,
        _("The payload was read: %(created)d new, %(updated)d changed items.")
        % {"created": result.created, "updated": result.updated},
    )
    return redirect("inbox:quarantine")


@require_POST
@require_perm(Perm.MANAGE_CHANNELS)
def quarantine_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    payload = get_object_or_404(QuarantinedPayload, pk=pk)
    with transaction.atomic():
        record_event(
            action="inbox.quarantine_dismissed",
            actor=request.user,  # type: ignore[arg-type]
            target=payload.channel,
            details={
                "payload": payload.pk,
                "reason": payload.reason[:PREVIEW_LENGTH],
                "received_at": payload.received_at.isoformat(),
            },
            request=request,
        )
        payload.delete()
    messages.success(request, _("The payload was dismissed."))
    return redirect("inbox:quarantine")
