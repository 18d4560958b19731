"""Do the links in a post resolve? HEAD first, GET when HEAD is refused.

A link that answers 4xx/5xx, times out or whose host cannot be reached while
others can is dead. When no link can be reached at all the server most likely
has no internet (many authority networks have none): the links are then
*skipped* with a note rather than reported dead. Settings
`PUBLISHING_LINK_CHECKS = False` skips every check.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext as _

from leitstelle.lib import http
from leitstelle.lib import text as counting

TIMEOUT = httpx.Timeout(4.0, connect=3.0)
MAX_LINKS = 20
CACHE_SECONDS = 600
# Some servers refuse HEAD (405, 501) or answer it differently from GET.
RETRY_WITH_GET = frozenset({403, 404, 405, 406, 501})


@dataclass(frozen=True)
class LinkResult:
    url: str
    ok: bool
    status: int | None = None
    reason: str = ""
    skipped: bool = False
    unreachable: bool = False  # no connection to the host at all


def find_links(text: str) -> list[str]:
    """Return the links of `text` in order, once each, with a scheme."""
    links: list[str] = []
    for start, end in counting.url_spans(text):
        url = text[start:end]
        if "://" not in url:
            url = "https://" + url
        if url not in links:
            links.append(url)
    return links


def check_links(
    urls: Iterable[str], *, client: httpx.Client | None = None
) -> list[LinkResult]:
    """Check each URL; see the module docstring for what counts as dead."""
    urls = list(dict.fromkeys(urls))[:MAX_LINKS]
    if not urls:
        return []
    if not getattr(settings, "PUBLISHING_LINK_CHECKS", True):
        return [skip(url, _("link checks are switched off.")) for url in urls]
    own_client = client is None
    client = client or httpx.Client(
        headers={"User-Agent": http.USER_AGENT},
        timeout=TIMEOUT,
        follow_redirects=True,
        event_hooks={"request": [refuse_internal]},
    )
    language = translation.get_language()

    def check(url: str) -> LinkResult:
        # The active language is per thread: carry it into the pool.
        with translation.override(language):
            return check_link(url, client=client)

    try:
        with ThreadPoolExecutor(max_workers=min(4, len(urls))) as pool:
            results = list(pool.map(check, urls))
    finally:
        if own_client:
            client.close()
    if all(result.unreachable for result in results):
        reason = _("no connection to the internet.")
        return [skip(result.url, reason) for result in results]
    return results


def check_links_cached(urls: Iterable[str]) -> list[LinkResult]:
    """Like `check_links`, remembering each answer for a few minutes, since
    the checks run on every save of a post."""
    urls = list(dict.fromkeys(urls))[:MAX_LINKS]
    keys = {url: cache_key(url) for url in urls}
    known = cache.get_many(list(keys.values()))
    missing = [url for url in urls if keys[url] not in known]
    fresh = {result.url: result for result in check_links(missing)}
    cache.set_many(
        {keys[url]: result for url, result in fresh.items() if not result.skipped},
        CACHE_SECONDS,
    )
    return [known.get(keys[url]) or fresh[url] for url in urls]


def cache_key(url: str) -> str:
    return "publishing:link:" + hashlib.sha256(url.encode()).hexdigest()


def skip(url: str, reason: str) -> LinkResult:
    return LinkResult(url=url, ok=False, reason=reason, skipped=True)


class InternalAddress(httpx.RequestError):
    """A link (or its redirect) leads into our own network."""


def refuse_internal(request: httpx.Request) -> None:
    """Every request, redirects included, must go to a public address."""
    if not is_public(str(request.url)):
        raise InternalAddress("internal address", request=request)


def check_link(url: str, *, client: httpx.Client) -> LinkResult:
    internal = LinkResult(url=url, ok=True, reason=_("not checked (internal address)"))
    if not is_public(url):
        return internal
    try:
        response = client.head(url)
        if response.status_code in RETRY_WITH_GET:
            with client.stream("GET", url) as streamed:
                response = streamed
    except InternalAddress:
        return internal
    except httpx.TimeoutException:
        reason = _("no answer within a few seconds.")
        return LinkResult(url=url, ok=False, reason=reason)
    except (httpx.ConnectError, httpx.UnsupportedProtocol):
        reason = _("the server cannot be reached.")
        return LinkResult(url=url, ok=False, reason=reason, unreachable=True)
    except httpx.HTTPError:
        return LinkResult(url=url, ok=False, reason=_("the server answered wrongly."))
    status = response.status_code
    if status < 400:
        return LinkResult(url=url, ok=True, status=status)
    if status in (404, 410):
        reason = _("the page does not exist (HTTP %(status)d).")
    else:
        reason = _("the server answered with an error (HTTP %(status)d).")
    reason %= {"status": status}
    return LinkResult(url=url, ok=False, status=status, reason=reason)


def is_public(url: str) -> bool:
    """Refuse to probe our own machine or the internal network from a post."""
    host = (urlsplit(url).hostname or "").lower()
    if not host or host == "localhost" or host.endswith((".localhost", ".local")):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True
    return address.is_global
