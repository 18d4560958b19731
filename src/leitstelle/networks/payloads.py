"""Strict little readers for network payloads, and quarantine on failure.

A connector parses each comment or message on its own: a field that is
missing, null or of the wrong type raises `PayloadError`, and `parse_each`
keeps that payload in quarantine with the reason instead of crashing the sync.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from leitstelle.networks.base import Quarantined

T = TypeVar("T")


class PayloadError(ValueError):
    """A payload lacks a field the connector needs, or has it oddly typed."""


def need_dict(raw: Any, key: str | None = None) -> dict[str, Any]:
    value = raw if key is None else (raw.get(key) if isinstance(raw, dict) else None)
    if not isinstance(value, dict):
        raise PayloadError(f"{key or 'payload'} is not an object")
    return value


def need_str(raw: dict[str, Any], key: str) -> str:
    """Return a non-empty text field; numbers (ids) are accepted as text."""
    value = raw.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{key} is missing or not text")
    return value


def opt_str(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise PayloadError(f"{key} is not text")
    return value


def opt_dict(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{key} is not an object")
    return value


def opt_list(raw: dict[str, Any], key: str) -> list[Any]:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{key} is not a list")
    return value


def dig(raw: Any, *keys: str) -> Any:
    """Return a nested value, or None when any step is missing or no object."""
    for key in keys:
        if not isinstance(raw, dict):
            return None
        raw = raw.get(key)
    return raw


def count(raw: Any, *keys: str) -> int | None:
    """Return a nested counter, or None unless it is a plain integer."""
    value = dig(raw, *keys)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_each(
    raws: Iterable[Any],
    parse: Callable[[Any], T | None],
    *,
    kept: Callable[[Any], Any] = lambda raw: raw,
) -> tuple[list[T], list[Quarantined]]:
    """Parse every payload; failures go to quarantine, None means skip.

    `kept` picks what quarantine keeps of an entry (the payload itself when
    an entry carries context besides it).
    """
    items: list[T] = []
    quarantined: list[Quarantined] = []
    for raw in raws:
        try:
            item = parse(raw)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            reason = str(exc) or exc.__class__.__name__
            quarantined.append(Quarantined(reason=reason, raw=kept(raw)))
            continue
        if item is not None:
            items.append(item)
    return items, quarantined
