"""Shared code for Meta's Graph APIs: Facebook pages, Instagram, Threads.

All three answer errors in the same shape (`{"error": {"message", "code",
"error_subcode", ...}}`, https://developers.facebook.com/docs/graph-api/
guides/error-handling), page with `paging.cursors`, and fetch images for
publishing from a public URL instead of taking an upload.
"""

from __future__ import annotations

import json
import mimetypes
import re
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.views.decorators.http import require_safe

from leitstelle.lib.http import (
    make_client,
    raise_for_status,
    retry_after_seconds,
    translate_transport_errors,
)
from leitstelle.networks.base import (
    AuthExpired,
    ContentRejected,
    IncomingItem,
    InteractionPage,
    Media,
    Quarantined,
    RateLimited,
    RemotePost,
    Unavailable,
)

GRAPH_URL = "https://graph.facebook.com/v24.0"
THREADS_URL = "https://graph.threads.net/v1.0"

AUTH_CODES = frozenset({102, 190})
# 10 and 200-299 are permission errors: a new token with the permission helps.
PERMISSION_CODES = frozenset({10, *range(200, 300)})
# 4 app, 17 user, 32 page, 613 custom rate limits; 80000-80014 business use.
RATE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2})


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _usage_wait(response: httpx.Response) -> float | None:
    """Return the wait Meta announces in its usage headers, in seconds."""
    for header in ("X-Business-Use-Case-Usage", "X-App-Usage"):
        try:
            usage = json.loads(response.headers.get(header, ""))
        except ValueError:
            continue
        entries = usage.values() if isinstance(usage, dict) else []
        minutes = [
            _int(item.get("estimated_time_to_regain_access"))
            for entry in entries
            for item in (entry if isinstance(entry, list) else [])
            if isinstance(item, dict)
        ]
        if any(minutes):
            return float(max(m for m in minutes if m) * 60)
    return retry_after_seconds(response.headers.get("Retry-After"))


def raise_graph_error(response: httpx.Response, network: str) -> None:
    """Turn a Graph error into a typed connector error, with Meta's reason."""
    body = _body(response)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        raise_for_status(response, network)
        return
    code = _int(error.get("code"))
    reason = str(error.get("error_user_msg") or error.get("message") or "")
    if code in AUTH_CODES:
        raise AuthExpired(f"{network}: the access token is no longer valid ({reason}).")
    if code in PERMISSION_CODES:
        raise AuthExpired(f"{network}: the token lacks a permission ({reason}).")
    if code in RATE_CODES or response.status_code == 429:
        raise RateLimited(
            f"{network}: rate limit reached.", retry_after=_usage_wait(response)
        )
    if code in TRANSIENT_CODES or response.status_code >= 500:
        raise Unavailable(f"{network} is unavailable ({reason}).")
    raise ContentRejected(f"{network} rejected the request: {reason}", reason=reason)


def without_token(url: str) -> str:
    """Drop an `access_token` Meta may echo into `paging.next` links."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "access_token"]
    return urlunsplit(parts._replace(query=urlencode(query)))


class GraphClient:
    """A thin Graph API client: the token rides in a header, never a URL."""

    def __init__(self, *, base_url: str, token: str, network: str) -> None:
        self.network = network
        self.http = make_client(base_url, headers={"Authorization": f"Bearer {token}"})

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return self.send("GET", path, params=params)

    def post(self, path: str, **kwargs: Any) -> dict[str, Any]:
        return self.send("POST", path, **kwargs)

    def delete(self, path: str) -> dict[str, Any]:
        return self.send("DELETE", path)

    def follow(self, url: str) -> dict[str, Any]:
        """Fetch a `paging.next` link."""
        return self.send("GET", without_token(url))

    def send(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        with translate_transport_errors(self.network):
            response = self.http.request(method, url, **kwargs)
        body = _body(response)
        if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
            raise_graph_error(response, self.network)
        if not isinstance(body, dict):
            raise Unavailable(
                f"{self.network} answered with something that is not JSON."
            )
        return body


def token_expiry(*, app_token: str, token: str, network: str) -> dict[str, Any]:
    """Ask debug_token when `token` expires; an app token reads it.

    https://developers.facebook.com/docs/graph-api/reference/debug_token:
    `expires_at` 0 means never; `data_access_expires_at` is when the app
    loses access to the data unless someone logs in again. The earlier of
    the two is when the channel needs re-authorisation.
    """
    client = GraphClient(base_url=GRAPH_URL, token=app_token, network=network)
    data = client.get("debug_token", input_token=token).get("data")
    if not isinstance(data, dict):
        raise Unavailable(f"{network} did not say when the token expires.")
    if data.get("is_valid") is False:
        raise AuthExpired(f"{network}: the access token is no longer valid.")
    moments = [
        moment
        for moment in (
            unix_time(data.get("expires_at")),
            unix_time(data.get("data_access_expires_at")),
        )
        if moment
    ]
    scopes = data.get("scopes")
    return {
        "credentials_expire_at": min(moments).isoformat() if moments else "",
        "scopes": [str(s) for s in scopes] if isinstance(scopes, list) else [],
    }


def parse_time(value: Any) -> datetime:
    """Parse Graph's `2017-08-31T18:10:30+0000` (ValueError if not a time)."""
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    return moment.astimezone(UTC)


