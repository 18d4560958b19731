"""Storing incoming items through `ingest_page`, on SQLite and PostgreSQL.

The figure: items per second through `ingest_page`, in pages of 500 as a
poll brings them: half of the items new, a quarter repeats of stored ones,
a quarter edits of stored ones (a revision each). The ceiling, in the same
run and database: the same number of rows in plain `bulk_create` calls of
500, one transaction each.
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.databases import run_on_each

COUNTS = {"small": 10_000, "full": 100_000}
PAGE = 500
# Items stored before the clock starts, so the first page has some to edit.
WARM_UP = PAGE // 2
START = datetime(2025, 1, 1, tzinfo=UTC)


def run(size: str) -> None:
    """Measure on SQLite, and on PostgreSQL when it answers."""
    count = COUNTS[size]
    run_on_each("bench.inbox_ingest", sqlite=count, postgres=count, label="postgres")


def measure(label: str, count: int) -> None:
    """Migrate a fresh database, then print the figure and its ceiling."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leitstelle.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    pages, warm_up = workload(count)
    ingested = ingest_rate(pages, warm_up)
    ceiling = bulk_rate(pages)
    print(
        f"bench: inbox.ingest.{label} = {ingested} items/s (ceiling {ceiling} items/s)",
        flush=True,
    )


def comments(count: int) -> list[Any]:
    """Return `count` realistic German comments (the shared generator's)."""
    from leitstelle.inbox.fakedata import generate

    return list(generate(count, seed=7, start=START))


def item(comment: Any, *, text: str | None = None, edited: bool = False) -> Any:
    """Return the comment as a connector hands it over, raw payload included."""
    from leitstelle.networks.base import IncomingItem, ItemKind

    text = comment.text if text is None else text
    edited_at = comment.created_at.replace(second=59) if edited else None
    url = f"https://social.example/@polizei/{comment.remote_id}"
    author = comment.author
    raw = {
        "id": comment.remote_id,
        "created_at": comment.created_at.isoformat(),
        "edited_at": edited_at.isoformat() if edited_at else None,
        "content": text,
        "url": url,
        "in_reply_to_id": comment.parent_id or comment.root_post_id,
        "language": comment.language,
        "account": {
            "id": author.remote_id,
            "acct": author.handle,
            "display_name": author.name,
            "url": f"https://social.example/@{author.handle}",
        },
        "media_attachments": [],
        "favourites_count": 0,
    }
    return IncomingItem(
        remote_id=comment.remote_id,
        kind=ItemKind.REPLY if comment.parent_id else ItemKind.COMMENT,
        text=text,
        created_at=comment.created_at,
        edited_at=edited_at,
        author_id=author.remote_id,
        author_handle=author.handle,
        author_name=author.name,
        author_url=raw["account"]["url"],
        url=url,
        in_reply_to=comment.parent_id or comment.root_post_id,
        root_post=comment.root_post_id,
        raw=raw,
    )


def workload(count: int) -> tuple[list[Any], Any]:
    """Return pages of `PAGE` items (½ new, ¼ repeats, ¼ edits) and a warm-up.

    Repeats and edits are drawn from items stored in earlier pages.
    """
    from leitstelle.networks.base import InteractionPage

    rng = random.Random(11)  # noqa: S311 (a reproducible workload, not a secret)
    pages = max(count // PAGE, 1)
    fresh = comments(WARM_UP + pages * PAGE // 2)
    warm_up = InteractionPage(
        items=tuple(item(c) for c in fresh[:WARM_UP]), cursor={"n": 0}
    )
    stored = WARM_UP
    texts: dict[int, str] = {}  # the stored text of edited items
    result = []
    for n in range(pages):
        new = fresh[stored : stored + PAGE // 2]
        old = rng.sample(range(stored), PAGE // 2)
        repeats = [
            item(fresh[i], text=texts.get(i), edited=i in texts)
            for i in old[: PAGE // 4]
        ]
        edits = []
        for i in old[PAGE // 4 :]:
            texts[i] = f"{fresh[i].text} (edit {n})"
            edits.append(item(fresh[i], text=texts[i], edited=True))
        items = [*(item(c) for c in new), *repeats, *edits]
        rng.shuffle(items)
        result.append(InteractionPage(items=tuple(items), cursor={"n": n + 1}))
        stored += len(new)
    return result, warm_up


def make_channel(name: str) -> Any:
    from leitstelle.networks.models import Channel

    return Channel.objects.create(kind="exercise", name=name, remote_id=name)


def ingest_rate(pages: list[Any], warm_up: Any) -> int:
    from leitstelle.inbox.ingest import ingest_page
    from leitstelle.inbox.models import InteractionRevision

    channel = make_channel("bench-ingest")
    ingest_page(channel=channel, page=warm_up)
    started = time.perf_counter()
    for page in pages:
        ingest_page(channel=channel, page=page)
    elapsed = time.perf_counter() - started
    channel.refresh_from_db()
    edits = len(pages) * PAGE // 4
    assert channel.cursor == {"n": len(pages)}, "the cursor did not follow"
    assert InteractionRevision.objects.count() == edits, "edits went missing"
    return round(len(pages) * PAGE / elapsed)


def bulk_rate(pages: list[Any]) -> int:
    """Insert as many rows as the pages hold, with plain bulk_create calls."""
    from django.db import transaction

    from leitstelle.inbox.models import Author, Interaction

    channel = make_channel("bench-ceiling")
    items = [entry for page in pages for entry in page.items]
    authors = {
        entry.author_id: Author(
            channel=channel,
            remote_id=entry.author_id,
            handle=entry.author_handle,
            name=entry.author_name,
        )
        for entry in items
    }
    Author.objects.bulk_create(authors.values())
    author_pks = dict(
        Author.objects.filter(channel=channel).values_list("remote_id", "pk")
    )
    started = time.perf_counter()
    for start in range(0, len(items), PAGE):
        rows = [
            Interaction(
                channel=channel,
                remote_id=f"{n}-{entry.remote_id}",
                kind=entry.kind,
                author_id=author_pks[entry.author_id],
                text=entry.text,
                url=entry.url,
                remote_created_at=entry.created_at,
                edited_at=entry.edited_at,
                in_reply_to=entry.in_reply_to,
                root_post=entry.root_post,
                thread_key=entry.root_post or entry.remote_id,
                media_urls=list(entry.media_urls),
                raw=entry.raw,
            )
            for n, entry in enumerate(items[start : start + PAGE], start=start)
        ]
        with transaction.atomic():
            Interaction.objects.bulk_create(rows)
    return round(len(items) / (time.perf_counter() - started))


if __name__ == "__main__":
    measure(sys.argv[1], int(sys.argv[2]))
