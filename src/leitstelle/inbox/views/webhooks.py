"""The webhook endpoint networks call, and its settings page for admins."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from leitstelle.core.permissions import Perm, require_perm
from leitstelle.inbox import webhooks
from leitstelle.networks.base import ConnectorError
from leitstelle.networks.models import Channel

SECRET_MAX_LENGTH = 256


@csrf_exempt
@require_http_methods(["GET", "POST"])
def receive(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Answer a network: verification on GET, events on POST (no login)."""
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None or not webhooks.supports_webhooks(channel):
        raise Http404
    if request.method == "GET":
        answer = webhooks.handshake(channel=channel, params=request.GET)
        return HttpResponse(
            answer.body, status=answer.status, content_type=answer.content_type
        )
    length = request.headers.get("Content-Length") or "0"
    if not length.isdigit() or int(length) > webhooks.MAX_BODY_BYTES:
        return HttpResponse(status=413)
    try:
        body = request.body
    except RequestDataTooBig:
        return HttpResponse(status=413)
    received = webhooks.receive(channel=channel, headers=request.headers, body=body)
    return HttpResponse(status=received.status)


class WebhookSecretsForm(forms.Form):
    """One password field per secret the network needs; blank keeps it."""

    def __init__(self, *args: object, channel: Channel, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        module = webhooks.module_for(channel.kind)
        for key, label, help_text in module.SECRETS if module else ():
            self.fields[key] = forms.CharField(
                label=label,
                help_text=help_text,
                required=False,
                max_length=SECRET_MAX_LENGTH,
                strip=True,
                widget=forms.PasswordInput(
                    render_value=False, attrs={"autocomplete": "off"}
                ),
            )


@require_http_methods(["GET", "POST"])
@require_perm(Perm.MANAGE_CHANNELS)
def webhook_settings(request: HttpRequest, pk: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=pk)
    if not webhooks.supports_webhooks(channel):
        raise Http404
    form = WebhookSecretsForm(request.POST or None, channel=channel)
    if request.method == "POST" and form.is_valid():
        webhooks.configure(
            channel=channel,
            actor=request.user,
            values=form.cleaned_data,
            request=request,
        )
        messages.success(request, _("The webhook settings were saved."))
        return redirect("inbox:webhook_settings", pk=channel.pk)
    stored = webhooks.secrets_of(channel)
    context = {
        "channel": channel,
        "form": form,
        "callback_url": webhooks.callback_url(channel),
        "configured": webhooks.is_configured(channel),
        "verify_token": stored.get("webhook_verify_token", ""),
        "needs_verify_token": webhooks.needs_verify_token(channel),
        "last_received": webhooks.last_received(channel),
        "can_register": webhooks.can_register(channel),
        "delivers_by_webhook": webhooks.delivers_by_webhook(channel),
    }
    return render(request, "inbox/webhook_settings.html", context)


@require_POST
@require_perm(Perm.MANAGE_CHANNELS)
def webhook_register(request: HttpRequest, pk: int) -> HttpResponse:
    """Tell the network (Telegram) to deliver to our webhook, or to stop."""
    channel = get_object_or_404(Channel, pk=pk)
    if not webhooks.can_register(channel):
        raise Http404
    stop = request.POST.get("action") == "remove"
    change = webhooks.unregister if stop else webhooks.register
    try:
        change(channel=channel, actor=request.user, request=request)
    except ConnectorError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Telegram no longer sends to the webhook; Leitstelle fetches again.")
            if stop
            else _("Telegram now sends new items to the webhook."),
        )
    return redirect("inbox:webhook_settings", pk=channel.pk)
