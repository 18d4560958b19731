"""Triage at ingest: every new item is classified before it shows in the inbox.

`triage_page` makes ONE `classify_batch` call per page, over the texts of the
page's new items and of edited items that may still be reclassified (plus a
small one for the strongest words of emergencies, threats and tips). It sets
the item's language, categories (most urgent first), priority and the
details in `Interaction.triage`. Priorities follow the service levels
(`inbox.service_levels`): emergency 3 (urgent), threat 2, tip and question 1,
anything else 0.

A person's decision is never overwritten: an edit on the network
reclassifies an item only while it is still new and nobody has changed its
priority or categories (an audit event of `MANUAL_ACTIONS` on the item).

A classifier that fails never stops ingest: the error is logged and the
items are stored unclassified (`triage == {"error": ...}`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from leitstelle.inbox.models import Interaction, InteractionStatus
from leitstelle.triage import categories as cat

logger = logging.getLogger(__name__)

# Inbox priorities (0 normal … 3 urgent, see InboxSettings.response_minutes).
URGENT = 3
PRIORITY_OF = {cat.EMERGENCY: URGENT, cat.THREAT: 2, cat.TIP: 1, cat.QUESTION: 1}
# Items of these categories keep the strongest words from ingest on.
EXPLAINED = frozenset({cat.EMERGENCY, cat.THREAT, cat.TIP})
# Audit actions by which a person set an item's priority or categories.
MANUAL_ACTIONS = ("inbox.priority_changed", "inbox.categories_changed")
LANGUAGE_LENGTH = Interaction._meta.get_field("language").max_length


def inbox_priority(codes: Sequence[str]) -> int:
    """Return the inbox priority of an item with the categories `codes`."""
    return max((PRIORITY_OF.get(code, 0) for code in codes), default=0)


def classify(texts: Sequence[str]) -> list[Any] | None:
    """Return one classification per text, or None when the classifier fails.

    The page is classified in one call; the strongest words, which cost as
    much as the rest of the classification, are found only for items in
    `EXPLAINED`, so the evidence of an emergency is kept as the model saw
    it. The thread page works out the words of any other item when it is
    opened (`triage_tags.triage_why`).
    """
    if not texts:
        return []
    from leitstelle.triage import classify as first_stage

    texts = list(texts)
    try:
        results = first_stage.classify_batch(texts, reasons=EXPLAINED)
        if len(results) != len(texts):
            raise ValueError(f"{len(results)} results for {len(texts)} texts")
    except Exception:
        logger.exception("Triage failed; %d items stored unclassified", len(texts))
        return None
    return results


def details(result: Any) -> dict[str, Any]:
    """Return what `Interaction.triage` keeps of one classification."""
    return {
        "categories": {code: float(v) for code, v in result.categories.items()},
        **(
            {"reasons": {code: list(ws) for code, ws in result.reasons.items()}}
            if result.reasons
            else {}
        ),
        "model": str(result.model),
        "classified_at": timezone.now().isoformat(),
    }


def apply(row: Interaction, result: Any | None, *, error: str = "") -> None:
    """Set `row`'s triage fields in memory from `result` (None: unclassified)."""
    if result is None:
        row.triage = {"error": error or "unclassified"}
        return
    codes = list(result.categories)
    row.language = str(result.language)[:LANGUAGE_LENGTH]
    row.categories = codes
    row.priority = inbox_priority(codes)
    row.triage = details(result)


def apply_edit(row: Interaction, result: Any | None) -> None:
    """Reclassify an edited `row`; an urgent category it had stays.

    An edit may raise an item's priority but never quietly lower it: a
    missed emergency is worse than a false alarm (the old text is kept as a
    revision). The categories kept this way are listed in `triage["kept"]`.
    """
    before = list(row.categories or [])
    apply(row, result)
    if result is None:
        return
    kept = [
        code
        for code in before
        if PRIORITY_OF.get(code, 0) > row.priority and code not in row.categories
    ]
    if kept:
        row.categories = urgent_first([*kept, *row.categories])
        row.priority = inbox_priority(row.categories)
        row.triage["kept"] = kept


def urgent_first(codes: Sequence[str]) -> list[str]:
    """Return `codes` most urgent first (a stable sort: ties keep their order)."""
    return sorted(codes, key=lambda code: -cat.PRIORITY_OF.get(code, 0))


def reclassifiable(pks: Sequence[int]) -> set[int]:
    """Return the edited items triage may still change: new, never set by hand."""
    if not pks:
        return set()
    from leitstelle.core.models import AuditEvent

    new = set(
        Interaction.objects.filter(
            pk__in=list(pks), status=InteractionStatus.NEW
        ).values_list("pk", flat=True)
    )
    if not new:
        return new
    touched = AuditEvent.objects.filter(
        action__in=MANUAL_ACTIONS,
        object_type=Interaction._meta.label_lower,
        object_id__in=[str(pk) for pk in new],
    ).values_list("object_id", flat=True)
    return new - {int(pk) for pk in touched}


def triage_page(
    *, new: list[Interaction], edits: dict[int, str]
) -> dict[int, Any | None]:
    """Classify `new` rows in place; return pk → result for reclassifiable edits.

    `edits` maps the pk of each edited item to its new text. An edit whose
    result is missing from the returned dict keeps its triage as it is.
    """
    editable = sorted(reclassifiable(list(edits)))
    texts = [row.text for row in new] + [edits[pk] for pk in editable]
    results = classify(texts)
    error = "classifier failed" if results is None else ""
    if results is None:
        results = [None] * len(texts)
    for row, result in zip(new, results, strict=False):
        apply(row, result, error=error)
    if error:
        return {}  # an edit keeps what it was classified as before
    return dict(zip(editable, results[len(new) :], strict=True))
