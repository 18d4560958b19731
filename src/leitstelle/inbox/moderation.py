"""Hide, unhide, delete, block and mute, where the item's network allows it.

Before an item is hidden or deleted its full state is preserved as a
`Snapshot` (committed before the network is called), so that the evidence
survives whatever the network does. Network calls happen outside database
transactions; every change is audited.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leitstelle.core.audit import record_event
from leitstelle.core.models import User
from leitstelle.inbox.models import Author, Interaction, Snapshot
from leitstelle.networks.base import (
    AuthExpired,
    Connector,
    ConnectorError,
    RateLimited,
)
from leitstelle.networks.models import Channel
from leitstelle.networks.services import record_channel_error

ACTIONS = ("hide", "unhide", "delete", "block", "mute")
UNSUPPORTED = {
    "hide": gettext_lazy("%(network)s does not let Leitstelle hide comments."),
    "unhide": gettext_lazy("%(network)s does not let Leitstelle hide comments."),
    "delete": gettext_lazy(
        "%(network)s does not let Leitstelle delete other people's comments."
    ),
    "block": gettext_lazy("%(network)s does not let Leitstelle block anyone."),
    "mute": gettext_lazy("%(network)s does not let Leitstelle mute anyone."),
}
# Errors about the channel, not this item: the channel page shows them
# (re-authorise; wait for the rate limit) and polling backs off.
CHANNEL_ERRORS = (AuthExpired, RateLimited)
EVENTS = {
    "hide": "inbox.hidden",
    "unhide": "inbox.unhidden",
    "delete": "inbox.deleted",
    "block": "inbox.author_blocked",
    "mute": "inbox.author_muted",
}


class ModerationError(Exception):
    """The action is impossible or the network refused; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def supports(channel: Channel, action: str) -> bool:
    """Return whether `channel`'s network can do `action` through its API."""
    capabilities = channel.connector.capabilities
    if action in ("hide", "unhide"):
        return capabilities.hide
    if action == "delete":
        # `delete` is about our own posts; a Facebook page, Instagram and a
        # Telegram group where the bot is admin also delete others' comments.
        return capabilities.delete_comments
    return bool(getattr(capabilities, action))


def explain_unsupported(channel: Channel, action: str) -> str:
    """Say in plain words why `action` is impossible on `channel`."""
    return str(UNSUPPORTED[action]) % {"network": channel.connector.label}


def unsupported(channel: Channel) -> list[str]:
    """Return one sentence per moderation action `channel` cannot do."""
    found = []
    for action in ACTIONS:
        if action != "unhide" and not supports(channel, action):
            found.append(explain_unsupported(channel, action))
    return found


def require(channel: Channel, action: str) -> None:
    if not supports(channel, action):
        raise ModerationError(explain_unsupported(channel, action))


# Snapshots


