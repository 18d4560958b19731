"""The ten triage categories: codes, labels, and the order of urgency."""

from __future__ import annotations

from enum import IntEnum

from django.utils.translation import gettext_lazy as _

EMERGENCY = "emergency"
THREAT = "threat"
ABUSE = "abuse"
TIP = "tip"
QUESTION = "question"
CLAIM = "claim"
CRITICISM = "criticism"
PRAISE = "praise"
SPAM = "spam"
OTHER = "other"

# In the order of the table; models store their categories by code.
CODES: tuple[str, ...] = (
    EMERGENCY,
    THREAT,
    ABUSE,
    TIP,
    QUESTION,
    CLAIM,
    CRITICISM,
    PRAISE,
    SPAM,
    OTHER,
)

LABELS = {
    EMERGENCY: _("Emergency"),
    THREAT: _("Threat or crime"),
    ABUSE: _("Abuse or hate"),
    TIP: _("Tip"),
    QUESTION: _("Question"),
    CLAIM: _("Claim or rumour"),
    CRITICISM: _("Criticism"),
    PRAISE: _("Praise"),
    SPAM: _("Spam"),
    OTHER: _("Other"),
}


class Priority(IntEnum):
    """How urgently the team must look: higher comes first."""

    NORMAL = 0
    QUESTION = 1
    TIP = 2
    THREAT = 3
    EMERGENCY = 4


PRIORITY_OF = {
    EMERGENCY: Priority.EMERGENCY,
    THREAT: Priority.THREAT,
    TIP: Priority.TIP,
    QUESTION: Priority.QUESTION,
}


def priority_of(codes) -> Priority:
    """Return the priority of an item with the categories `codes`."""
    return max(
        (PRIORITY_OF.get(code, Priority.NORMAL) for code in codes),
        default=Priority.NORMAL,
    )


def label(code: str) -> str:
    """Return the human label of `code` (the code itself when unknown)."""
    return str(LABELS.get(code, code))


def check_codes(codes) -> list[str]:
    """Return the codes that are not triage categories."""
    return [code for code in codes if code not in LABELS]
