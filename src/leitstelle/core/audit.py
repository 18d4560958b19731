"""Append to and verify the tamper-evident audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from leitstelle.core.models import AuditEvent, AuditHead, User


def client_address(request: HttpRequest | None) -> str | None:
    """Return the client's IP address as the proxy in front of us saw it."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record_event(
    *,
    action: str,
    actor: User | None = None,
    target: models.Model | None = None,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one entry to the audit log, chained to the previous one."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user  # type: ignore[assignment]
    with transaction.atomic():
        # The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite)
        # before the head is read, so concurrent writers queue up here.
        advance = AuditHead.objects.filter(pk=1)
        if not advance.update(sequence=models.F("sequence") + 1):
            AuditHead.objects.get_or_create(pk=1)
            advance.update(sequence=models.F("sequence") + 1)
        head = AuditHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            sequence=head.sequence,
            created_at=timezone.now(),
            actor=actor,
            actor_label=actor_label or (actor.get_username() if actor else "system"),
            action=action,
            object_type=target._meta.label_lower if target is not None else "",
            object_id=str(target.pk) if target is not None else "",
            object_label=str(target)[:300] if target is not None else "",
            details=json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder)),
            address=client_address(request),
            prev_hash=head.hash,
        )
        event.hash = event.compute_hash()
        event.save()
        AuditHead.objects.filter(pk=1).update(hash=event.hash)
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_sequence: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_sequence is None


def iter_chain(batch: int = 2000) -> Iterator[AuditEvent]:
    """Yield every entry in sequence order, a batch at a time."""
    last = 0
    while True:
        page = list(
            AuditEvent.objects.filter(sequence__gt=last).order_by("sequence")[:batch]
        )
        if not page:
            return
        yield from page
        last = page[-1].sequence


def verify_chain() -> ChainReport:
    """Check every entry's hash and link; name the first broken entry."""
    expected_prev = "0" * 64
    expected_sequence = 1
    checked = 0
    for event in iter_chain():
        if event.sequence != expected_sequence:
            return ChainReport(checked, expected_sequence, "entry is missing")
        if event.prev_hash != expected_prev:
            return ChainReport(
                checked, event.sequence, "link to the previous entry does not match"
            )
        if event.compute_hash() != event.hash:
            return ChainReport(
                checked, event.sequence, "content does not match its hash"
            )
        expected_prev = event.hash
        expected_sequence += 1
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.sequence >= expected_sequence:
        return ChainReport(checked, expected_sequence, "entry is missing")
    return ChainReport(checked)
