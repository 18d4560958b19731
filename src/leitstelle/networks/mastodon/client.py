"""Talk to one Mastodon instance through Mastodon.py, with typed errors.

Mastodon.py speaks `requests`, not httpx: timeouts are set here, rate limits
raise instead of sleeping (`ratelimit_method="throw"`), and every Mastodon.py
error becomes one of the connector errors in `translate_errors`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from leitstelle.lib.http import USER_AGENT
from leitstelle.networks.base import (
    AuthExpired,
    ConnectorError,
    ContentRejected,
    RateLimited,
    Unavailable,
)

NETWORK = "Mastodon"
TIMEOUT = 20.0
APP_NAME = "Leitstelle"
# Granular enough for everything the connector does; "follow" covers blocks
# and mutes (https://docs.joinmastodon.org/api/oauth-scopes/).
SCOPES = ["read", "write", "follow"]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def normalise_instance_url(value: str) -> str:
    """Return `https://host[:port]` for what an admin typed, or raise ValueError.

    Plain http is allowed only for loopback hosts (local test servers).
    """
    value = value.strip()
    if "://" not in value:
        value = f"https://{value}"
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    if (
        not host
        or parts.path.strip("/")
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise ValueError("not an instance address")
    if parts.scheme != "https" and not (
        parts.scheme == "http" and host in LOOPBACK_HOSTS
    ):
        raise ValueError("https required")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def api(instance: str, **credentials: str) -> Mastodon:
    """Return a Mastodon.py client for `instance` (token or app credentials)."""
    return Mastodon(
        api_base_url=instance,
        access_token=credentials.get("access_token") or None,
        client_id=credentials.get("client_id") or None,
        client_secret=credentials.get("client_secret") or None,
        ratelimit_method="throw",
        request_timeout=TIMEOUT,
        user_agent=USER_AGENT,
        version_check_mode="none",
    )


def allows_http(instance: str) -> bool:
    return instance.startswith("http://")


def register_app(instance: str, redirect_uri: str) -> tuple[str, str]:
    """Register Leitstelle as an OAuth app on `instance`; return id and secret."""
    with translate_errors():
        return Mastodon.create_app(
            APP_NAME,
            scopes=SCOPES,
            redirect_uris=redirect_uri,
            api_base_url=instance,
            request_timeout=TIMEOUT,
            user_agent=USER_AGENT,
        )


def authorize_url(instance: str, client_id: str, redirect_uri: str, state: str) -> str:
    """Return the instance's page where the account holder grants access."""
    with translate_errors():
        return api(instance).auth_request_url(
            client_id=client_id,
            redirect_uris=redirect_uri,
            scopes=SCOPES,
            state=state,
            force_login=True,
            allow_http=allows_http(instance),
        )


def exchange_code(
    instance: str, *, client_id: str, client_secret: str, code: str, redirect_uri: str
) -> str:
    """Trade an authorization code for an access token."""
    client = api(instance, client_id=client_id, client_secret=client_secret)
    with translate_errors():
        return client.log_in(
            code=code,
            redirect_uri=redirect_uri,
            scopes=SCOPES,
            allow_http=allows_http(instance),
        )


def instance_limits(instance: str) -> dict[str, Any]:
    """Read the instance's own limits from its public v2 instance endpoint.

    https://docs.joinmastodon.org/entities/Instance/#configuration
    """
    with translate_errors():
        info = api(instance).instance_v2()
    config = info.get("configuration") or {}
    statuses = config.get("statuses") or {}
    media = config.get("media_attachments") or {}
    limits = {
        "max_characters": statuses.get("max_characters"),
        "characters_reserved_per_url": statuses.get("characters_reserved_per_url"),
        "max_media_attachments": statuses.get("max_media_attachments"),
        "supported_mime_types": media.get("supported_mime_types"),
        "image_size_limit": media.get("image_size_limit"),
        "video_size_limit": media.get("video_size_limit"),
        "description_limit": media.get("description_limit"),
    }
    return {
        "domain": str(info.get("domain") or urlsplit(instance).hostname),
        "limits": {key: value for key, value in limits.items() if value is not None},
    }


@contextmanager
def translate_errors(client: Mastodon | None = None) -> Iterator[None]:
    """Turn Mastodon.py's errors into the connector's typed errors."""
    try:
        yield
    except MastodonError as exc:
        raise connector_error(exc, client) from exc


def connector_error(exc: Exception, client: Mastodon | None) -> ConnectorError:
    if isinstance(exc, MastodonRatelimitError):
        return RateLimited(f"{NETWORK}: rate limit reached.", retry_after=_wait(client))
    if isinstance(exc, MastodonUnauthorizedError):
        return AuthExpired(
            f"{NETWORK} refused the access token: it is wrong, expired or revoked."
        )
    if isinstance(exc, MastodonNetworkError | MastodonServerError):
        return Unavailable(f"{NETWORK} is unavailable ({_status(exc) or 'no answer'}).")
    if isinstance(exc, MastodonIllegalArgumentError):
        return ContentRejected(
            f"{NETWORK} rejected the request: {exc}", reason=str(exc)
        )
    if isinstance(exc, MastodonAPIError):
        return _api_error(exc)
    return Unavailable(f"{NETWORK} failed unexpectedly ({exc.__class__.__name__}).")


def _api_error(exc: MastodonAPIError) -> ConnectorError:
    status = _status(exc)
    reason = _reason(exc)
    if status == 403:
        return AuthExpired(
            f"{NETWORK}: access was refused ({reason}). Re-authorise the channel."
        )
    if isinstance(exc, MastodonNotFoundError):
        return ContentRejected(f"{NETWORK}: not found ({reason}).", reason=reason)
    if status is not None and 400 <= status < 500:
        return ContentRejected(
            f"{NETWORK} rejected the request: {reason}", reason=reason
        )
    # No status: the answer was not JSON (a proxy page, a broken server).
    return Unavailable(f"{NETWORK} sent an answer that cannot be read.")


def _status(exc: Exception) -> int | None:
    args = exc.args
    return args[1] if len(args) > 1 and isinstance(args[1], int) else None


def _reason(exc: Exception) -> str:
    args = exc.args
    if len(args) > 3 and args[3]:
        return str(args[3])
    return str(args[2]) if len(args) > 2 else str(exc)


def _wait(client: Mastodon | None) -> float | None:
    """Seconds until the X-RateLimit-Reset the instance sent, if any."""
    reset = getattr(client, "ratelimit_reset", None)
    if not reset:
        return None
    return max(0.0, float(reset) - time.time())
