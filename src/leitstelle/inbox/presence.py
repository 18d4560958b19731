"""Who else has a thread open or is typing a reply: collision warnings.

The thread page sends a heartbeat every ~10 seconds; a colleague counts as
present while their last heartbeat is younger than `PRESENT_SECONDS`.
Heartbeats are fleeting and change nothing anyone works with, so they are
not written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from leitstelle.core.models import User
from leitstelle.inbox.models import Interaction, Presence

HEARTBEAT_SECONDS = 10
PRESENT_SECONDS = 30
TYPING_SECONDS = 15
KEEP = timedelta(hours=1)


@dataclass(frozen=True)
class Colleague:
    name: str
    typing: bool


def touch(*, interaction: Interaction, user: User, typing: bool = False) -> Presence:
    """Record that `user` has the thread open now (and is typing)."""
    now = timezone.now()
    values: dict[str, datetime | None] = {"seen_at": now}
    if typing:
        values["typing_until"] = now + timedelta(seconds=TYPING_SECONDS)
    try:
        with transaction.atomic():
            presence, _created = Presence.objects.update_or_create(
                interaction=interaction, user=user, defaults=values
            )
    except IntegrityError:  # the same user's other tab created it meanwhile
        Presence.objects.filter(interaction=interaction, user=user).update(**values)
        presence = Presence.objects.get(interaction=interaction, user=user)
    return presence


def colleagues(*, interaction: Interaction, user: User) -> list[Colleague]:
    """Return the others who have the thread open now, typing ones first."""
    now = timezone.now()
    present = (
        Presence.objects.filter(
            interaction=interaction,
            seen_at__gte=now - timedelta(seconds=PRESENT_SECONDS),
        )
        .exclude(user=user)
        .select_related("user")
        .order_by("user__username")
    )
    found = [
        Colleague(
            name=entry.user.get_full_name() or entry.user.get_username(),
            typing=entry.typing_until is not None and entry.typing_until > now,
        )
        for entry in present
    ]
    return sorted(found, key=lambda colleague: not colleague.typing)


def prune(now: datetime | None = None) -> int:
    """Delete heartbeats older than `KEEP`; return how many."""
    cutoff = (now or timezone.now()) - KEEP
    deleted, _per_model = Presence.objects.filter(seen_at__lt=cutoff).delete()
    return deleted
