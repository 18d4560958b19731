"""Working the inbox: assignment, statuses, priority, tags, bulk actions.

Statuses move new → open → answered or closed, and aside to waiting or
escalated; nothing goes back to new, and a closed item can only be
reopened. Each function takes many items (one is a list of one), locks
their rows, changes what needs changing and writes one audit event per
item that changed, so the trail of every item is complete.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from leitstelle.core.audit import record_event
from leitstelle.core.permissions import Perm, has_perm
from leitstelle.inbox import service_levels
from leitstelle.inbox.models import Interaction, InteractionStatus

S = InteractionStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.OPEN, S.WAITING, S.ESCALATED, S.ANSWERED, S.CLOSED}),
    S.OPEN: frozenset({S.WAITING, S.ESCALATED, S.ANSWERED, S.CLOSED}),
    S.WAITING: frozenset({S.OPEN, S.ESCALATED, S.ANSWERED, S.CLOSED}),
    S.ESCALATED: frozenset({S.OPEN, S.WAITING, S.ANSWERED, S.CLOSED}),
    S.ANSWERED: frozenset({S.OPEN, S.ESCALATED, S.CLOSED}),
    S.CLOSED: frozenset({S.OPEN}),
}
TAG_LENGTH = 40
MAX_TAGS = 20
MAX_PRIORITY = 100
SPACES = re.compile(r"\s+")


class WorkflowError(ValueError):
    """A change that cannot be made; the message is for the user."""


def allowed(current: str, target: str) -> bool:
    """Return whether an item may move from status `current` to `target`."""
    return target in TRANSITIONS.get(current, frozenset())


def _locked(interactions: Iterable[Interaction]) -> list[Interaction]:
    pks = sorted({item.pk for item in interactions})
    return list(
        Interaction.objects.select_for_update()
        .filter(pk__in=pks)
        .order_by("pk")
        .defer("raw")
    )


def _audit(
    action: str, item: Interaction, actor: Any, request: Any, **details: Any
) -> None:
    record_event(
        action=action, actor=actor, target=item, details=details, request=request
    )


@transaction.atomic
def set_status(
    *,
    interactions: Iterable[Interaction],
    status: str,
    actor: Any,
    request: HttpRequest | None = None,
) -> list[Interaction]:
    """Move each item to `status` where allowed; return the items changed."""
    if status not in S.values:
        raise WorkflowError(_("This status does not exist."))
    table = service_levels.minutes_table()
    changed = []
    for item in _locked(interactions):
        before = item.status
        if not allowed(before, status):
            continue
        item.status = status
        item.response_due_at = service_levels.due_for(item, table)
        item.save(update_fields=["status", "response_due_at", "updated_at"])
        _audit("inbox.status_changed", item, actor, request, before=before, to=status)
        changed.append(item)
    return changed


def open_on_view(
    *, interaction: Interaction, actor: Any, request: HttpRequest | None = None
) -> bool:
    """Mark a new item open when someone who works the inbox opens it."""
    if interaction.status != S.NEW or not has_perm(actor, Perm.WORK_INBOX):
        return False
    changed = set_status(
        interactions=[interaction], status=S.OPEN, actor=actor, request=request
    )
    if changed:
        interaction.status = S.OPEN
    return bool(changed)


def check_assignee(assignee: Any, interactions: list[Interaction]) -> None:
    """Raise unless `assignee` works the inbox and sees every item's channel."""
    from leitstelle.inbox.queries import visible_interactions

    if not (assignee.is_active and has_perm(assignee, Perm.WORK_INBOX)):
        raise WorkflowError(
            _("%(name)s does not work the inbox and cannot be assigned.")
            % {"name": display_name(assignee)}
        )
    pks = [item.pk for item in interactions]
    if visible_interactions(assignee).filter(pk__in=pks).count() != len(pks):
        raise WorkflowError(
            _("%(name)s cannot see the channel of every selected item.")
            % {"name": display_name(assignee)}
        )


@transaction.atomic
def assign(
    *,
    interactions: Iterable[Interaction],
    assignee: Any | None,
    actor: Any,
    request: HttpRequest | None = None,
) -> list[Interaction]:
    """Assign the items to `assignee` (None: to nobody); new items open.

    Return the items changed.
    """
    items = _locked(interactions)
    if assignee is not None:
        check_assignee(assignee, items)
    target = assignee.pk if assignee is not None else None
    changed = []
    for item in items:
        if item.assignee_id == target:
            continue
        before, item.assignee_id = item.assignee_id, target
        fields = ["assignee", "updated_at"]
        if target is not None and item.status == S.NEW:
            item.status = S.OPEN
            fields.append("status")
        item.save(update_fields=fields)
        action = "inbox.assigned" if target else "inbox.unassigned"
        details = {"before": before, "assignee": target, "status": item.status}
        _audit(action, item, actor, request, **details)
        changed.append(item)
    return changed


