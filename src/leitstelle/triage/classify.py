"""The first stage of triage: language, categories, priority and reasons.

`classify_batch` is what ingest calls for each batch (numpy and lingua only,
a few thousand items per second on one core); `classify` is the same for one
text. The model is the organisation's active one when
LEITSTELLE_TRIAGE_MODEL_DIR (setting TRIAGE_MODEL_DIR) names a folder, else
the model shipped in this package (`make seed-model` rebuilds it).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from leitstelle.triage import categories as cat
from leitstelle.triage.categories import Priority, priority_of
from leitstelle.triage.language import configured_languages, detect_batch
from leitstelle.triage.model import Model, load

SHIPPED_MODEL = Path(__file__).resolve().parent / "model"
MODEL_ENV = "LEITSTELLE_TRIAGE_MODEL_DIR"


@dataclass(frozen=True)
class Classification:
    """What the first stage says about one text."""

    language: str
    # predicted categories -> confidence (0..1), the most urgent first
    categories: dict[str, float]
    priority: Priority
    # predicted category -> the words that speak most for it
    reasons: dict[str, list[str]] = field(default_factory=dict)
    # every category the model knows -> its probability
    scores: dict[str, float] = field(default_factory=dict)
    # the model that said so (see `Model.version`)
    model: str = ""

    @property
    def top(self) -> str:
        """The most urgent (then most confident) category."""
        return next(iter(self.categories), cat.OTHER)

    @property
    def sort_key(self) -> tuple[int, float]:
        """Sort descending by this to see the most urgent items first."""
        return (int(self.priority), self.categories.get(self.top, 0.0))

    def as_dict(self) -> dict:
        data = asdict(self)
        data["priority"] = self.priority.name.lower()
        return data


def model_dir() -> Path:
    """Return the folder of the model in use."""
    configured = None
    try:
        from django.conf import settings

        if settings.configured:
            configured = getattr(settings, "TRIAGE_MODEL_DIR", None)
    except ImportError:  # pragma: no cover - Django is always installed
        configured = None
    configured = configured or os.environ.get(MODEL_ENV, "").strip()
    return Path(configured) if configured else SHIPPED_MODEL


@lru_cache(maxsize=4)
def cached_model(folder: str, stamp: float) -> Model:
    return load(folder)


def active_model() -> Model:
    """Return the model in use, loaded once (and again when its file changes)."""
    folder = model_dir()
    try:
        stamp = (folder / "model.npz").stat().st_mtime
    except OSError:
        stamp = 0.0
    return cached_model(str(folder), stamp)


def ordered(found: dict[str, float]) -> dict[str, float]:
    """Return categories most urgent first, then by confidence."""
    return dict(
        sorted(
            found.items(),
            key=lambda item: (-cat.PRIORITY_OF.get(item[0], 0), -item[1], item[0]),
        )
    )


def clean(text: object) -> str:
    """Return `text` as a string that can be encoded (lone surrogates replaced)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def classify_batch(
    texts: Sequence[str],
    *,
    model: Model | None = None,
    languages: Sequence[str] | None = None,
    reasons: bool | Collection[str] = True,
) -> list[Classification]:
    """Classify each text; never raises on odd input (any string works).

    `reasons` says whose strongest words to find, which costs about as much
    as the rest: everyone's (True), no one's (False), or only those of items
    in one of the given categories.
    """
    model = model or active_model()
    codes = tuple(sorted(languages)) if languages else configured_languages()
    texts = [clean(text) for text in texts]
    if not texts:
        return []
    probabilities, words, rows = model.predict(texts)
    found_languages = detect_batch(texts, codes)
    results = []
    for number in range(len(texts)):
        scores = {
            code: round(float(probabilities[number, column]), 4)
            for column, code in enumerate(model.categories)
        }
        found = {
            code: score
            for code, score in scores.items()
            if code != cat.OTHER and score >= model.thresholds[code]
        }
        if not found:
            found = {
                cat.OTHER: scores.get(cat.OTHER, round(1 - max(scores.values()), 4))
            }
        found = ordered(found)
        why = {}
        if reasons is True or (reasons and not set(found).isdisjoint(reasons)):
            explained = [code for code in found if code != cat.OTHER]
            why = model.reasons(words[number], rows, number, explained)
        results.append(
            Classification(
                language=found_languages[number],
                categories=found,
                priority=priority_of(found),
                reasons=why,
                scores=scores,
                model=model.version,
            )
        )
    return results


def classify(
    text: str,
    *,
    model: Model | None = None,
    languages: Sequence[str] | None = None,
    reasons: bool = True,
) -> Classification:
    """Classify one text (see `classify_batch`)."""
    return classify_batch([text], model=model, languages=languages, reasons=reasons)[0]
