"""Channel pages: list, connect (form, verify, confirm), detail and actions.

Connecting takes two steps. The network's ConnectForm is verified against
the network first; the account it belongs to is shown for confirmation and
only then saved. Between the steps the credentials stay in the session,
encrypted with the same keys as in the database, never in the page.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from importlib import import_module
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from leitstelle.core.permissions import Perm, has_perm, require_perm
from leitstelle.lib import crypto
from leitstelle.networks import registry, services
from leitstelle.networks.base import Account, Connector, Counting
from leitstelle.networks.forms import ChannelAccessForm, ConfirmChannelForm
from leitstelle.networks.models import Channel, ChannelStatus

logger = logging.getLogger(__name__)

PENDING_KEY = "networks.pending_channel"
PENDING_VALID_SECONDS = 30 * 60
ACCOUNT_FIELDS = ("remote_id", "handle", "display_name", "avatar_url", "profile_url")
CAPABILITY_LABELS = {
    "publish": gettext_lazy("Publish posts"),
    "threads": gettext_lazy("Publish threads of several posts"),
    "edit": gettext_lazy("Edit published posts"),
    "delete": gettext_lazy("Delete posts"),
    "inbox": gettext_lazy("Fetch comments and mentions"),
    "reply": gettext_lazy("Reply"),
    "direct_messages": gettext_lazy("Direct messages"),
    "hide": gettext_lazy("Hide comments"),
    "block": gettext_lazy("Block accounts"),
    "mute": gettext_lazy("Mute accounts"),
    "search": gettext_lazy("Search the network"),
    "metrics": gettext_lazy("Figures: followers, reach, likes"),
}
COUNTING_LABELS = {
    Counting.CHARACTERS: gettext_lazy("characters"),
    Counting.GRAPHEMES: gettext_lazy(
        "characters as people see them; an emoji counts once"
    ),
    Counting.WEIGHTED: gettext_lazy("weighted characters; emoji and CJK count twice"),
    Counting.UTF16: gettext_lazy("UTF-16 code units; most emoji count twice"),
}


def network_module(kind: str, name: str) -> str:
    """Return the dotted path of module `name` beside the kind's connector."""
    package = registry.CONNECTORS[kind].rsplit(".", 2)[0]
    return f"{package}.{name}"


def connect_form_class(kind: str) -> type[forms.Form] | None:
    """Return the kind's ConnectForm, or None while its network is missing."""
    try:
        registry.connector_class(kind)
        return import_module(network_module(kind, "forms")).ConnectForm
    except (ImportError, AttributeError) as exc:
        logger.warning("network %s is not available: %s", kind, exc)
        return None


def connector_or_none(kind: str) -> type[Connector] | None:
    try:
        return registry.connector_class(kind)
    except ImportError:
        return None


def known_kind(kind: str) -> str:
    if kind not in registry.CONNECTORS:
        raise Http404
    return kind


def visible_channel(request: HttpRequest, channel_id: int) -> Channel:
    channels = Channel.objects.visible_to(request.user)
    return get_object_or_404(channels, pk=channel_id)


def managed_channel(channel_id: int) -> Channel:
    return get_object_or_404(Channel, pk=channel_id)


@require_perm(Perm.VIEW_CHANNELS)
@require_safe
def channel_list(request: HttpRequest) -> HttpResponse:
    channels = Channel.objects.visible_to(request.user).prefetch_related(
        "units", "users"
    )
    context = {
        "channels": channels,
        "can_manage": has_perm(request.user, Perm.MANAGE_CHANNELS),
    }
    return render(request, "networks/list.html", context)


@require_perm(Perm.MANAGE_CHANNELS)
@require_safe
def choose_network(request: HttpRequest) -> HttpResponse:
    kinds = [
        {
            "kind": kind,
            "label": label,
            "available": connect_form_class(kind) is not None,
        }
        for kind, label in registry.LABELS.items()
    ]
    kinds.sort(key=lambda entry: entry["kind"] != "exercise")
    return render(request, "networks/choose.html", {"kinds": kinds})


