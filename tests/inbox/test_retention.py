"""Raw-payload retention: blank old raw JSON, never snapshots; one audit event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from leitstelle.core.models import AuditEvent
from leitstelle.inbox import media_proxy, retention, tasks
from leitstelle.inbox.models import (
    CachedMedia,
    InboxSettings,
    Interaction,
    InteractionRevision,
    QuarantinedPayload,
    Snapshot,
)
from tests.inbox.factories import InteractionFactory

pytestmark = pytest.mark.django_db

RAW = {"id": "c1", "author": {"name": "Erika", "phone": "0351 123456"}}


def age(model, pk: int, field: str, days: int) -> None:
    model.objects.filter(pk=pk).update(**{field: timezone.now() - timedelta(days=days)})


@pytest.fixture
def old_item() -> Interaction:
    item = InteractionFactory(raw=RAW)
    age(Interaction, item.pk, "received_at", 200)
    return item


def test_it_blanks_raw_payloads_older_than_the_retention(old_item):
    fresh = InteractionFactory(raw=RAW)
    result = retention.purge_raw()
    old_item.refresh_from_db()
    fresh.refresh_from_db()
    assert old_item.raw == {}
    assert old_item.text  # the item itself stays
    assert fresh.raw == RAW
    assert (result.days, result.interactions) == (180, 1)


def test_it_follows_the_configured_number_of_days(old_item):
    InboxSettings.objects.update_or_create(pk=1, defaults={"raw_retention_days": 365})
    retention.purge_raw()
    old_item.refresh_from_db()
    assert old_item.raw == RAW


def test_zero_days_keeps_raw_payloads_forever(old_item):
    InboxSettings.objects.update_or_create(pk=1, defaults={"raw_retention_days": 0})
    result = retention.purge_raw()
    old_item.refresh_from_db()
    assert old_item.raw == RAW
    assert result.total == 0
    assert not AuditEvent.objects.filter(action="inbox.raw_purged").exists()


def test_it_blanks_old_revisions_too(old_item):
    revision = InteractionRevision.objects.create(
        interaction=old_item, text="vorher", raw=RAW
    )
    age(InteractionRevision, revision.pk, "recorded_at", 200)
    retention.purge_raw()
    revision.refresh_from_db()
    assert revision.raw == {}
    assert revision.text == "vorher"


def test_it_never_touches_snapshots(old_item, community_manager):
    snapshot = Snapshot.objects.create(
        interaction=old_item, action="hide", text="x", raw=RAW, sha256="0" * 64
    )
    Snapshot.objects.filter(pk=snapshot.pk).update(
        taken_at=timezone.now() - timedelta(days=900)
    )
    retention.purge_raw()
    snapshot.refresh_from_db()
    assert snapshot.raw == RAW


def test_it_deletes_old_quarantined_payloads(old_item):
    old = QuarantinedPayload.objects.create(
        channel=old_item.channel, reason="x", raw_body="{}"
    )
    age(QuarantinedPayload, old.pk, "received_at", 200)
    new = QuarantinedPayload.objects.create(
        channel=old_item.channel, reason="y", raw_body="{}"
    )
    result = retention.purge_raw()
    assert list(QuarantinedPayload.objects.all()) == [new]
    assert result.quarantined == 1


def test_it_writes_one_audit_event_per_run(old_item, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)
    for _ in range(4):
        item = InteractionFactory(channel=old_item.channel, raw=RAW)
        age(Interaction, item.pk, "received_at", 400)
    result = retention.purge_raw()
    assert result.interactions == 5
    assert not Interaction.objects.exclude(raw={}).exists()
    event = AuditEvent.objects.get(action="inbox.raw_purged")
    assert event.actor is None
    assert event.details["interactions"] == 5
    assert event.details["days"] == 180


def test_a_second_run_finds_nothing_new(old_item):
    retention.purge_raw()
    assert retention.purge_raw().total == 0
    assert AuditEvent.objects.filter(action="inbox.raw_purged").count() == 2


def test_the_nightly_task_runs_the_purge(old_item):
    # Periodic tasks keep no result; the effect is what counts.
    tasks.purge_raw_payloads()
    old_item.refresh_from_db()
    assert old_item.raw == {}


def test_it_forgets_cached_media_fetched_long_ago(old_item, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    stale = CachedMedia.objects.create(
        key="a" * 64, url="https://cdn.example/a.png", fetched_at=timezone.now()
    )
    CachedMedia.objects.filter(pk=stale.pk).update(
        fetched_at=timezone.now() - timedelta(days=200)
    )
    fresh = CachedMedia.objects.create(
        key="b" * 64, url="https://cdn.example/b.png", fetched_at=timezone.now()
    )
    for row in (stale, fresh):
        media_proxy.store_file(row.key, b"\x89PNG\r\n\x1a\n")
    result = retention.purge_raw()
    assert list(CachedMedia.objects.all()) == [fresh]
    assert not media_proxy.cache_path(stale.key).exists()
    assert media_proxy.cache_path(fresh.key).exists()
    assert result.media == 1
    event = AuditEvent.objects.get(action="inbox.raw_purged")
    assert event.details["media"] == 1
