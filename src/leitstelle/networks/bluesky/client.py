"""Talk to a Bluesky account's PDS through the atproto SDK, with typed errors.

The account's PDS is found from its handle or DID (DNS/HTTPS handle
resolution, falling back to the resolver service; then the DID document from
the PLC directory or did:web). Sessions are kept as the SDK's session string
and saved again whenever the SDK refreshes them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from atproto import Client, IdResolver
from atproto_client.client.session import Session, SessionEvent
from atproto_client.exceptions import LoginRequiredError
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError
from atproto_identity.exceptions import (
    DidPlcResolverError,
    DidWebResolverError,
    PoorlyFormattedDidError,
    UnsupportedDidMethodError,
)
from django.conf import settings

from leitstelle.lib.http import TIMEOUT
from leitstelle.networks.base import (
    AuthExpired,
    ConnectorError,
    ContentRejected,
    RateLimited,
    Unavailable,
)

NETWORK = "Bluesky"
RESOLVE_TIMEOUT = 5.0
# Error names after which the session cannot go on (atproto's XRPC errors).
AUTH_ERRORS = {
    "AuthenticationRequired",
    "ExpiredToken",
    "InvalidToken",
    "AccountTakedown",
    "AccountDeactivated",
    "AuthFactorTokenRequired",
}


TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
# Derived TIDs lie in 2023 (microseconds since 1970), before any post of ours.
TID_START = 1_672_531_200 * 1_000_000
TID_SPAN = 365 * 24 * 3600 * 1_000_000


def tid_for(key: str) -> str:
    """Return a record key in TID syntax that depends on `key` alone."""
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    value = (TID_START + (digest >> 10) % TID_SPAN) << 10 | digest & 0x3FF
    return "".join(TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def make_client(pds_url: str) -> Client:
    """Return an SDK client for `pds_url` with the shared timeouts and retries."""
    request = Request(timeout=TIMEOUT, transport=httpx.HTTPTransport(retries=2))
    return Client(base_url=pds_url, request=request)


def resolve_account(identifier: str) -> tuple[str, str]:
    """Return the DID and PDS address of a handle or DID."""
    identifier = identifier.strip().removeprefix("@").lower()
    with translate_errors():
        did = (
            identifier if identifier.startswith("did:") else resolve_handle(identifier)
        )
        try:
            document = IdResolver(
                plc_url=settings.BLUESKY_PLC_URL, timeout=RESOLVE_TIMEOUT
            ).did.resolve(did)
        except (DidPlcResolverError, DidWebResolverError, httpx.HTTPError):
            raise Unavailable(
                f"{NETWORK}: the account's directory cannot be reached."
            ) from None
        except (PoorlyFormattedDidError, UnsupportedDidMethodError):
            document = None
    pds = document.get_pds_endpoint() if document else None
    if not pds:
        raise ContentRejected(
            f"{NETWORK}: no account {identifier} was found.", reason="unknown account"
        )
    return did, pds.rstrip("/")


def resolve_handle(handle: str) -> str:
    """Resolve by DNS or HTTPS (atproto's own way), else ask the resolver service."""
    did = IdResolver(timeout=RESOLVE_TIMEOUT).handle.resolve(handle)
    if did:
        return did
    answer = make_client(
        settings.BLUESKY_RESOLVER_URL
    ).com.atproto.identity.resolve_handle({"handle": handle})
    return answer.did


def log_in(pds_url: str, identifier: str, password: str) -> str:
    """Log in with an app password; return the session string."""
    client = make_client(pds_url)
    with translate_errors():
        client.login(identifier, password, fetch_bsky_profile=False)
    return client.export_session_string()


def session_client(
    pds_url: str,
    credentials: dict[str, Any],
    on_change: Callable[[str], None],
) -> Client:
    """Return a client on the stored session, re-logging in when it has ended.

    `on_change` receives every new session string (refreshed or re-created),
    so the channel can save it.
    """
    client = make_client(pds_url)

    def changed(event: SessionEvent, session: Session) -> None:
        if event in (SessionEvent.CREATE, SessionEvent.REFRESH):
            on_change(session.encode())

    client.on_session_change(changed)
    with translate_errors():
        try:
            client.login(
                session_string=credentials["session"], fetch_bsky_profile=False
            )
            client.com.atproto.server.get_session()
        except AtProtocolError as exc:
            if not (is_auth_error(exc) and credentials.get("app_password")):
                raise
            client.login(
                credentials["identifier"],
                credentials["app_password"],
                fetch_bsky_profile=False,
            )
    return client


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn atproto's errors into the connector's typed errors."""
    try:
        yield
    except AtProtocolError as exc:
        raise connector_error(exc) from exc
    except httpx.HTTPError as exc:
        raise Unavailable(
            f"{NETWORK} cannot be reached ({exc.__class__.__name__})."
        ) from exc


def connector_error(exc: AtProtocolError) -> ConnectorError:
    status, error, message = details(exc)
    reason = f"{error}: {message}" if message else error or str(status or "")
    if status == 429:
        return RateLimited(
            f"{NETWORK}: rate limit reached.", retry_after=wait_seconds(exc)
        )
    if is_auth_error(exc):
        return AuthExpired(f"{NETWORK} refused the login ({reason}).")
    if status is None or status >= 500:
        return Unavailable(
            f"{NETWORK} is unavailable ({status or exc.__class__.__name__})."
        )
    return ContentRejected(f"{NETWORK} rejected the request: {reason}", reason=reason)


def is_auth_error(exc: Exception) -> bool:
    status, error, _ = details(exc)
    return (
        status in (401, 403)
        or error in AUTH_ERRORS
        or isinstance(exc, LoginRequiredError)
    )


def details(exc: Exception) -> tuple[int | None, str, str]:
    """Return the status, XRPC error name and message an SDK error carries."""
    response = getattr(exc, "response", None)
    if response is None:
        return None, "", ""
    content = response.content
    error = getattr(content, "error", None) or ""
    message = getattr(content, "message", None) or ""
    return response.status_code, str(error), str(message)


def wait_seconds(exc: Exception) -> float | None:
    """Seconds to wait: Retry-After if sent, else until RateLimit-Reset."""
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        return retry_after
    reset_at = getattr(exc, "reset_at", None)
    if reset_at is None:
        return None
    return max(0.0, reset_at.timestamp() - time.time())
