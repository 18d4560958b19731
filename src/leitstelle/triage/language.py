"""Which language an item is in, among the languages the organisation uses.

Lingua, restricted to the configured languages, in its fast low-accuracy mode
(trigrams only, a few MB of memory). Texts with too few letters, or where
no language is clearly ahead, give "unknown" rather than a wrong guess.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

UNKNOWN = "unknown"
DEFAULT_LANGUAGES = "de,en,tr,ar,ru,uk,pl,fr"
ENV = "LEITSTELLE_TRIAGE_LANGUAGES"
# Fewer letters than this (after links and mentions are removed) is "unknown".
MIN_LETTERS = 12
# The best language's share of the confidence must reach this.
MIN_CONFIDENCE = 0.6
# Lingua's time grows with the length; the start of a long text suffices.
MAX_CHARS = 1000

_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+", re.UNICODE)


class LanguageSettingError(ValueError):
    """LEITSTELLE_TRIAGE_LANGUAGES names a language that cannot be detected."""


def parse_languages(value: str) -> tuple[str, ...]:
    """Return the ISO 639-1 codes in `value` ("de,en,…"), checked and sorted."""
    codes = sorted({part.strip().lower() for part in value.split(",") if part.strip()})
    if not codes:
        raise LanguageSettingError(
            f"{ENV} must name at least one language, e.g. {DEFAULT_LANGUAGES}."
        )
    unknown = [code for code in codes if not hasattr(IsoCode639_1, code.upper())]
    if unknown:
        raise LanguageSettingError(
            f"{ENV} names languages that cannot be detected: {', '.join(unknown)} "
            "(use two-letter ISO 639-1 codes such as de, en, tr)."
        )
    return tuple(codes)


def configured_languages() -> tuple[str, ...]:
    """Return the organisation's languages: the setting, else the environment."""
    value = None
    try:
        from django.conf import settings

        if settings.configured:
            value = getattr(settings, "TRIAGE_LANGUAGES", None)
    except ImportError:  # pragma: no cover - Django is always installed
        value = None
    if not value:
        value = os.environ.get(ENV, "").strip() or DEFAULT_LANGUAGES
    if not isinstance(value, str):
        value = ",".join(value)
    return parse_languages(value)


@lru_cache(maxsize=8)
def detector_for(codes: tuple[str, ...]) -> LanguageDetector | None:
    """Return a detector for `codes` (None for a single language: no choice)."""
    languages = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
        for code in codes
    ]
    if len(languages) < 2:
        return None
    return (
        LanguageDetectorBuilder.from_languages(*languages)
        .with_low_accuracy_mode()
        .with_preloaded_language_models()
        .build()
    )


def detect(text: str, languages: Sequence[str] | None = None) -> str:
    """Return the ISO 639-1 code of `text`'s language, or "unknown"."""
    return detect_batch([text], languages)[0]


def detect_batch(
    texts: Sequence[str], languages: Sequence[str] | None = None
) -> list[str]:
    """Return the language of each text: its ISO 639-1 code, or "unknown".

    Texts with few letters are "unknown" rather than a wrong guess, and so
    is a text no language clearly wins. The detector scores the rest of the
    batch on all cores at once.
    """
    codes = tuple(sorted(languages)) if languages else configured_languages()
    cleaned = [_NOISE.sub(" ", text[:MAX_CHARS]) for text in texts]
    found = [UNKNOWN] * len(cleaned)
    enough = [
        n
        for n, text in enumerate(cleaned)
        if sum(map(str.isalpha, text)) >= MIN_LETTERS
    ]
    detector = detector_for(codes)
    if detector is None:
        for n in enough:
            found[n] = codes[0]
        return found
    scored = detector.compute_language_confidence_values_in_parallel(
        [cleaned[n] for n in enough]
    )
    for n, values in zip(enough, scored, strict=True):
        if values and values[0].value >= MIN_CONFIDENCE:
            found[n] = values[0].language.iso_code_639_1.name.lower()
    return found
