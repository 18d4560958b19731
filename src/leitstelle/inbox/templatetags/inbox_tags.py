"""Template helpers for the inbox: safe links and excerpts."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template

register = template.Library()

EXCERPT_LENGTH = 280


@register.filter
def safe_url(url: str) -> str:
    """Return `url` if it is an http(s) address with a host, else ""."""
    try:
        parts = urlsplit(str(url).strip())
    except ValueError:
        return ""
    return parts.geturl() if parts.scheme in ("http", "https") and parts.netloc else ""


@register.filter
def excerpt(text: str, length: int = EXCERPT_LENGTH) -> str:
    """Cut `text` to `length` characters, marking the cut with an ellipsis."""
    text = str(text)
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


@register.filter
def proxied(url: str) -> str:
    """Return our media-proxy address for a remote image ("" if unusable).

    Pages never link remote images directly: opening the inbox must not
    tell a third party who looks (see leitstelle.inbox.media_proxy).
    """
    from leitstelle.inbox.media_proxy import proxied_url

    return proxied_url(url)


@register.inclusion_tag("inbox/_channel_webhook.html")
def channel_webhook(channel: object) -> dict[str, object]:
    """The channel page's note on how new items arrive: webhook or fetching."""
    from leitstelle.inbox import webhooks

    supported = webhooks.supports_webhooks(channel)  # type: ignore[arg-type]
    return {
        "channel": channel,
        "supported": supported,
        "configured": supported and webhooks.is_configured(channel),  # type: ignore[arg-type]
        "last_received": webhooks.last_received(channel),  # type: ignore[arg-type]
    }
