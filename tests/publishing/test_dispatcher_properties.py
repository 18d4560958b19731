"""Property: whatever the network and the workers do, never twice, never lost.

Hypothesis draws the variants (some split into threads), a script of what
each channel's network does on every publish call (success, timeout after it
accepted the post, 5xx, 429, a worker crash before or after the network
accepted, a rejection), and an interleaving of two workers claiming rows,
sending them, crashing, and the clock moving on. Then the sweep runs until
nothing is left to do. Every variant must end published exactly once on the
fake network (each thread part once, in order), or failed with a reason and
nothing on the network.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leitstelle.networks.models import Channel
from leitstelle.publishing import dispatcher
from leitstelle.publishing.models import Post, Publication, PublicationState
from tests.core.factories import UserFactory
from tests.publishing.factories import (
    FakeChannelFactory,
    FakeNetwork,
    FakeState,
    PostFactory,
    PublicationFactory,
    VariantFactory,
    WorkerCrash,
)

pytestmark = pytest.mark.django_db

STEPS = ["ok", "timeout", "unavailable", "ratelimit", "crash_after", "crash_before"]

variants = st.lists(
    st.integers(min_value=1, max_value=3),  # thread parts per variant
    min_size=1,
    max_size=4,
)
scripts = st.lists(
    st.lists(st.sampled_from(STEPS * 3 + ["reject"]), max_size=14),
    min_size=4,
    max_size=4,
)
actions = st.lists(
    st.one_of(
        st.tuples(st.just("claim"), st.sampled_from("AB"), st.integers(1, 3)),
        st.tuples(st.just("send"), st.sampled_from("AB"), st.just(0)),
        st.tuples(st.just("crash"), st.sampled_from("AB"), st.just(0)),
        st.tuples(st.just("tick"), st.just(""), st.sampled_from([0, 1, 11, 120])),
    ),
    max_size=40,
)


def run(actions: list[tuple[str, str, int]], state: FakeState, start: Any) -> None:
    """Play the workers' interleaving, then sweep until nothing is left."""
    clock = start
    held: dict[str, tuple[str, list[int]]] = {}
    for action, worker, amount in actions:
        if action == "tick":
            clock += timedelta(minutes=amount)
        elif action == "claim" and worker not in held:
            token, ids = dispatcher.claim(now=clock, limit=amount)
            if ids:
                held[worker] = (token, ids)
        elif action == "send" and worker in held:
            token, ids = held[worker]
            pk = ids.pop(0)
            if not ids:
                del held[worker]
            try:
                dispatcher.send(pk, token)
            except WorkerCrash:
                held.pop(worker, None)  # the process died with its batch
        elif action == "crash":
            held.pop(worker, None)
    for _round in range(3 * dispatcher.MAX_ATTEMPTS + 10):
        active = Publication.objects.filter(
            state__in=[PublicationState.PENDING, PublicationState.SENDING]
        )
        if not active.exists():
            return
        clock += dispatcher.LEASE + timedelta(seconds=dispatcher.MAX_DELAY + 60)
        try:
            dispatcher.dispatch_due(now=clock)
        except WorkerCrash:
            continue
    raise AssertionError("the sweep never finished")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(variants=variants, scripts=scripts, actions=actions)
def test_it_publishes_every_variant_exactly_once_or_fails_with_a_reason(
    fake_network: FakeState,
    variants: list[int],
    scripts: list[list[str]],
    actions: list[tuple[str, str, int]],
) -> None:
    Post.objects.all().delete()
    Channel.objects.all().delete()
    state = FakeState()
    FakeNetwork.state = state  # the fixture restores the original afterwards
    start = timezone.now()
    post = PostFactory(author=UserFactory())
    rows = []
    for index, parts in enumerate(variants):
        channel = FakeChannelFactory()
        state.script[channel.pk] = list(scripts[index])
        texts = [f"Teil {n + 1} von {index}" for n in range(parts)]
        variant = VariantFactory(
            post=post, channel=channel, text=texts[0], parts=texts if parts > 1 else []
        )
        rows.append(PublicationFactory(variant=variant, due_at=start))

    run(actions, state, start)

    for row in rows:
        row.refresh_from_db()
        keys = [
            dispatcher.part_key(row.idempotency_key, n)
            for n in range(len(row.variant.texts))
        ]
        sent = {key: state.sent(key) for key in keys}
        assert all(len(copies) <= 1 for copies in sent.values()), sent
        if row.state == PublicationState.PUBLISHED:
            assert all(len(copies) == 1 for copies in sent.values()), sent
            ids = [sent[key][0].remote_id for key in keys]
            assert row.remote_ids == ids
            assert row.remote_id == ids[0]
            replies = [sent[key][0].reply_to for key in keys]
            assert replies == [None, *ids[:-1]]
        else:
            assert row.state == PublicationState.FAILED, row.state
            assert row.error.strip()
            # Parts out before a rejection are recorded, so they can be deleted.
            out = [sent[key][0].remote_id for key in keys if sent[key]]
            assert row.remote_ids == out
    post.refresh_from_db()
    assert post.status in {"published", "partly_failed", "failed"}