def remote_post(body: dict[str, Any]) -> RemotePost:
    """Return the published post Graph describes by id, permalink, timestamp."""
    try:
        published = parse_time(body.get("timestamp"))
    except ValueError:
        published = None
    return RemotePost(
        remote_id=str(body["id"]),
        url=str(body.get("permalink") or ""),
        published_at=published,
    )


def unix_time(value: Any) -> datetime | None:
    """Return a datetime for a positive Unix timestamp, None for 0 or junk."""
    seconds = _int(value)
    if not seconds or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


FIND_WINDOW = timedelta(hours=24)


def same_text(published: Any, wanted: str) -> bool:
    """Compare texts ignoring how whitespace was folded on the way."""
    return isinstance(published, str) and published.split() == wanted.split()


def find_own_post(
    posts: list[Any], wanted: str, *, text_key: str, time_key: str
) -> dict[str, Any] | None:
    """Return the newest of our posts of the last day with the same text.

    The Graph APIs keep no idempotency key and Leitstelle embeds nothing in
    the text, so a post counts as already published when the account
    posted exactly this text (whitespace aside) within the last 24 hours.
    """
    cutoff = datetime.now(UTC) - FIND_WINDOW
    for post in posts:
        if not isinstance(post, dict) or not same_text(post.get(text_key), wanted):
            continue
        try:
            if parse_time(post.get(time_key)) >= cutoff:
                return post
        except ValueError:
            continue
    return None


def since_page(
    items: list[IncomingItem], quarantined: list[Quarantined], since: str | None
) -> InteractionPage:
    """Keep items from `since` on; the cursor moves to the newest one.

    Items of the very second of `since` come again: the inbox drops
    duplicates by remote id, and none of that second is lost.
    """
    kept = [item for item in items if not since or item.created_at.isoformat() >= since]
    times = [item.created_at.isoformat() for item in kept] + ([since] if since else [])
    newest = max(times, default="")
    return InteractionPage(
        items=tuple(kept),
        cursor={"since": newest} if newest else {},
        quarantined=tuple(quarantined),
    )


def page_items(body: dict[str, Any]) -> list[Any]:
    data = body.get("data")
    return data if isinstance(data, list) else []


def next_link(body: dict[str, Any]) -> str:
    paging = body.get("paging")
    link = paging.get("next") if isinstance(paging, dict) else None
    return link if isinstance(link, str) else ""


READY_CHECKS = 15
READY_STATES = frozenset({"FINISHED", "PUBLISHED"})
FAILED_STATES = frozenset({"ERROR", "EXPIRED"})


def pause(seconds: float) -> None:
    time.sleep(seconds)


def wait_until_ready(graph: GraphClient, container_id: str, *, field: str) -> None:
    """Wait while Meta fetches and processes a media container's images.

    Instagram reports `status_code`, Threads `status`: IN_PROGRESS, then
    FINISHED, or ERROR/EXPIRED (https://developers.facebook.com/docs/
    instagram-platform/content-publishing, .../threads/troubleshooting).
    """
    for _ in range(READY_CHECKS):
        status = graph.get(container_id, fields=field).get(field)
        if status in READY_STATES:
            return
        if status in FAILED_STATES:
            raise ContentRejected(
                f"{graph.network} could not process the images ({status}).",
                reason=str(status),
            )
        pause(2)
    raise Unavailable(
        f"{graph.network} is still processing the images; try again later."
    )


# Publishing: Meta fetches images from a public URL ("We will cURL your
# image using the URL provided so it must be on a public server",
# https://developers.facebook.com/docs/threads/posts). Leitstelle serves each
# image under an unguessable name for the few seconds publishing takes.

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}\.(jpg|png|gif|webp)")
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
}


def public_folder() -> Path:
    folder = Path(settings.DATA_DIR) / "public-media"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def public_media(media: Sequence[Media], *, kind: str) -> Iterator[list[str]]:
    """Serve `media` at public URLs while the block runs, then remove them."""
    paths: list[Path] = []
    urls: list[str] = []
    try:
        for item in media:
            extension = EXTENSIONS.get(item.mime_type)
            if extension is None:
                raise ContentRejected(
                    f"{kind}: {item.mime_type} images cannot be published.",
                    reason=item.mime_type,
                )
            name = f"{secrets.token_urlsafe(32)}.{extension}"
            path = public_folder() / name
            path.write_bytes(item.content)
            paths.append(path)
            urls.append(
                settings.BASE_URL + reverse(f"{kind}:public_media", args=[name])
            )
        yield urls
    finally:
        for path in paths:
            path.unlink(missing_ok=True)


@require_safe
def serve_public_media(request: HttpRequest, name: str) -> FileResponse:
    """Hand an image being published to Meta's fetcher (no login: Meta has none)."""
    path = public_folder() / name
    if not TOKEN_PATTERN.fullmatch(name) or not path.is_file():
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse(path.open("rb"), content_type=content_type)
