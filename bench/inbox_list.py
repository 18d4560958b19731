"""The inbox list, filtered list and search at scale, SQLite and PostgreSQL.

Loads generated German comments (`inbox.fakedata`) with `bulk_create`, runs
ANALYZE, then times 50 requests of each kind through the view function
(RequestFactory, htmx results partial: query plus template render, no
middleware). The default list follows the "Older" cursor page after page.
The figures are p95 server times in milliseconds.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.databases import run_on_each

COUNTS = {
    "small": {"sqlite": 10_000, "postgresql": 100_000},
    "full": {"sqlite": 100_000, "postgresql": 1_000_000},
}
LABELS = {"sqlite": "sqlite", "postgresql": "postgres"}
REQUESTS = 50
CHANNELS = 10
AUTHORS = 2000
BATCH = 5000
START = datetime(2025, 1, 1, tzinfo=UTC)
CATEGORIES = ("question", "praise", "criticism", "insult", "tip")
STATUSES = (
    ("new", 30),
    ("open", 20),
    ("waiting", 10),
    ("answered", 25),
    ("closed", 13),
    ("escalated", 2),
)
SEARCHES = ("Unfall", "Unfälle")
OLDER = re.compile(r"before=([0-9]+\.[0-9]+)")


def run(size: str) -> None:
    """Measure on SQLite, and on PostgreSQL when it answers."""
    counts = COUNTS[size]
    run_on_each(
        "bench.inbox_list",
        sqlite=counts["sqlite"],
        postgres=counts["postgresql"],
        label="postgresql",
    )


def measure(vendor: str, count: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leitstelle.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    load(count)
    seconds = time.perf_counter() - started
    print(f"# inbox: loaded {count} items into {vendor} in {seconds:.0f} s", flush=True)
    label = LABELS[vendor]
    for name, requests in (
        ("list", list_requests()),
        ("filtered", filtered_requests()),
        ("search", search_requests()),
    ):
        p95 = percentile95(time_requests(requests))
        print(f"bench: inbox.{name}.{label}.p95 = {p95:.1f} ms", flush=True)


def load(count: int) -> None:
    """Insert `count` generated comments on 10 channels, then ANALYZE."""
    from django.db import connection

    from leitstelle.inbox import fakedata
    from leitstelle.inbox.models import Author, Interaction
    from leitstelle.networks.models import Channel

    channels = [
        Channel.objects.create(kind="exercise", name=f"Kanal {n}", remote_id=f"b{n}")
        for n in range(CHANNELS)
    ]
    authors = {}
    for channel in channels:
        rows = Author.objects.bulk_create(
            Author(channel=channel, remote_id=f"a{n}", handle=f"h{n}", name=f"N {n}")
            for n in range(AUTHORS)
        )
        authors.update({(channel.pk, row.remote_id): row.pk for row in rows})
    rng = random.Random(2)  # noqa: S311 - reproducible, not secret
    batch = []
    comments = fakedata.generate(
        count,
        seed=3,
        authors=AUTHORS,
        posts=2000,
        start=START,
        span=timedelta(days=3 * 365),
    )
    for comment in comments:
        channel = channels[int(comment.root_post_id[1:]) % CHANNELS]
        batch.append(
            Interaction(
                channel=channel,
                remote_id=comment.remote_id,
                kind="reply" if comment.parent_id else "comment",
                author_id=authors[(channel.pk, comment.author.remote_id)],
                text=comment.text,
                remote_created_at=comment.created_at,
                in_reply_to=comment.parent_id or comment.root_post_id,
                root_post=comment.root_post_id,
                thread_key=comment.thread_key,
                status=rng.choices(*zip(*STATUSES, strict=True))[0],
                priority=rng.choice((0, 0, 0, 1, 2, 3, 5)),
                categories=rng.sample(CATEGORIES, rng.choice((0, 1, 1, 2))),
                language=comment.language,
            )
        )
        if len(batch) == BATCH:
            Interaction.objects.bulk_create(batch)
            batch = []
    Interaction.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def list_requests() -> list[dict]:
    """The default view, then "Older" page after page (cursor follows)."""
    return [{} for _ in range(REQUESTS)]


def filtered_requests() -> list[dict]:
    from leitstelle.networks.models import Channel

    channels = list(Channel.objects.values_list("pk", flat=True))
    return [
        {"channel": channels[n % len(channels)], "status": "open", "category": "tip"}
        for n in range(REQUESTS)
    ]


def search_requests() -> list[dict]:
    return [{"q": SEARCHES[n % len(SEARCHES)]} for n in range(REQUESTS)]


def time_requests(requests: list[dict]) -> list[float]:
    """Return the milliseconds of each request; an empty one pages on."""
    from django.test import RequestFactory
    from django_htmx.middleware import HtmxDetails

    from leitstelle.core.models import Role, User
    from leitstelle.inbox.views import listing as views

    user, _ = User.objects.get_or_create(
        username="bench", defaults={"role": Role.ADMIN}
    )
    factory = RequestFactory(headers={"HX-Request": "true"})
    timings, older = [], ""
    warm_up = factory.get("/posteingang/", requests[0])
    warm_up.user, warm_up.htmx = user, HtmxDetails(warm_up)
    views.interaction_list(warm_up)  # compiles the templates once
    for params in requests:
        if not params and older:
            params = {"before": older}
        request = factory.get("/posteingang/", params)
        request.user = user
        request.htmx = HtmxDetails(request)
        started = time.perf_counter()
        response = views.interaction_list(request)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        found = OLDER.search(response.content.decode())
        older = found.group(1) if found else ""
    return timings


def percentile95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20, method="inclusive")[-1]


if __name__ == "__main__":
    measure(sys.argv[1], int(sys.argv[2]))