def stash_pending(
    request: HttpRequest, *, channel: Channel, account: Account
) -> HttpResponse:
    """Keep a verified, unsaved channel for confirmation; redirect there.

    Networks with an OAuth redirect call this from their callback view.
    """
    expires = channel.credentials_expire_at
    request.session[PENDING_KEY] = {
        "kind": channel.kind,
        "config": channel.config,
        "credentials": channel.credentials_encrypted,
        "credentials_expire_at": expires.isoformat() if expires else None,
        "account": {field: getattr(account, field) for field in ACCOUNT_FIELDS},
        "stashed_at": time.time(),
    }
    return redirect("networks:confirm", kind=channel.kind)


def pending_for(request: HttpRequest, kind: str) -> dict[str, Any] | None:
    pending = request.session.get(PENDING_KEY)
    if not pending or pending.get("kind") != kind:
        return None
    if time.time() - pending.get("stashed_at", 0) > PENDING_VALID_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    return pending


def verify_form(kind: str, form: forms.Form) -> tuple[Channel, Account] | None:
    """Verify the form's credentials on the network; add errors on failure."""
    config, credentials = form.channel_data()  # type: ignore[attr-defined]
    channel = Channel(kind=kind, config=config)
    channel.set_credentials(credentials)
    try:
        account = services.verify_account(channel=channel)
        services.ensure_not_connected(kind=kind, account=account)
    except services.ServiceError as exc:
        form.add_error(None, exc.message)
        return None
    return channel, account


@require_perm(Perm.MANAGE_CHANNELS)
@require_http_methods(["GET", "POST"])
@never_cache
def connect(request: HttpRequest, kind: str) -> HttpResponse:
    label = registry.LABELS[known_kind(kind)]
    form_class = connect_form_class(kind)
    if form_class is None:
        context = {"kind": kind, "label": label}
        return render(request, "networks/unavailable.html", context)
    form = form_class(request.POST if request.method == "POST" else None)
    if form.is_valid():
        verified = verify_form(kind, form)
        if verified is not None:
            channel, account = verified
            return stash_pending(request, channel=channel, account=account)
    context = {"kind": kind, "label": label, "form": form}
    return render(request, "networks/connect.html", context)


@require_perm(Perm.MANAGE_CHANNELS)
@require_http_methods(["GET", "POST"])
@never_cache
def confirm(request: HttpRequest, kind: str) -> HttpResponse:
    label = registry.LABELS[known_kind(kind)]
    pending = pending_for(request, kind)
    if pending is None:
        messages.error(
            request, _("The connection was not finished in time. Please start again.")
        )
        return redirect("networks:connect", kind=kind)
    account = Account(**pending["account"])
    form = ConfirmChannelForm(
        request.POST if request.method == "POST" else None,
        initial={"name": account.display_name or account.handle},
    )
    if form.is_valid():
        channel = save_pending(request, pending, account, form)
        if channel is not None:
            request.session.pop(PENDING_KEY, None)
            messages.success(request, _("The channel has been connected."))
            return redirect("networks:detail", channel_id=channel.pk)
    context = {"kind": kind, "label": label, "account": account, "form": form}
    return render(request, "networks/confirm.html", context)


def save_pending(
    request: HttpRequest,
    pending: dict[str, Any],
    account: Account,
    form: ConfirmChannelForm,
) -> Channel | None:
    expires = pending.get("credentials_expire_at")
    try:
        return services.connect_channel(
            actor=request.user,  # type: ignore[arg-type]
            kind=pending["kind"],
            name=form.cleaned_data["name"],
            config=pending["config"],
            credentials=crypto.decrypt_json(pending["credentials"]),
            account=account,
            units=form.cleaned_data["units"],
            users=form.cleaned_data["users"],
            credentials_expire_at=parse_datetime(expires) if expires else None,
            request=request,
        )
    except crypto.DecryptionError:
        form.add_error(None, _("The connection has expired. Please start again."))
    except services.ServiceError as exc:
        form.add_error(None, exc.message)
    return None


def access_form(channel: Channel) -> ChannelAccessForm:
    return ChannelAccessForm(
        initial={"units": list(channel.units.all()), "users": list(channel.users.all())}
    )


