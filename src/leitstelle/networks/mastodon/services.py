"""Sign in with Mastodon: register Leitstelle on the instance, take a token.

The app is registered anew for each sign-in (Mastodon apps are cheap and the
instance may be one Leitstelle has never seen); its id and secret wait in
the session, the secret encrypted, until the instance sends the admin back.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from leitstelle.core.audit import record_event
from leitstelle.core.services import ServiceError
from leitstelle.lib import crypto
from leitstelle.networks.base import ConnectorError, Unavailable
from leitstelle.networks.mastodon import client
from leitstelle.networks.mastodon.forms import channel_config

SESSION_KEY = "networks.mastodon.sign_in"
VALID_SECONDS = 30 * 60


class SignInError(ServiceError):
    """The sign-in cannot be finished; `message` says why."""


@dataclass(frozen=True)
class SignedIn:
    config: dict[str, Any]
    credentials: dict[str, Any]


def callback_url() -> str:
    return settings.BASE_URL.rstrip("/") + reverse("mastodon:callback")


def start_sign_in(
    *, request: HttpRequest, instance: str, server: dict[str, Any]
) -> str:
    """Register the app on `instance`; return the address to send the admin to."""
    redirect_uri = callback_url()
    try:
        client_id, client_secret = client.register_app(instance, redirect_uri)
        url = client.authorize_url(
            instance, client_id, redirect_uri, state := secrets.token_urlsafe(32)
        )
    except ConnectorError as exc:
        raise SignInError(exc.message) from None
    request.session[SESSION_KEY] = {
        "instance": instance,
        "server": server,
        "client_id": client_id,
        "client_secret": crypto.encrypt_json({"client_secret": client_secret}),
        "state": state,
        "started_at": time.time(),
    }
    record_event(
        action="mastodon.app_registered",
        details={"instance": instance, "redirect_uri": redirect_uri},
        request=request,
    )
    return url


def finish_sign_in(
    *, request: HttpRequest, state: str, code: str, error: str = ""
) -> SignedIn:
    """Check the instance's answer against the session; trade the code for a token."""
    pending = request.session.pop(SESSION_KEY, None)
    if not pending or time.time() - pending.get("started_at", 0) > VALID_SECONDS:
        raise SignInError(
            _("The sign-in was not finished in time. Please start again.")
        )
    if not state or not constant_time_compare(state, pending["state"]):
        raise SignInError(
            _("The answer of the Mastodon server does not belong to this sign-in.")
        )
    if error or not code:
        raise SignInError(
            _("The Mastodon server did not grant access. Please start again.")
        )
    client_secret = crypto.decrypt_json(pending["client_secret"])["client_secret"]
    try:
        token = client.exchange_code(
            pending["instance"],
            client_id=pending["client_id"],
            client_secret=client_secret,
            code=code,
            redirect_uri=callback_url(),
        )
    except Unavailable as exc:
        raise SignInError(exc.message) from None
    except ConnectorError:
        raise SignInError(
            _("The Mastodon server did not accept the sign-in. Please start again.")
        ) from None
    return SignedIn(
        config=channel_config(pending["instance"], pending["server"]),
        credentials={
            "access_token": token,
            "client_id": pending["client_id"],
            "client_secret": client_secret,
        },
    )
