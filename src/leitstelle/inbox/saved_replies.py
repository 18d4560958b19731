"""Saved replies (Textbausteine): add, change and delete them, audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from leitstelle.core.audit import record_event
from leitstelle.core.models import User
from leitstelle.inbox.models import SavedReply


@transaction.atomic
def add_saved_reply(
    *,
    title: str,
    language: str,
    text: str,
    actor: User | None,
    actor_label: str = "",
    request: HttpRequest | None = None,
) -> SavedReply:
    """Add one language version of a saved reply."""
    saved = SavedReply.objects.create(
        title=title, language=language, text=text, created_by=actor
    )
    record_event(
        action="inbox.saved_reply_created",
        actor=actor,
        actor_label=actor_label,
        target=saved,
        details={"title": title, "language": language},
        request=request,
    )
    return saved


@transaction.atomic
def change_saved_reply(
    *,
    saved: SavedReply,
    changes: dict[str, Any],
    actor: User,
    request: HttpRequest | None = None,
) -> SavedReply:
    """Change title, language or text; records which of them changed."""
    changed = sorted(k for k, v in changes.items() if getattr(saved, k) != v)
    for field, value in changes.items():
        setattr(saved, field, value)
    saved.save()
    record_event(
        action="inbox.saved_reply_changed",
        actor=actor,
        target=saved,
        details={"changed": changed},
        request=request,
    )
    return saved


@transaction.atomic
def delete_saved_reply(
    *, saved: SavedReply, actor: User, request: HttpRequest | None = None
) -> None:
    """Delete a saved reply; replies sent with it keep their text."""
    record_event(
        action="inbox.saved_reply_deleted",
        actor=actor,
        target=saved,
        details={"title": saved.title, "language": saved.language},
        request=request,
    )
    saved.delete()