def canonical_json(data: dict[str, Any]) -> bytes:
    return json.dumps(
        data,
        cls=DjangoJSONEncoder,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def snapshot_digest(snapshot: Snapshot) -> str:
    """Return the SHA-256 of the snapshot's canonical JSON (to verify it)."""
    content = {
        "action": snapshot.action,
        "text": snapshot.text,
        "author": snapshot.author,
        "raw": snapshot.raw,
    }
    return hashlib.sha256(canonical_json(content)).hexdigest()


def author_data(interaction: Interaction) -> dict[str, Any]:
    author = interaction.author
    return {
        "remote_id": author.remote_id,
        "handle": author.handle,
        "name": author.name,
        "avatar_url": author.avatar_url,
        "profile_url": author.profile_url,
        "channel": interaction.channel_id,
        "network": interaction.channel.kind,
        "item": {
            "remote_id": interaction.remote_id,
            "url": interaction.url,
            "kind": interaction.kind,
            "written_at": interaction.remote_created_at,
            "media_urls": interaction.media_urls,
        },
    }


def take_snapshot(*, interaction: Interaction, action: str, actor: User) -> Snapshot:
    """Preserve the item's full raw state, text and author before `action`."""
    fresh = Interaction.objects.select_related("author", "channel").get(
        pk=interaction.pk
    )
    # Round-trip through JSON so that the digest matches the stored row.
    author = json.loads(canonical_json(author_data(fresh)))
    raw = json.loads(canonical_json({"raw": fresh.raw}))["raw"]
    snapshot = Snapshot(
        interaction=fresh, action=action, text=fresh.text, author=author, raw=raw
    )
    snapshot.taken_by = actor
    snapshot.sha256 = snapshot_digest(snapshot)
    snapshot.save()
    return snapshot


# Actions


def call_network(channel: Channel, action: str, call: Callable[[], None]) -> None:
    try:
        call()
    except ConnectorError as exc:
        if isinstance(exc, CHANNEL_ERRORS):
            record_channel_error(channel=channel, error=exc)
        raise ModerationError(exc.message) from exc
    except NotImplementedError as exc:
        raise ModerationError(
            _("This network cannot do that through Leitstelle (%(action)s).")
            % {"action": action}
        ) from exc


def hide(
    *, interaction: Interaction, actor: User, request: HttpRequest | None = None
) -> Interaction:
    """Hide the item on its network after preserving a snapshot."""
    return change_item(interaction, actor, request, action="hide")


def unhide(
    *, interaction: Interaction, actor: User, request: HttpRequest | None = None
) -> Interaction:
    """Show a hidden item again on its network."""
    return change_item(interaction, actor, request, action="unhide")


def delete(
    *, interaction: Interaction, actor: User, request: HttpRequest | None = None
) -> Interaction:
    """Delete the item on its network after preserving a snapshot; keep our row."""
    return change_item(interaction, actor, request, action="delete")


def change_item(
    interaction: Interaction,
    actor: User,
    request: HttpRequest | None,
    *,
    action: str,
) -> Interaction:
    channel = interaction.channel
    require(channel, action)
    if already_done(interaction, action):
        return interaction
    snapshot = None
    if action in ("hide", "delete"):
        snapshot = take_snapshot(interaction=interaction, action=action, actor=actor)
    connector: Connector = channel.connector
    call = {
        "hide": connector.hide,
        "unhide": connector.unhide,
        "delete": connector.delete,
    }[action]
    try:
        call_network(channel, action, lambda: call(interaction.remote_id))
    except ModerationError as exc:
        record_failure(interaction, actor, request, action=action, error=exc.message)
        raise
    now = timezone.now()
    fields = {
        "hide": {"hidden_at": now},
        "unhide": {"hidden_at": None},
        "delete": {"deleted_by_us_at": now},
    }[action]
    with transaction.atomic():
        Interaction.objects.filter(pk=interaction.pk).update(**fields, updated_at=now)
        record_event(
            action=EVENTS[action],
            actor=actor,
            target=interaction,
            details=snapshot_details(snapshot),
            request=request,
        )
    for name, value in fields.items():
        setattr(interaction, name, value)
    return interaction


def snapshot_details(snapshot: Snapshot | None) -> dict[str, Any]:
    if snapshot is None:
        return {}
    return {"snapshot": snapshot.pk, "sha256": snapshot.sha256}


def already_done(interaction: Interaction, action: str) -> bool:
    if action == "hide":
        return interaction.hidden_at is not None
    if action == "unhide":
        return interaction.hidden_at is None
    return interaction.deleted_by_us_at is not None


def record_failure(
    interaction: Interaction,
    actor: User,
    request: HttpRequest | None,
    *,
    action: str,
    error: str,
) -> None:
    record_event(
        action="inbox.moderation_failed",
        actor=actor,
        target=interaction,
        details={"action": action, "error": error},
        request=request,
    )


def block(
    *, interaction: Interaction, actor: User, request: HttpRequest | None = None
) -> Author:
    """Block the item's author on the network."""
    return change_author(interaction, actor, request, action="block")


def mute(
    *, interaction: Interaction, actor: User, request: HttpRequest | None = None
) -> Author:
    """Mute the item's author on the network."""
    return change_author(interaction, actor, request, action="mute")


def change_author(
    interaction: Interaction,
    actor: User,
    request: HttpRequest | None,
    *,
    action: str,
) -> Author:
    channel = interaction.channel
    require(channel, action)
    author = interaction.author
    field = "blocked_at" if action == "block" else "muted_at"
    if getattr(author, field) is not None:
        return author
    connector = channel.connector
    call = connector.block if action == "block" else connector.mute
    try:
        call_network(channel, action, lambda: call(author.remote_id))
    except ModerationError as exc:
        record_failure(interaction, actor, request, action=action, error=exc.message)
        raise
    now = timezone.now()
    with transaction.atomic():
        Author.objects.filter(pk=author.pk).update(**{field: now})
        record_event(
            action=EVENTS[action],
            actor=actor,
            target=author,
            details={"interaction": interaction.pk, "handle": author.handle},
            request=request,
        )
    setattr(author, field, now)
    return author