@transaction.atomic
def set_priority(
    *,
    interactions: Iterable[Interaction],
    priority: int,
    actor: Any,
    request: HttpRequest | None = None,
) -> list[Interaction]:
    """Set the items' priority and move their due times with it."""
    if not 0 <= priority <= MAX_PRIORITY:
        raise WorkflowError(_("The priority must lie between 0 and 100."))
    table = service_levels.minutes_table()
    changed = []
    for item in _locked(interactions):
        if item.priority == priority:
            continue
        before, item.priority = item.priority, priority
        item.response_due_at = service_levels.due_for(item, table)
        item.save(update_fields=["priority", "response_due_at", "updated_at"])
        _audit(
            "inbox.priority_changed", item, actor, request, before=before, to=priority
        )
        changed.append(item)
    return changed


def clean_tag(value: str) -> str:
    """Return a tag as stored: trimmed, single-spaced, lower case, short."""
    tag = SPACES.sub(" ", str(value).replace("\x00", "")).strip().lower()
    if not tag:
        raise WorkflowError(_("Enter a tag."))
    if len(tag) > TAG_LENGTH:
        raise WorkflowError(
            _("Keep a tag under %(limit)s characters.") % {"limit": TAG_LENGTH}
        )
    return tag


@transaction.atomic
def tag(
    *,
    interactions: Iterable[Interaction],
    tag: str,
    actor: Any,
    request: HttpRequest | None = None,
) -> list[Interaction]:
    """Add `tag` to each item that lacks it; return the items changed."""
    value = clean_tag(tag)
    changed = []
    for item in _locked(interactions):
        tags = list(item.tags or [])
        if value in tags:
            continue
        if len(tags) >= MAX_TAGS:
            raise WorkflowError(
                _("An item has at most %(limit)s tags.") % {"limit": MAX_TAGS}
            )
        item.tags = [*tags, value]
        item.save(update_fields=["tags", "updated_at"])
        _audit("inbox.tagged", item, actor, request, tag=value)
        changed.append(item)
    return changed


@transaction.atomic
def untag(
    *,
    interactions: Iterable[Interaction],
    tag: str,
    actor: Any,
    request: HttpRequest | None = None,
) -> list[Interaction]:
    """Remove `tag` from each item that has it; return the items changed."""
    value = clean_tag(tag)
    changed = []
    for item in _locked(interactions):
        if value not in (item.tags or []):
            continue
        item.tags = [t for t in item.tags if t != value]
        item.save(update_fields=["tags", "updated_at"])
        _audit("inbox.untagged", item, actor, request, tag=value)
        changed.append(item)
    return changed


@dataclass
class BulkResult:
    """What a bulk action did: items changed, and why others were not."""

    changed: int = 0
    errors: list[str] = field(default_factory=list)


BULK_ACTIONS = ("assign", "close", "status", "tag", "untag", "priority", "hide")


def bulk(
    *,
    action: str,
    interactions: list[Interaction],
    actor: Any,
    value: str = "",
    request: HttpRequest | None = None,
) -> BulkResult:
    """Run one of `BULK_ACTIONS` on the selected items.

    `value` is the assignee's id ("" for nobody), the status, the tag or the
    priority. Hiding goes item by item through the moderation module, which
    preserves a snapshot first and may fail for one item but not another.
    """
    if action == "hide":
        return _bulk_hide(interactions, actor, request)
    common = {"interactions": interactions, "actor": actor, "request": request}
    if action == "assign":
        changed = assign(assignee=user_or_none(value), **common)
    elif action == "close":
        changed = set_status(status=S.CLOSED, **common)
    elif action == "status":
        changed = set_status(status=value, **common)
    elif action == "tag":
        changed = tag(tag=value, **common)
    elif action == "untag":
        changed = untag(tag=value, **common)
    elif action == "priority":
        changed = set_priority(priority=to_int(value), **common)
    else:
        raise WorkflowError(_("This action does not exist."))
    return BulkResult(changed=len(changed))


def _bulk_hide(
    interactions: list[Interaction], actor: Any, request: HttpRequest | None
) -> BulkResult:
    # Imported here: moderation talks to networks and imports much more.
    from leitstelle.inbox import moderation

    result = BulkResult()
    for item in interactions:
        if item.hidden_at:
            continue
        try:
            moderation.hide(interaction=item, actor=actor, request=request)
        except moderation.ModerationError as exc:
            result.errors.append(
                _("Item %(pk)s was not hidden: %(reason)s")
                % {"pk": item.pk, "reason": exc}
            )
        else:
            result.changed += 1
    return result


def user_or_none(value: str) -> Any | None:
    if not value:
        return None
    user = get_user_model().objects.filter(pk=to_int(value)).first()
    if user is None:
        raise WorkflowError(_("This person does not exist."))
    return user


def to_int(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise WorkflowError(_("Enter a whole number.")) from None


def display_name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def workers() -> Any:
    """Return the active people who may be assigned items, by name."""
    from leitstelle.core.models import Role

    return (
        get_user_model()
        .objects.filter(is_active=True, role__in=[Role.ADMIN, Role.COMMUNITY])
        .order_by("first_name", "last_name", "username")
    )
