"""The X API v2 over the shared httpx setup: auth, errors, OAuth 2.0 PKCE.

Requests are signed with OAuth 1.0a user keys (authlib's signer) or carry an
OAuth 2.0 user token that is refreshed before it runs out
(https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable, Generator
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oauth1 import ClientAuth

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

NETWORK = "X"
API_URL = "https://api.x.com"
AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
TOKEN_URL = "https://api.x.com/2/oauth2/token"  # noqa: S105 (an address)
# offline.access yields a refresh token; without it a token lives two hours.
SCOPES = (
    "tweet.read tweet.write tweet.moderate.write users.read "
    "mute.write block.write media.write offline.access"
)
# X's problem types and reasons that mean "not in this access tier".
TIER_REASONS = ("client-not-enrolled", "client-forbidden")


class OAuth1(httpx.Auth):
    """Sign requests with OAuth 1.0a user context (HMAC-SHA1).

    JSON and multipart bodies are not part of the signature (RFC 5849
    section 3.4.1.3.1 signs form bodies only), so only the header is added.
    """

    def __init__(self, credentials: dict[str, str]) -> None:
        self.signer = ClientAuth(
            credentials["consumer_key"],
            credentials["consumer_secret"],
            token=credentials["access_token"],
            token_secret=credentials["access_token_secret"],
        )

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        _, headers, _ = self.signer.sign(request.method, str(request.url), {}, b"")
        request.headers["Authorization"] = headers["Authorization"]
        yield request


class OAuth2(httpx.Auth):
    """Send the user token; on a 401 refresh it once and try again."""

    def __init__(
        self, token: Callable[[], str], refresh: Callable[[], str] | None
    ) -> None:
        self.token, self.refresh = token, refresh

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        response = yield request
        if response.status_code == 401 and self.refresh is not None:
            request.headers["Authorization"] = f"Bearer {self.refresh()}"
            yield request


def reason_of(body: Any) -> str:
    """Return X's own words: the first `errors` message, `detail` or `title`."""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors")
    first = (
        errors[0]
        if isinstance(errors, list) and errors and isinstance(errors[0], dict)
        else {}
    )
    for value in (
        first.get("message"),
        first.get("detail"),
        body.get("detail"),
        body.get("title"),
    ):
        if isinstance(value, str) and value:
            return value
    return ""


def _wait(response: httpx.Response) -> float | None:
    """Seconds until x-rate-limit-reset (epoch seconds), else Retry-After."""
    try:
        return max(0.0, float(response.headers["x-rate-limit-reset"]) - time.time())
    except (KeyError, ValueError):
        return retry_after_seconds(response.headers.get("Retry-After"))


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def raise_x_error(response: httpx.Response) -> None:
    """Turn an X error answer into a typed connector error."""
    body = _json(response)
    reason = reason_of(body)
    fields = ("type", "reason", "title")
    marker = (
        " ".join(str(body.get(k, "")) for k in fields) if isinstance(body, dict) else ""
    )
    marker = marker.lower().replace(" ", "-")
    capped = "usagecapped" in marker or "usage-capped" in marker
    if response.status_code == 429 and not capped:
        raise RateLimited(
            f"{NETWORK}: rate limit reached.", retry_after=_wait(response)
        )
    if capped or response.status_code == 402:
        raise ConnectorError(
            f"{NETWORK}: the app's usage cap or credit is used up ({reason}). "
            "Raise it in the X developer portal, then resume the channel.",
            permanent=True,
        )
    if any(tier in marker for tier in TIER_REASONS):
        raise ConnectorError(
            f"{NETWORK}: the app's access tier does not allow this ({reason}). "
            "Check the tier chosen for the channel.",
            permanent=True,
        )
    wording = reason.lower()
    if response.status_code == 403 and (
        "duplicate" in wording or "not permitted" in wording
    ):
        raise ContentRejected(f"{NETWORK} rejected the post: {reason}", reason=reason)
    raise_for_status(response, NETWORK, reason)


class XClient:
    """Send requests to api.x.com and return the JSON object X answers."""

    def __init__(self, auth: httpx.Auth) -> None:
        self.http = make_client(API_URL, auth=auth)

    def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        with translate_transport_errors(NETWORK):
            response = self.http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise_x_error(response)
        try:
            body = response.json()
        except ValueError:
            raise Unavailable(
                f"{NETWORK} answered with something that is not JSON."
            ) from None
        if not isinstance(body, dict):
            raise Unavailable(
                f"{NETWORK} answered with something that is not an object."
            )
        return body


def pkce_pair() -> tuple[str, str]:
    """Return a code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(
    *, client_id: str, redirect_uri: str, state: str, challenge: str
) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPES,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{AUTHORIZE_URL}?{urlencode(query)}"


def token_request(*, client_id: str, client_secret: str, **form: str) -> dict[str, Any]:
    """Call the token endpoint; confidential clients authenticate with Basic."""
    auth = (client_id, client_secret) if client_secret else None
    with make_client() as http, translate_transport_errors(NETWORK):
        response = http.post(
            TOKEN_URL, data={"client_id": client_id, **form}, auth=auth
        )
    if response.status_code in (400, 401):
        # invalid_grant: the code or refresh token is used up or revoked.
        body = _json(response)
        said = body.get("error_description") if isinstance(body, dict) else None
        raise AuthExpired(
            f"{NETWORK} refused the sign-in ({said or response.reason_phrase})."
        )
    if response.status_code >= 400:
        raise_x_error(response)
    body = _json(response)
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise Unavailable(f"{NETWORK} answered the sign-in without an access token.")
    return body
