"""The audit log is a hash chain: every entry seals the one before it."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection

from leitstelle.core.audit import record_event, verify_chain
from leitstelle.core.models import AppendOnlyError, AuditEvent, Unit

pytestmark = pytest.mark.django_db


def make_events(count: int) -> list[AuditEvent]:
    unit = Unit.objects.create(name="Dresden")
    return [
        record_event(action="unit.renamed", target=unit, details={"step": n})
        for n in range(count)
    ]


def tamper(sql: str, params: list) -> None:
    """Change a row behind the model's back, as an attacker with DB access."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_it_chains_each_entry_to_the_previous_one():
    first, second = make_events(2)
    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.hash
    assert [first.sequence, second.sequence] == [1, 2]


def test_it_hashes_content_and_previous_hash_with_sha256():
    (event,) = make_events(1)
    expected = hashlib.sha256(event.prev_hash.encode() + event.canonical_content())
    assert event.hash == expected.hexdigest()


def test_it_records_the_object_and_details():
    (event,) = make_events(1)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.object_type == "core.unit"
    assert stored.object_label == "Dresden"
    assert stored.details == {"step": 0}
    assert stored.actor_label == "system"


def test_it_verifies_an_intact_chain():
    make_events(5)
    report = verify_chain()
    assert report.ok
    assert report.checked == 5


def test_it_verifies_the_chain_after_reading_back_from_the_database():
    record_event(
        action="x", details={"when": "2026-11-25", "nested": {"b": 1, "a": [1, 2]}}
    )
    assert verify_chain().ok


def test_it_names_the_first_entry_whose_content_was_changed():
    events = make_events(4)
    tamper(
        "UPDATE core_auditevent SET action = %s WHERE id = %s", ["forged", events[2].pk]
    )
    report = verify_chain()
    assert report.broken_sequence == 3
    assert report.reason == "content does not match its hash"


def test_it_detects_a_deleted_entry():
    events = make_events(4)
    tamper("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    report = verify_chain()
    assert report.broken_sequence == 2
    assert report.reason == "entry is missing"


def test_it_detects_a_deleted_last_entry():
    events = make_events(3)
    tamper("DELETE FROM core_auditevent WHERE id = %s", [events[2].pk])
    assert verify_chain().broken_sequence == 3


def test_it_detects_a_recomputed_hash_that_breaks_the_link():
    events = make_events(3)
    forged = events[1]
    tamper(
        "UPDATE core_auditevent SET action = %s, hash = %s WHERE id = %s",
        ["forged", "f" * 64, forged.pk],
    )
    report = verify_chain()
    assert report.broken_sequence == 2


def test_it_refuses_to_change_an_entry():
    (event,) = make_events(1)
    event.action = "forged"
    with pytest.raises(AppendOnlyError):
        event.save()


def test_it_refuses_to_delete_an_entry():
    (event,) = make_events(1)
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_it_refuses_bulk_update_and_delete():
    make_events(2)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().update(action="forged")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
