"""The calendar's month view with thousands of posts, SQLite and PostgreSQL.

Loads posts spread over one month (1 to 3 channels each, a mix of types,
statuses and campaigns) with `bulk_create`, runs ANALYZE, then times 20
requests of the full month page through the view function (RequestFactory,
an editor who may move posts: query plus template render, no middleware). The
figure is the median server time in milliseconds.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import date
from datetime import time as clock

from bench.databases import run_on_each

COUNTS = {
    "small": {"sqlite": 200, "postgresql": 200},
    "full": {"sqlite": 2_000, "postgresql": 2_000},
}
LABELS = {"sqlite": "sqlite", "postgresql": "postgres"}
REQUESTS = 20
CHANNELS = 20
CAMPAIGNS = 8
MONTH = (2031, 3)  # holds the change to summer time
STATUSES = (
    ("published", 40),
    ("scheduled", 30),
    ("draft", 15),
    ("in_review", 10),
    ("failed", 5),
)
TITLES = (
    "Verkehrskontrolle auf der B27",
    "Einbruchschutz: Tipps für die dunkle Jahreszeit",
    "Tag der offenen Tür bei der Polizei",
    "Unwetterwarnung für den Landkreis",
    "Zeugenaufruf nach Unfall",
    "Festnahme nach Raub in der Innenstadt",
)


def run(size: str) -> None:
    """Measure on SQLite, and on PostgreSQL when it answers."""
    counts = COUNTS[size]
    run_on_each(
        "bench.publishing_calendar",
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
    print(
        f"# calendar: loaded {count} posts into {vendor} in {seconds:.1f} s", flush=True
    )
    median = statistics.median(time_requests(count))
    print(
        f"bench: publishing.calendar_month.{LABELS[vendor]} = {median:.1f} ms",
        flush=True,
    )


def load(count: int) -> None:
    """Insert `count` posts in MONTH with variants and publications."""
    from django.db import connection

    from leitstelle.networks.models import Channel
    from leitstelle.publishing.calendar import at_local, month_span
    from leitstelle.publishing.models import (
        Campaign,
        Post,
        PostType,
        Publication,
        Variant,
    )

    rng = random.Random(4)  # noqa: S311 - reproducible, not secret
    channels = Channel.objects.bulk_create(
        Channel(kind="exercise", name=f"Kanal {n}", remote_id=f"c{n}")
        for n in range(CHANNELS)
    )
    campaigns = Campaign.objects.bulk_create(
        Campaign(name=f"Kampagne {n}") for n in range(CAMPAIGNS)
    )
    days = month_span(*MONTH).days
    posts = []
    for n in range(count):
        when = at_local(rng.choice(days), clock(rng.randrange(6, 22), 15 * (n % 4)))
        status = rng.choices(*zip(*STATUSES, strict=True))[0]
        posts.append(
            Post(
                title=f"{rng.choice(TITLES)} ({n})",
                master_text="Text des Beitrags",
                post_type=rng.choice(PostType.values),
                status=status,
                scheduled_at=when,
                published_at=when if status in {"published", "failed"} else None,
                campaign=rng.choice((None, None, *campaigns)),
            )
        )
    posts = Post.objects.bulk_create(posts)
    variants = Variant.objects.bulk_create(
        Variant(post=post, channel=channel, text=post.title)
        for post in posts
        for channel in rng.sample(channels, rng.choice((1, 2, 2, 3)))
    )
    out = {post.pk: post for post in posts if post.status not in {"draft", "in_review"}}
    Publication.objects.bulk_create(
        Publication(
            variant=variant,
            channel=variant.channel,
            due_at=out[variant.post_id].scheduled_at,
            next_attempt_at=out[variant.post_id].scheduled_at,
            state="published" if out[variant.post_id].published_at else "pending",
        )
        for variant in variants
        if variant.post_id in out
    )
    assert date(*MONTH, 1) == days[0]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def time_requests(count: int) -> list[float]:
    """Return the milliseconds of each request for the month page."""
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory
    from django_htmx.middleware import HtmxDetails

    from leitstelle.core.models import Role, User
    from leitstelle.publishing.views import calendar

    user, _ = User.objects.get_or_create(
        username="bench", defaults={"role": Role.EDITOR}
    )
    factory = RequestFactory()
    month = f"{MONTH[0]:04d}-{MONTH[1]:02d}"

    def request() -> object:
        made = factory.get("/beitraege/kalender/", {"month": month})
        made.user = user
        made.session = SessionStore()
        made._messages = FallbackStorage(made)
        made.htmx = HtmxDetails(made)
        return made

    response = calendar.month(request())  # compiles the templates once
    shown = response.content.decode().count('class="calendar-post ')
    assert response.status_code == 200 and shown == count, (response, shown)
    timings = []
    for _ in range(REQUESTS):
        made = request()
        started = time.perf_counter()
        response = calendar.month(made)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return timings


if __name__ == "__main__":
    measure(sys.argv[1], int(sys.argv[2]))
