"""Sign in with Mastodon: the instance form and the OAuth callback."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from leitstelle.core.permissions import Perm, require_perm
from leitstelle.core.services import ServiceError
from leitstelle.networks import services as channel_services
from leitstelle.networks.mastodon import services
from leitstelle.networks.mastodon.forms import InstanceForm
from leitstelle.networks.models import Channel
from leitstelle.networks.views import stash_pending


@require_perm(Perm.MANAGE_CHANNELS)
@require_http_methods(["GET", "POST"])
@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    form = InstanceForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            url = services.start_sign_in(
                request=request, instance=data["instance"], server=data["server"]
            )
        except services.SignInError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect(url)
    return render(request, "networks/mastodon/sign_in.html", {"form": form})


@require_perm(Perm.MANAGE_CHANNELS)
@require_safe
@never_cache
def callback(request: HttpRequest) -> HttpResponse:
    """Take the admin back from the instance; confirm a new account or renew access.

    Signing in with an account that is connected already renews that
    channel's access (the way to re-authorise through OAuth).
    """
    try:
        signed_in = services.finish_sign_in(
            request=request,
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
        )
        channel = Channel(kind="mastodon", config=signed_in.config)
        channel.set_credentials(signed_in.credentials)
        account = channel_services.verify_account(channel=channel)
        existing = Channel.objects.filter(
            kind="mastodon", remote_id=account.remote_id
        ).first()
        if existing is None:
            return stash_pending(request, channel=channel, account=account)
        channel_services.reauthorise_channel(
            channel=existing,
            actor=request.user,  # type: ignore[arg-type]
            config=signed_in.config,
            credentials=signed_in.credentials,
            request=request,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("mastodon:sign_in")
    messages.success(request, _("The channel has been connected again."))
    return redirect("networks:detail", channel_id=existing.pk)
