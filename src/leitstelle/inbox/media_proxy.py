"""Remote avatars and media, fetched once by us and served from our cache.

Opening the inbox must reveal nothing to third parties, so no page links
to a remote image. Each URL an item or author brought is registered as a
`CachedMedia` row when it is rendered; the page shows our address
`/posteingang/medien/<sha256 of the URL>/`. The first request for it fetches
the file (images and MP4 only, 5 MB at most, the type read from the file's
first bytes, never SVG or HTML) into DATA_DIR/media-cache/; later requests are
served from there. Only registered URLs are ever fetched, and never from a
private, loopback or link-local address (no open proxy, no SSRF). Files on
our own server under MEDIA_URL (the exercise network's images) are linked
as they are: they tell no third party anything.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import socket
import tempfile
import time
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from leitstelle.inbox.models import CachedMedia
from leitstelle.lib.http import make_client

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
MAX_SECONDS = 20
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
RETRY_AFTER = timedelta(hours=6)
URL_LENGTH = CachedMedia._meta.get_field("url").max_length
ALLOWED_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"}
)


class MediaError(Exception):
    """The file cannot be fetched or is not one we serve; `args[0]` says why."""


def key_for(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def usable(url: object) -> str:
    """Return `url` if it is an http(s) address we could fetch, else ""."""
    text = str(url or "").strip()
    if not text or len(text) > URL_LENGTH:
        return ""
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    return text if parts.scheme in ("http", "https") and parts.hostname else ""


def url_for_key(key: str) -> str:
    return reverse("inbox:media", kwargs={"key": key})


def register(urls: Iterable[object]) -> dict[str, str]:
    """Register remote URLs for the proxy; return each usable URL's proxy URL.

    One SELECT, and one INSERT for the new ones, whatever their number (a
    list page calls this once for all its avatars and thumbnails).
    """
    found = [url for url in map(usable, urls) if url]
    keys = {url: key_for(url) for url in found if own_media(url) is None}
    if keys:
        known = set(
            CachedMedia.objects.filter(key__in=list(keys.values())).values_list(
                "key", flat=True
            )
        )
        missing = [
            CachedMedia(key=key, url=url)
            for url, key in keys.items()
            if key not in known
        ]
        if missing:  # a row made meanwhile by another request is kept
            CachedMedia.objects.bulk_create(missing, ignore_conflicts=True)
    return {url: local for url in found if (local := address(url))}


def own_media(url: str) -> str | None:
    """For a URL on our own server: its path if it is our media, else "".

    None for any other server. Our own files (the exercise network's images)
    leak nothing and need no proxy; other pages of ours are never images.
    """
    ours, theirs = urlsplit(settings.BASE_URL), urlsplit(url)
    same_origin = (ours.scheme, ours.hostname, ours.port) == (
        theirs.scheme,
        theirs.hostname,
        theirs.port,
    )
    if not same_origin:
        return None
    media = settings.MEDIA_URL if settings.MEDIA_URL.startswith("/") else "/media/"
    path = theirs.path
    return path if path.startswith(media) and ".." not in path else ""


def address(url: object) -> str:
    """Return our address for `url` without registering it (see `register`)."""
    found = usable(url)
    if not found:
        return ""
    local = own_media(found)
    return url_for_key(key_for(found)) if local is None else local


def register_items(items: Iterable[object]) -> None:
    """Register the avatars and media of interactions, in one query."""
    urls: list[object] = []
    for item in items:
        urls.append(getattr(item.author, "avatar_url", ""))
        urls.extend(getattr(item, "media_urls", None) or [])
    register(urls)


def proxied_url(url: object) -> str:
    """Return our address for a remote URL ("" when it is not fetchable)."""
    return register([url]).get(usable(url), "")


def cache_dir() -> Path:
    return Path(settings.DATA_DIR) / "media-cache"


def cache_path(key: str) -> Path:
    return cache_dir() / key[:2] / key


def sniff(head: bytes) -> str:
    """Return the media type the file's first bytes show, or ""."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    return ""


def resolve(host: str) -> list[str]:
    """Return the addresses `host` resolves to (tests replace this)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise MediaError(f"host cannot be resolved ({exc})") from None
    return [str(info[4][0]) for info in infos]


def check_address(url: str) -> None:
    """Refuse URLs that lead into private, loopback or link-local networks."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise MediaError("not an http(s) address")
    for address in resolve(host):
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.version == 6 and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if not ip.is_global or ip.is_multicast:
            raise MediaError(f"refused: {host} is a private address")


def download(url: str, client: httpx.Client | None = None) -> tuple[bytes, str]:
    """Fetch `url` (following up to 3 checked redirects); return body and type."""
    own = client is None
    client = client or make_client()
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            check_address(url)
            with client.stream(
                "GET", url, follow_redirects=False, timeout=TIMEOUT
            ) as response:
                if response.is_redirect and response.headers.get("Location"):
                    url = urljoin(url, response.headers["Location"])
                    continue
                if response.status_code != 200:
                    raise MediaError(f"HTTP {response.status_code}")
                declared = response.headers.get("Content-Type", "")
                return read_limited(response), declared
        raise MediaError("too many redirects")
    except httpx.HTTPError as exc:
        raise MediaError(f"{type(exc).__name__}") from None
    finally:
        if own:
            client.close()


def read_limited(response: httpx.Response) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        raise MediaError("larger than 5 MB")
    chunks, size = [], 0
    deadline = time.monotonic() + MAX_SECONDS
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BYTES:
            raise MediaError("larger than 5 MB")
        if time.monotonic() > deadline:  # a server that sends drop by drop
            raise MediaError("too slow")
        chunks.append(chunk)
    return b"".join(chunks)


def store_file(key: str, content: bytes) -> None:
    """Write the file atomically: a reader never sees half of it."""
    path = cache_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def fetch(media: CachedMedia) -> CachedMedia:
    """Fetch and cache one registered file; record the error if it fails."""
    now = timezone.now()
    try:
        content, declared = download(media.url)
        found = sniff(content[:16])
        if found not in ALLOWED_TYPES:
            raise MediaError(
                f"not an image or MP4 video (said {declared.split(';')[0][:60]!r})"
            )
        store_file(media.key, content)
        media.content_type, media.size, media.error = found, len(content), ""
    except MediaError as exc:
        logger.info("Media %s not cached: %s", media.key, exc)
        media.content_type, media.size = "", 0
        media.error = str(exc)[:255]
    media.fetched_at = now
    media.save(update_fields=["content_type", "size", "error", "fetched_at"])
    return media


def cached(key: str) -> tuple[CachedMedia | None, Path | None]:
    """Return the registered row and its cached file (fetching it if needed).

    (None, None): the key was never registered. (row, None): the file could
    not be had; the caller shows a placeholder.
    """
    media = CachedMedia.objects.filter(key=key).first()
    if media is None:
        return None, None
    path = cache_path(key)
    if media.fetched_at and not media.error and path.is_file():
        return media, path
    failed_recently = (
        media.error
        and media.fetched_at
        and timezone.now() - media.fetched_at < RETRY_AFTER
    )
    if failed_recently:
        return media, None
    media = fetch(media)
    return media, (path if not media.error and path.is_file() else None)
