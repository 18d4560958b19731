"""Appending to the hash-chained audit log, on SQLite and PostgreSQL.

The figure: events per second through `record_event`, each its own
transaction (as in the app). The ceilings, in the same run and database:
the same rows inserted one by one without the chain (no head lock, no
link), and the same rows in one `bulk_create`.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time

from bench.databases import run_on_each

COUNTS = {"small": 200, "full": 2000}
# Rows for the ceilings get sequence numbers far above the chain's.
CEILING_OFFSET = 10_000_000


def run(size: str) -> None:
    """Measure on SQLite, and on PostgreSQL when it answers."""
    count = COUNTS[size]
    run_on_each("bench.audit_append", sqlite=count, postgres=count, label="postgres")


def measure(label: str, count: int) -> None:
    """Migrate a fresh database, then print the figure and its ceilings."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leitstelle.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    chained = rate(count, append_chained)
    unchained = rate(count, insert_unchained)
    bulk = rate(count, insert_bulk)
    name = f"core.audit_append.{label}"
    # The ceiling for appending one event at a time is inserting the same
    # rows one at a time without the chain; a bulk insert bounds both.
    print(f"bench: {name} = {chained} events/s (ceiling {unchained} events/s)")
    print(f"bench: {name}.bulk = {bulk} rows/s", flush=True)


def rate(count: int, work) -> int:
    started = time.perf_counter()
    work(count)
    return round(count / (time.perf_counter() - started))


def details(n: int) -> dict:
    return {"n": n, "field": "name", "old": "Dresden", "new": "Dresden-Nord"}


def append_chained(count: int) -> None:
    from leitstelle.core.audit import record_event, verify_chain

    for n in range(count):
        record_event(action="bench.appended", details=details(n), actor_label="bench")
    assert verify_chain().ok, "the benchmark broke the chain"


def row(n: int):
    """Return an audit row shaped like `record_event`'s, outside the chain."""
    from django.utils import timezone

    from leitstelle.core.models import AuditEvent

    sequence = CEILING_OFFSET + n
    event = AuditEvent(
        sequence=sequence,
        created_at=timezone.now(),
        actor_label="bench",
        action="bench.inserted",
        details=details(n),
        prev_hash=hashlib.sha256(str(sequence - 1).encode()).hexdigest(),
    )
    event.hash = event.compute_hash()
    return event


def insert_unchained(count: int) -> None:
    for n in range(count):
        row(n).save()


def insert_bulk(count: int) -> None:
    from leitstelle.core.models import AuditEvent

    AuditEvent.objects.bulk_create(
        [row(count + n) for n in range(count)], batch_size=500
    )


if __name__ == "__main__":
    measure(sys.argv[1], int(sys.argv[2]))
