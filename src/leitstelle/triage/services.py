"""The triage app's public API for the rest of Leitstelle."""

from __future__ import annotations

from collections.abc import Sequence

from leitstelle.triage import classify as first_stage
from leitstelle.triage.classify import Classification

__all__ = ["Classification", "classify_batch", "classify_text"]


def classify_text(text: str) -> Classification:
    """Return language, categories, priority and reasons of one text."""
    return first_stage.classify(text)


def classify_batch(texts: Sequence[str]) -> list[Classification]:
    """Classify a batch of texts with the active model (what ingest calls)."""
    return first_stage.classify_batch(texts)
