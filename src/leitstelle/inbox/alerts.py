"""Emergencies nobody has opened yet: the banner every page shows.

An item triage marks as an emergency stays in the banner while it is new
(nobody opened it, nobody assigned or answered it), for at most a day, so
that a person in danger is never lost among other comments.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from leitstelle.inbox.models import Interaction, InteractionStatus
from leitstelle.inbox.queries import has_category, visible_interactions

EMERGENCY = "emergency"
WINDOW = timedelta(hours=24)


def open_emergencies(user: Any) -> QuerySet[Interaction]:
    """Return the new emergencies of the last day on channels `user` sees."""
    recent = visible_interactions(user).filter(
        status=InteractionStatus.NEW,
        received_at__gte=timezone.now() - WINDOW,
        hidden_at__isnull=True,
    )
    return has_category(recent, EMERGENCY).order_by("-received_at", "-id")
