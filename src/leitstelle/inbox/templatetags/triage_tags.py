"""Triage's categories and reasons of an item, for the thread page.

Values only: the template escapes them (the words come from citizens' text).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from django import template

from leitstelle.triage import categories as cat

logger = logging.getLogger(__name__)
register = template.Library()
WORDS_SHOWN = 5  # as many as the model gives (REASON_WORDS)


@dataclass(frozen=True)
class Chip:
    code: str
    label: str
    # confidence in whole percent, None when triage did not say
    percent: int | None
    words: list[str]

    @property
    def emergency(self) -> bool:
        return self.code == cat.EMERGENCY


def _percent(value: Any) -> int | None:
    try:
        return max(0, min(100, round(float(value) * 100)))
    except (TypeError, ValueError, OverflowError):
        return None


@register.filter
def triage_chips(item: Any) -> list[Chip]:
    """Return the item's categories (most urgent first) with confidence and words."""
    codes = item.categories if isinstance(item.categories, list) else []
    details = item.triage if isinstance(item.triage, dict) else {}
    confidence = details.get("categories")
    confidence = confidence if isinstance(confidence, dict) else {}
    reasons = details.get("reasons")
    reasons = reasons if isinstance(reasons, dict) else {}
    chips = []
    for code in codes:
        code = str(code)
        words = reasons.get(code)
        words = [str(w) for w in words[:WORDS_SHOWN]] if isinstance(words, list) else []
        chips.append(Chip(code, cat.label(code), _percent(confidence.get(code)), words))
    return chips


@register.filter
def triage_why(item: Any) -> list[Chip]:
    """Return `triage_chips`, with the words worked out now where none were kept.

    Ingest keeps the strongest words of emergencies, threats and tips only
    (see `inbox.classification.classify`); for the one item a thread page
    shows, the active model explains the others when the page is opened.
    """
    chips = triage_chips(item)
    if not chips or all(chip.words for chip in chips):
        return chips
    from leitstelle.triage.services import classify_text

    try:
        now = classify_text(str(item.text or "")).reasons
    except Exception:  # the page shows without the words rather than fail
        logger.exception("Triage could not explain item %s", item.pk)
        return chips
    return [
        replace(chip, words=chip.words or now.get(chip.code, [])[:WORDS_SHOWN])
        for chip in chips
    ]


@register.filter
def triage_model(item: Any) -> str:
    """Return the version of the model that classified the item ("" if none)."""
    details = item.triage if isinstance(item.triage, dict) else {}
    return str(details.get("model") or "")


@register.filter
def triage_failed(item: Any) -> bool:
    """Return whether triage could not classify the item at ingest."""
    details = item.triage if isinstance(item.triage, dict) else {}
    return bool(details.get("error"))
