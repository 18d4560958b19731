"""Factories of the inbox: channels to ingest into, authors, interactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import factory

from leitstelle.inbox.models import Author, Interaction
from leitstelle.networks.base import IncomingItem, InteractionPage, ItemKind
from leitstelle.networks.models import Channel

BASE_TIME = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


class InboxChannelFactory(factory.django.DjangoModelFactory):
    """A channel of the exercise network, without credentials: never called."""

    class Meta:
        model = Channel

    kind = "exercise"
    name = factory.Sequence(lambda n: f"Polizei Kanal {n}")
    remote_id = factory.Sequence(lambda n: f"inbox-{n}")
    handle = factory.LazyAttribute(lambda c: f"polizei_{c.remote_id}")


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    channel = factory.SubFactory(InboxChannelFactory)
    remote_id = factory.Sequence(lambda n: f"author-{n}")
    handle = factory.LazyAttribute(lambda a: f"buerger_{a.remote_id}")
    name = factory.Sequence(lambda n: f"Bürgerin {n}")


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    channel = factory.SubFactory(InboxChannelFactory)
    author = factory.SubFactory(
        AuthorFactory, channel=factory.SelfAttribute("..channel")
    )
    remote_id = factory.Sequence(lambda n: f"item-{n}")
    kind = ItemKind.COMMENT.value
    text = factory.Sequence(lambda n: f"Wann ist die Straße wieder frei? ({n})")
    remote_created_at = factory.Sequence(lambda n: BASE_TIME + timedelta(minutes=n))
    root_post = "post-1"
    in_reply_to = "post-1"
    thread_key = factory.LazyAttribute(lambda i: i.root_post or i.remote_id)


def incoming(remote_id: str = "c1", **overrides: Any) -> IncomingItem:
    """Return an incoming comment on our post `post-1`, as a connector would."""
    values: dict[str, Any] = {
        "remote_id": remote_id,
        "kind": ItemKind.COMMENT,
        "text": f"Gibt es schon Neuigkeiten zum Unfall? ({remote_id})",
        "created_at": BASE_TIME,
        "author_id": "a1",
        "author_handle": "anwohner42",
        "author_name": "Thomas Berger",
        "author_url": "https://net.example/@anwohner42",
        "url": f"https://net.example/posts/{remote_id}",
        "in_reply_to": "post-1",
        "root_post": "post-1",
        "raw": {"id": remote_id, "text": "…"},
    }
    values.update(overrides)
    return IncomingItem(**values)


def page(*items: IncomingItem, cursor: dict[str, Any] | None = None, **kw: Any):
    """Return a page of `items` with `cursor` (default: after the last id)."""
    if cursor is None:
        cursor = {"after": items[-1].remote_id if items else ""}
    return InteractionPage(items=tuple(items), cursor=cursor, **kw)


def exercise_channel(account: Any, *, token: str | None = None) -> Channel:
    """Return a channel on the exercise network that `account` owns."""
    from leitstelle.networks.exercise import services

    channel = Channel(
        kind="exercise",
        name=account.display_name,
        remote_id=str(account.pk),
        config={"handle": account.handle},
    )
    channel.set_credentials(
        {"access_token": token or services.issue_token(account=account)}
    )
    channel.save()
    return channel
