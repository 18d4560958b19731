"""The Telegram Bot API over the shared httpx setup.

Every answer is `{"ok": true, "result": ...}` or `{"ok": false, "error_code",
"description", "parameters": {"retry_after"}}`
(https://core.telegram.org/bots/api#making-requests). The bot token is part
of every URL, so httpx's request log must stay off (settings.LOGGING).
"""

from __future__ import annotations

from typing import Any

import httpx

from leitstelle.lib.http import (
    make_client,
    raise_for_status,
    retry_after_seconds,
    translate_transport_errors,
)
from leitstelle.networks.base import (
    AuthExpired,
    ConnectorError,
    ContentRejected,
    RateLimited,
    Unavailable,
)

NETWORK = "Telegram"
API_URL = "https://api.telegram.org"
# 403 answers about one person, not about the bot's access to the channel.
RECIPIENT_REFUSALS = (
    "blocked by the user",
    "user is deactivated",
    "bot can't initiate",
)


def raise_telegram_error(response: httpx.Response, body: Any) -> None:
    error = body if isinstance(body, dict) else {}
    code = (
        error.get("error_code")
        if isinstance(error.get("error_code"), int)
        else response.status_code
    )
    description = str(error.get("description") or response.reason_phrase)
    parameters = (
        error.get("parameters") if isinstance(error.get("parameters"), dict) else {}
    )
    if code in (401, 404):
        # A malformed token gets 404 Not Found, a revoked one 401.
        raise AuthExpired(
            f"{NETWORK}: the bot token is not valid any more ({description})."
        )
    if code == 403 and not any(part in description for part in RECIPIENT_REFUSALS):
        raise AuthExpired(
            f"{NETWORK}: the bot may not act here any more ({description})."
        )
    if code == 429:
        wait = parameters.get("retry_after")
        seconds = (
            float(wait)
            if isinstance(wait, int)
            else retry_after_seconds(response.headers.get("Retry-After"))
        )
        raise RateLimited(f"{NETWORK}: rate limit reached.", retry_after=seconds)
    if code == 409 or "chat not found" in description:
        # 409: a webhook is set, or another program reads this bot's updates.
        raise ConnectorError(f"{NETWORK}: {description}", permanent=True)
    if code in (400, 403):
        raise ContentRejected(
            f"{NETWORK} rejected the request: {description}", reason=description
        )
    raise_for_status(response, NETWORK, description)


class BotClient:
    """Call Bot API methods and return their `result`."""

    def __init__(self, token: str, api_url: str = API_URL) -> None:
        self.http = make_client(f"{api_url.rstrip('/')}/bot{token}/")

    def call(self, method: str, **params: Any) -> Any:
        return self._send(
            method, json={k: v for k, v in params.items() if v is not None}
        )

    def upload(self, method: str, data: dict[str, Any], files: dict[str, Any]) -> Any:
        return self._send(method, data=data, files=files)

    def _send(self, method: str, **kwargs: Any) -> Any:
        with translate_transport_errors(NETWORK):
            response = self.http.post(method, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = None
        if (
            response.status_code >= 400
            or not isinstance(body, dict)
            or body.get("ok") is not True
        ):
            if response.status_code < 400 and not isinstance(body, dict):
                raise Unavailable(
                    f"{NETWORK} answered with something that is not JSON."
                )
            raise_telegram_error(response, body)
        return body.get("result")
