"""Factories of publishing: posts, variants, publications, and a fake network.

`FakeNetwork` is a connector whose "network" is a plain dict: unlike the
exercise network it does not deduplicate by idempotency key, so a post sent
twice shows up twice. Scripts of failures make it misbehave on demand.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import factory
import pytest

from leitstelle.networks.base import (
    Capabilities,
    Connector,
    ContentRejected,
    OutgoingPost,
    RateLimited,
    RemotePost,
    TextRules,
    Unavailable,
)
from leitstelle.networks.models import Channel
from leitstelle.publishing import dispatcher
from leitstelle.publishing.models import (
    Campaign,
    Post,
    Publication,
    PublicationState,
    Variant,
)
from tests.core.factories import UserFactory

BASE_TIME = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Kampagne {n}")


class FakeChannelFactory(factory.django.DjangoModelFactory):
    """A channel on the fake network (kind "exercise": never really called)."""

    class Meta:
        model = Channel

    kind = "exercise"
    name = factory.Sequence(lambda n: f"Testkanal {n}")
    remote_id = factory.Sequence(lambda n: f"fake-{n}")
    handle = factory.LazyAttribute(lambda c: f"polizei_{c.remote_id}")


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    title = factory.Sequence(lambda n: f"Beitrag {n}")
    master_text = factory.Sequence(lambda n: f"Verkehrshinweis Nummer {n}.")
    author = factory.SubFactory(UserFactory, role="editor")


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    post = factory.SubFactory(PostFactory)
    channel = factory.SubFactory(FakeChannelFactory)
    text = factory.LazyAttribute(lambda v: v.post.master_text)


class PublicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Publication

    variant = factory.SubFactory(VariantFactory)
    channel = factory.SelfAttribute("variant.channel")
    state = PublicationState.PENDING
    due_at = BASE_TIME
    next_attempt_at = factory.SelfAttribute("due_at")


class WorkerCrash(BaseException):
    """Simulates the worker process dying mid-call (nothing catches it)."""


@dataclass
class FakePost:
    remote_id: str
    channel_id: int
    text: str
    key: str
    reply_to: str | None
    media: int
    deleted: bool = False


@dataclass
class FakeState:
    posts: list[FakePost] = field(default_factory=list)
    # Per (channel id) a queue of what the next calls do: "ok", "timeout"
    # (accepted, then the answer is lost), "unavailable" (5xx, not accepted),
    # "ratelimit", "crash_after" (accepted, worker dies), "crash_before",
    # "reject".
    script: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    calls: list[tuple[str, str]] = field(default_factory=list)

    def sent(self, key: str) -> list[FakePost]:
        return [p for p in self.posts if p.key == key]


class FakeNetwork(Connector):
    kind = "exercise"
    label = "Fakenetz"
    capabilities = Capabilities(edit=True, threads=True)
    text_rules = TextRules(max_length=500)
    state: ClassVar[FakeState] = FakeState()

    def _next(self) -> str:
        queue = self.state.script[self.channel.pk]
        return queue.pop(0) if queue else "ok"

    def _store(self, post: OutgoingPost) -> RemotePost:
        remote_id = f"r{next(self.state.counter)}"
        self.state.posts.append(
            FakePost(
                remote_id,
                self.channel.pk,
                post.text,
                post.idempotency_key,
                post.reply_to,
                len(post.media),
            )
        )
        return RemotePost(remote_id, url=f"https://fake.example/{remote_id}")

    def publish(self, post: OutgoingPost) -> RemotePost:
        self.state.calls.append(("publish", post.idempotency_key))
        step = self._next()
        if step == "ok":
            return self._store(post)
        if step == "timeout":
            self._store(post)
            raise Unavailable("Zeitüberschreitung")
        if step == "crash_after":
            self._store(post)
            raise WorkerCrash
        if step == "crash_before":
            raise WorkerCrash
        if step == "unavailable":
            raise Unavailable("Serverfehler 503")
        if step == "ratelimit":
            raise RateLimited("Zu viele Anfragen", retry_after=30)
        if step == "reject":
            raise ContentRejected("Das Netzwerk lehnt den Beitrag ab.", reason="x")
        raise AssertionError(step)

    def find_published(
        self, idempotency_key: str, *, post: OutgoingPost | None = None
    ) -> RemotePost | None:
        self.state.calls.append(("find", idempotency_key))
        for found in self.state.posts:
            if found.key == idempotency_key and found.channel_id == self.channel.pk:
                return RemotePost(
                    found.remote_id, url=f"https://fake.example/{found.remote_id}"
                )
        return None

    def edit(self, remote_id: str, post: OutgoingPost) -> RemotePost:
        self.state.calls.append(("edit", remote_id))
        for found in self.state.posts:
            if found.remote_id == remote_id:
                found.text = post.text
        return RemotePost(remote_id, url=f"https://fake.example/{remote_id}")

    def delete(self, remote_id: str) -> None:
        self.state.calls.append(("delete", remote_id))
        for found in self.state.posts:
            if found.remote_id == remote_id:
                found.deleted = True


class NoEditNetwork(FakeNetwork):
    capabilities = Capabilities(edit=False, threads=False)


@pytest.fixture
def fake_network(monkeypatch: pytest.MonkeyPatch) -> FakeState:
    """Route every channel to the fake network; return its state."""
    state = FakeState()
    monkeypatch.setattr(FakeNetwork, "state", state)
    monkeypatch.setattr(dispatcher, "connector_for", lambda channel: _fake(channel))
    return state


def _fake(channel: Channel) -> Connector:
    kind = NoEditNetwork if channel.config.get("no_edit") else FakeNetwork
    return kind(channel)


def make_post(channels: list[Channel], **kwargs: Any) -> Post:
    post = PostFactory(**kwargs)
    for channel in channels:
        VariantFactory(post=post, channel=channel, text=post.master_text)
    return post


@pytest.fixture
def media_root(settings: Any, tmp_path: Any) -> Any:
    """Keep uploaded files in a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def exercise_channel(handle: str = "polizei_sachsen") -> Channel:
    """Return a working channel on the exercise network, with its account."""
    from leitstelle.networks.exercise import services

    account = services.create_account(
        handle=handle, display_name=handle.replace("_", " "), is_organisation=True
    )
    channel = Channel(
        kind="exercise",
        name=account.display_name,
        remote_id=str(account.pk),
        config={"handle": account.handle},
    )
    channel.set_credentials({"access_token": services.issue_token(account=account)})
    channel.save()
    return channel


def blocker(code: str = "personal_data.phone", channel_id: int | None = None) -> Any:
    from leitstelle.publishing.checks import Finding

    return Finding(code, "blocker", "Telefonnummer im Text", channel_id=channel_id)
