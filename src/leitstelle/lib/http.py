"""One httpx setup for every network: timeouts, retries, typed errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from leitstelle.networks.base import (
    AuthExpired,
    ContentRejected,
    RateLimited,
    Unavailable,
)

TIMEOUT = httpx.Timeout(20.0, connect=5.0)
USER_AGENT = "Leitstelle/0.1 (+https://github.com/leitstelle)"


def make_client(
    base_url: str = "", *, headers: dict[str, str] | None = None, **kwargs: Any
) -> httpx.Client:
    """Return a client with timeouts and retries on failed connects."""
    transport = kwargs.pop("transport", None) or httpx.HTTPTransport(retries=2)
    return httpx.Client(
        base_url=base_url,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        timeout=TIMEOUT,
        transport=transport,
        follow_redirects=True,
        **kwargs,
    )


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a Retry-After header: seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def raise_for_status(response: httpx.Response, network: str, reason: str = "") -> None:
    """Turn an error response into one of the typed connector errors."""
    status = response.status_code
    if status < 400:
        return
    detail = reason or response.reason_phrase
    if status in (401, 403):
        raise AuthExpired(
            f"{network}: access was refused ({detail}). Re-authorise the channel."
        )
    if status == 429:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        raise RateLimited(f"{network}: rate limit reached.", retry_after=wait)
    if status >= 500:
        raise Unavailable(f"{network} is unavailable (HTTP {status}).")
    raise ContentRejected(f"{network} rejected the request: {detail}", reason=detail)


@contextmanager
def translate_transport_errors(network: str) -> Iterator[None]:
    """Turn timeouts and connection failures into `Unavailable`."""
    try:
        yield
    except httpx.TimeoutException:
        raise Unavailable(f"{network} did not answer in time.") from None
    except httpx.TransportError as exc:
        raise Unavailable(
            f"{network} cannot be reached ({exc.__class__.__name__})."
        ) from None
