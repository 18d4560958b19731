"""Raw-payload retention: the network's full JSON is kept only for a while.

Each item keeps its text, author and links for good; the raw payload (all
the network sent, often with more personal data than the inbox shows) is
blanked once it is older than `InboxSettings.raw_retention_days` (0 keeps it
forever). Revisions lose theirs the same way; quarantined payloads (which
are nothing but raw data) and cached avatars and media older than that are
deleted. Snapshots taken before hiding or
deleting are evidence and are never touched. Each run is one audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from leitstelle.core.audit import record_event
from leitstelle.inbox import media_proxy
from leitstelle.inbox.models import (
    CachedMedia,
    InboxSettings,
    Interaction,
    InteractionRevision,
    QuarantinedPayload,
)

BATCH = 2000


@dataclass(frozen=True)
class RetentionResult:
    days: int
    interactions: int = 0
    revisions: int = 0
    quarantined: int = 0
    media: int = 0

    @property
    def total(self) -> int:
        return self.interactions + self.revisions + self.quarantined + self.media


def _blank(rows: QuerySet[Model]) -> int:
    """Set `raw` to {} on all `rows`, a batch per transaction; return how many.

    Batches keep each write short, so ingest is never blocked for long.
    """
    done = 0
    model = rows.model
    while True:
        with transaction.atomic():
            ids = list(rows.values_list("pk", flat=True)[:BATCH])
            if not ids:
                return done
            done += model.objects.filter(pk__in=ids).update(raw={})


def _delete(rows: QuerySet[Model]) -> int:
    deleted, _by_model = rows.delete()
    return deleted


def _forget_media(cutoff: datetime) -> int:
    """Delete cached avatars and media fetched before `cutoff`.

    They are personal data too; a page that still shows one registers it
    again and the proxy fetches it afresh.
    """
    done = 0
    rows = CachedMedia.objects.filter(fetched_at__lt=cutoff)
    while keys := list(rows.values_list("key", flat=True)[:BATCH]):
        for key in keys:
            media_proxy.cache_path(key).unlink(missing_ok=True)
        done += _delete(CachedMedia.objects.filter(key__in=keys))
    return done


def purge_raw(*, now: datetime | None = None) -> RetentionResult:
    """Blank raw payloads older than the retention period; audit the run."""
    days = InboxSettings.current().raw_retention_days
    if not days:
        return RetentionResult(days=0)
    cutoff = (now or timezone.now()) - timedelta(days=days)
    result = RetentionResult(
        days=days,
        interactions=_blank(
            Interaction.objects.filter(received_at__lt=cutoff).exclude(raw={})
        ),
        revisions=_blank(
            InteractionRevision.objects.filter(recorded_at__lt=cutoff).exclude(raw={})
        ),
        quarantined=_delete(QuarantinedPayload.objects.filter(received_at__lt=cutoff)),
        media=_forget_media(cutoff),
    )
    record_event(
        action="inbox.raw_purged",
        details={
            "days": days,
            "before": cutoff.isoformat(),
            "interactions": result.interactions,
            "revisions": result.revisions,
            "quarantined": result.quarantined,
            "media": result.media,
        },
    )
    return result
