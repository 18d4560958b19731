"""Sign in with X: OAuth 2.0 Authorization Code Flow with PKCE.

The start view keeps `state` and the code verifier in the session (the
client secret encrypted) and sends the admin to X; the callback checks the
state, exchanges the code, verifies the account and hands it to the generic
confirm step, or re-authorises the channel the account already has.
https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from leitstelle.core.permissions import Perm, require_perm
from leitstelle.lib import crypto
from leitstelle.networks import services
from leitstelle.networks.base import ConnectorError
from leitstelle.networks.models import Channel
from leitstelle.networks.views import stash_pending
from leitstelle.networks.x import client
from leitstelle.networks.x.connector import token_fields
from leitstelle.networks.x.forms import OAuthStartForm

SESSION_KEY = "networks.x.oauth"
VALID_SECONDS = 15 * 60


def callback_url() -> str:
    return settings.BASE_URL + reverse("x:oauth_callback")


@require_perm(Perm.MANAGE_CHANNELS)
@require_http_methods(["GET", "POST"])
@never_cache
def oauth_start(request: HttpRequest) -> HttpResponse:
    form = OAuthStartForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        data = form.cleaned_data
        verifier, challenge = client.pkce_pair()
        state = secrets.token_urlsafe(32)
        app = {"client_id": data["client_id"], "client_secret": data["client_secret"]}
        request.session[SESSION_KEY] = {
            "state": state,
            "verifier": verifier,
            "app": crypto.encrypt_json(app),
            "tier": data["tier"],
            "started": time.time(),
        }
        return redirect(
            client.authorize_url(
                client_id=data["client_id"],
                redirect_uri=callback_url(),
                state=state,
                challenge=challenge,
            )
        )
    context = {"form": form, "redirect_uri": callback_url(), "scopes": client.SCOPES}
    return render(request, "networks/x/oauth_start.html", context)


def start_again(request: HttpRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect("x:oauth_start")


def pending_sign_in(request: HttpRequest) -> tuple[dict[str, Any] | None, str]:
    """Return this session's sign-in if X's answer belongs to it, else why not."""
    pending = request.session.pop(SESSION_KEY, None)
    if (
        not isinstance(pending, dict)
        or time.time() - pending["started"] > VALID_SECONDS
    ):
        return None, _(
            "No sign-in with X was started in this session, or it took longer "
            "than 15 minutes. Nothing was saved; please start again."
        )
    state = request.GET.get("state", "").encode()
    if not secrets.compare_digest(state, str(pending["state"]).encode()):
        return None, _(
            "The answer from X does not match the sign-in started here (the "
            "state differs). Nothing was saved; please start again."
        )
    return pending, ""


@require_perm(Perm.MANAGE_CHANNELS)
@require_safe
@never_cache
def oauth_callback(request: HttpRequest) -> HttpResponse:
    pending, problem = pending_sign_in(request)
    if pending is None:
        return start_again(request, problem)
    if error := request.GET.get("error"):
        return start_again(
            request, _("X did not grant access (%(error)s).") % {"error": error}
        )
    app = crypto.decrypt_json(pending["app"])
    try:
        tokens = client.token_request(
            **app,
            grant_type="authorization_code",
            code=request.GET.get("code", ""),
            redirect_uri=callback_url(),
            code_verifier=pending["verifier"],
        )
    except ConnectorError as exc:
        return start_again(request, exc.message)
    channel = Channel(kind="x", config={"tier": pending["tier"], "auth": "oauth2"})
    channel.set_credentials({**app, **token_fields(tokens)})
    try:
        account = services.verify_account(channel=channel)
    except services.ServiceError as exc:
        return start_again(request, exc.message)
    existing = Channel.objects.filter(kind="x", remote_id=account.remote_id).first()
    if existing is None:
        return stash_pending(request, channel=channel, account=account)
    return reauthorise(request, existing, channel)


def reauthorise(
    request: HttpRequest, existing: Channel, signed_in: Channel
) -> HttpResponse:
    """Give the channel this account already has the new tokens."""
    try:
        services.reauthorise_channel(
            channel=existing,
            actor=request.user,  # type: ignore[arg-type]
            credentials=signed_in.credentials,
            config=signed_in.config,
            request=request,
        )
    except services.ServiceError as exc:
        return start_again(request, exc.message)
    messages.success(request, _("The channel has been connected again."))
    return redirect("networks:detail", channel_id=existing.pk)