def network_facts(channel: Channel) -> dict[str, Any]:
    """Return what the channel's network (and its plan) allows."""
    if connector_or_none(channel.kind) is None:
        return {}
    connector = channel.connector
    flags = asdict(connector.capabilities)
    return {
        "rules": connector.text_rules,
        "counting": COUNTING_LABELS.get(connector.text_rules.counting, ""),
        "media": connector.media_rules,
        "capabilities": [
            (label, flags[name]) for name, label in CAPABILITY_LABELS.items()
        ],
        "unavailable_reasons": connector.unavailable_reasons(),
    }


@require_perm(Perm.VIEW_CHANNELS)
@require_safe
def detail(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = visible_channel(request, channel_id)
    context = {
        "channel": channel,
        "label": registry.LABELS.get(channel.kind, channel.kind),
        "can_manage": has_perm(request.user, Perm.MANAGE_CHANNELS),
        "access_form": access_form(channel),
        **network_facts(channel),
    }
    return render(request, "networks/detail.html", context)


@require_perm(Perm.MANAGE_CHANNELS)
@require_http_methods(["GET", "POST"])
@never_cache
def reauthorise(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = managed_channel(channel_id)
    form_class = connect_form_class(channel.kind)
    label = registry.LABELS.get(channel.kind, channel.kind)
    if form_class is None:
        context = {"kind": channel.kind, "label": label}
        return render(request, "networks/unavailable.html", context)
    form = form_class(request.POST if request.method == "POST" else None)
    if form.is_valid():
        config, credentials = form.channel_data()
        try:
            services.reauthorise_channel(
                channel=channel,
                actor=request.user,  # type: ignore[arg-type]
                config=config,
                credentials=credentials,
                request=request,
            )
        except services.ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The channel has been connected again."))
            return redirect("networks:detail", channel_id=channel.pk)
    context = {"channel": channel, "label": label, "form": form}
    return render(request, "networks/reauthorise.html", context)


@require_perm(Perm.MANAGE_CHANNELS)
@require_POST
def update_access(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = managed_channel(channel_id)
    form = ChannelAccessForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose existing units and people."))
        return redirect("networks:detail", channel_id=channel.pk)
    services.update_channel_access(
        channel=channel,
        actor=request.user,  # type: ignore[arg-type]
        units=form.cleaned_data["units"],
        users=form.cleaned_data["users"],
        request=request,
    )
    messages.success(request, _("Who sees the channel has been saved."))
    return redirect("networks:detail", channel_id=channel.pk)


def not_checked_message(channel: Channel) -> str:
    if channel.status == ChannelStatus.PAUSED:
        return _("The channel is paused and was not checked. Resume it first.")
    if channel.status == ChannelStatus.NEEDS_REAUTH:
        return _("The channel was not checked. Connect it again first.")
    until = date_format(localtime(channel.rate_limited_until), "SHORT_DATETIME_FORMAT")
    return _(
        "The network asked to wait until %(time)s; the channel was not checked."
    ) % {"time": until}


@require_perm(Perm.MANAGE_CHANNELS)
@require_POST
def check_now(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = managed_channel(channel_id)
    if not services.check_channel_health(channel=channel):
        messages.warning(request, not_checked_message(channel))
    elif channel.status == ChannelStatus.ACTIVE:
        messages.success(request, _("The channel works."))
    else:
        messages.error(request, channel.last_error)
    return redirect("networks:detail", channel_id=channel.pk)


@require_perm(Perm.MANAGE_CHANNELS)
@require_POST
def pause(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = managed_channel(channel_id)
    try:
        services.pause_channel(channel=channel, actor=request.user, request=request)  # type: ignore[arg-type]
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The channel is paused."))
    return redirect("networks:detail", channel_id=channel.pk)


@require_perm(Perm.MANAGE_CHANNELS)
@require_POST
def resume(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = managed_channel(channel_id)
    try:
        services.resume_channel(channel=channel, actor=request.user, request=request)  # type: ignore[arg-type]
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The channel is active again."))
    return redirect("networks:detail", channel_id=channel.pk)


@require_perm(Perm.MANAGE_CHANNELS)
@require_POST
def disconnect(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = managed_channel(channel_id)
    name = channel.name
    try:
        services.disconnect_channel(
            channel=channel,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
    except services.ChannelError as exc:
        messages.error(request, exc.message)
        return redirect("networks:detail", channel_id=channel.pk)
    messages.success(request, _("“%(name)s” has been disconnected.") % {"name": name})
    return redirect("networks:list")
