"""Template helpers for channels: the admins' alert and avatar initials."""

from __future__ import annotations

from typing import Any

from django import template

from leitstelle.core.permissions import Perm, has_perm
from leitstelle.networks import registry, services

register = template.Library()


@register.inclusion_tag("networks/_alerts.html", takes_context=True)
def channel_alerts(context: template.Context) -> dict[str, Any]:
    """Show admins the channels that need them: paused, revoked, expiring."""
    user = context.get("user")
    if not has_perm(user, Perm.MANAGE_CHANNELS):
        return {"channels": []}
    return {"channels": list(services.channels_needing_attention())}


@register.filter
def initials(name: str) -> str:
    """Return up to two initials, shown instead of a remote avatar."""
    words = [word for word in str(name).replace("@", " ").split() if word[:1].isalnum()]
    return "".join(word[0] for word in words[:2]).upper() or "?"


@register.filter
def kind_label(kind: str) -> str:
    return registry.LABELS.get(kind, kind)
