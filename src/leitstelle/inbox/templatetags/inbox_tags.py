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
