"""The dispatcher's own cost per publication, two workers competing.

Loads due publications (10,000; 1,000 small) spread over 20 channels, then
starts two worker processes that run the real dispatcher (`claim` + `send`,
audit and post status included) against a fake network at the same time.
The fake network only appends the idempotency key to a file of the
worker's own, so the connector call costs next to nothing and is timed and
subtracted: what is left is our overhead (claim share, row reads, the
transaction that records the remote id, the post's status, the audit
event, and any wait for the other worker's locks).

Figures: p50 and p99 of that overhead in milliseconds, and the number of
publications the fake network received more than once (must be 0).

By default the fake network answers at once, so the two workers write to the
database all the time: the worst case for lock waits (on SQLite a waiting
writer sleeps in growing steps, which makes the p99). BENCH_NETWORK_MS=50
lets the fake network take that long per call, as real networks do (still
subtracted); BENCH_DISPATCH_WORKERS changes the number of workers.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from bench.databases import run_on_each

COUNTS = {"small": 1_000, "full": 10_000}
CHANNELS = 20
WORKERS = int(os.environ.get("BENCH_DISPATCH_WORKERS", "2"))
# How long the fake network takes to answer (timed and subtracted).
NETWORK_SECONDS = float(os.environ.get("BENCH_NETWORK_MS", "0")) / 1000


def run(size: str) -> None:
    """Measure on SQLite, and on PostgreSQL when it answers."""
    count = COUNTS[size]
    run_on_each(
        "bench.publishing_dispatch", sqlite=count, postgres=count, label="postgres"
    )


def setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leitstelle.settings")
    django.setup()


def measure(label: str, count: int) -> None:
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    load(count)
    with tempfile.TemporaryDirectory(prefix="leitstelle-dispatch-") as folder:
        start_at = time.time() + 3.0  # both workers begin together
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.publishing_dispatch",
                    "worker",
                    folder,
                    str(n),
                    str(start_at),
                ]
            )
            for n in range(WORKERS)
        ]
        started = time.perf_counter()
        for worker in workers:
            if worker.wait() != 0:
                raise SystemExit(f"a dispatch worker failed ({worker.returncode})")
        seconds = time.perf_counter() - started
        overheads: list[float] = []
        keys: Counter[str] = Counter()
        for n in range(WORKERS):
            overheads += json.loads(Path(folder, f"overhead-{n}.json").read_text())
            keys.update(Path(folder, f"sent-{n}.txt").read_text().split())
    from leitstelle.publishing.models import Publication

    published = Publication.objects.filter(state="published").count()
    duplicates = sum(copies - 1 for copies in keys.values() if copies > 1)
    print(
        f"# publishing: {published} of {count} published by {WORKERS} workers "
        f"in {seconds:.1f} s on {label}",
        flush=True,
    )
    if published != count or len(keys) != count:
        raise SystemExit(f"only {published} published, {len(keys)} sent")
    cuts = statistics.quantiles(overheads, n=100, method="inclusive")
    print(f"bench: publishing.dispatch_overhead.{label}.p50 = {cuts[49]:.2f} ms")
    print(f"bench: publishing.dispatch_overhead.{label}.p99 = {cuts[98]:.2f} ms")
    print(f"bench: publishing.dispatch_duplicates.{label} = {duplicates} count")


def load(count: int) -> None:
    """Create posts with one variant per channel and every publication due."""
    from django.db import connection
    from django.utils import timezone

    from leitstelle.core.models import Role, User
    from leitstelle.networks.models import Channel
    from leitstelle.publishing.models import Post, Publication, Variant

    author = User.objects.create(username="bench", role=Role.EDITOR)
    channels = Channel.objects.bulk_create(
        Channel(kind="exercise", name=f"Kanal {n}", remote_id=f"d{n}")
        for n in range(CHANNELS)
    )
    posts = Post.objects.bulk_create(
        Post(
            author=author,
            title=f"Beitrag {n}",
            master_text=f"Verkehrshinweis {n}: die B6 ist wieder frei.",
            status="scheduled",
        )
        for n in range(-(-count // CHANNELS))
    )
    variants = Variant.objects.bulk_create(
        Variant(post=post, channel=channel, text=post.master_text)
        for post in posts
        for channel in channels
    )[:count]
    now = timezone.now()
    Publication.objects.bulk_create(
        (
            Publication(
                variant=variant,
                channel_id=variant.channel_id,
                due_at=now,
                next_attempt_at=now,
            )
            for variant in variants
        ),
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def worker(folder: str, name: str, start_at: float) -> None:
    """One competing worker: claim and send until nothing is due."""
    setup_django()
    with Path(folder, f"sent-{name}.txt").open("a", buffering=1) as sent:
        overheads = compete(sent, start_at)
    Path(folder, f"overhead-{name}.json").write_text(json.dumps(overheads))


def compete(sent: TextIO, start_at: float) -> list[float]:
    from django.db import connection

    from leitstelle.networks.base import Connector, OutgoingPost, RemotePost
    from leitstelle.publishing import dispatcher

    class FileNetwork(Connector):
        kind = "exercise"
        label = "Benchnetz"

        def publish(self, post: OutgoingPost) -> RemotePost:
            if NETWORK_SECONDS:
                time.sleep(NETWORK_SECONDS)
            sent.write(post.idempotency_key + "\n")
            return RemotePost(post.idempotency_key, url="https://bench.example/p")

        def find_published(self, key: str, *, post: object = None) -> None:
            return None

    dispatcher.connector_for = FileNetwork  # type: ignore[assignment]
    network_seconds = 0.0

    def call(fn: Callable[[], Any]) -> Any:
        nonlocal network_seconds
        started = time.perf_counter()
        try:
            return fn()
        finally:
            network_seconds += time.perf_counter() - started

    connection.ensure_connection()
    time.sleep(max(0.0, start_at - time.time()))
    overheads: list[float] = []
    while True:
        started = time.perf_counter()
        token, ids = dispatcher.claim(limit=dispatcher.BATCH)
        claim_share = (time.perf_counter() - started) / max(1, len(ids))
        if not ids:
            return overheads
        for pk in ids:
            network_seconds = 0.0
            started = time.perf_counter()
            outcome = dispatcher.send(pk, token, call=call)
            elapsed = time.perf_counter() - started
            if outcome != "published":
                raise SystemExit(f"publication {pk}: {outcome}")
            overheads.append((claim_share + elapsed - network_seconds) * 1000)


if __name__ == "__main__":
    if sys.argv[1] == "worker":
        worker(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        measure(sys.argv[1], int(sys.argv[2]))
