"""Ingest with triage, against ingest without it, on SQLite and PostgreSQL.

The figure: items per second through `ingest_page` with every new and edited
item classified (the workload of `bench.inbox_ingest`: pages of 500, half
new, a quarter repeats, a quarter edits). The ceiling, in the same run and
database: the same pages through `ingest_page` with triage switched off.
The two alternate page by page on two channels, so both see the same table
sizes and the same machine load. The issue's target: triage costs less than
half of ingest's throughput (figure > ceiling / 2).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any
from unittest import mock

from bench.databases import run_on_each
from bench.inbox_ingest import COUNTS, PAGE, make_channel, workload


def run(size: str) -> None:
    """Measure on SQLite, and on PostgreSQL when it answers."""
    count = COUNTS[size]
    run_on_each("bench.triage_ingest", sqlite=count, postgres=count, label="postgres")


def measure(label: str, count: int) -> None:
    """Migrate a fresh database, then print the figure and its ceiling."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leitstelle.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    pages, warm_up = workload(count)
    with_triage, without = rates(pages, warm_up)
    print(
        f"bench: triage.ingest_with_triage.{label} = {with_triage} items/s "
        f"(ceiling {without} items/s)",
        flush=True,
    )


def rates(pages: list[Any], warm_up: Any) -> tuple[int, int]:
    """Return items/s with triage and without, pages alternating between them."""
    from leitstelle.inbox import classification
    from leitstelle.inbox.ingest import ingest_page
    from leitstelle.inbox.models import Interaction
    from leitstelle.triage.services import classify_batch

    def no_triage(*, new: list[Any], edits: dict[int, str]) -> dict[int, Any]:
        return {}

    classify_batch(["Das Modell wird vor der Messung geladen."])
    off = mock.patch.object(classification, "triage_page", no_triage)
    triaged, plain = make_channel("bench-triage"), make_channel("bench-no-triage")
    ingest_page(channel=triaged, page=warm_up)
    with off:
        ingest_page(channel=plain, page=warm_up)
    spent = {"with": 0.0, "without": 0.0}
    for page in pages:
        started = time.perf_counter()
        ingest_page(channel=triaged, page=page)
        spent["with"] += time.perf_counter() - started
        with off:
            started = time.perf_counter()
            ingest_page(channel=plain, page=page)
            spent["without"] += time.perf_counter() - started
    classified = Interaction.objects.filter(channel=triaged).exclude(categories=[])
    assert classified.count() == Interaction.objects.filter(channel=triaged).count()
    assert not Interaction.objects.filter(channel=plain).exclude(categories=[])
    items = len(pages) * PAGE
    return round(items / spent["with"]), round(items / spent["without"])


if __name__ == "__main__":
    measure(sys.argv[1], int(sys.argv[2]))
