"""The state an item's workflow panel shows: who may do what, and its timer."""

from __future__ import annotations

from typing import Any

from django import template

from leitstelle.core.permissions import Perm, has_perm
from leitstelle.inbox import service_levels, workflow
from leitstelle.inbox.models import Interaction, InteractionStatus

register = template.Library()


@register.simple_tag(takes_context=True)
def workflow_state(context: template.Context, item: Interaction) -> dict[str, Any]:
    """Return what `_workflow_actions.html` needs about `item`."""
    request = context.get("request")
    user = getattr(request, "user", None)
    can_work = has_perm(user, Perm.WORK_INBOX)
    targets = workflow.TRANSITIONS.get(item.status, frozenset())
    return {
        "can_work": can_work,
        "workers": list(workflow.workers()) if can_work else [],
        "timer": service_levels.timer(item),
        "labels": service_levels.timer_labels(),
        "statuses": [
            (value, label)
            for value, label in InteractionStatus.choices
            if value in targets
        ],
        "can_escalate": InteractionStatus.ESCALATED in targets,
        "can_close": InteractionStatus.CLOSED in targets,
        "can_reopen": item.status
        in (InteractionStatus.CLOSED, InteractionStatus.ANSWERED),
        "mine": user is not None and item.assignee_id == user.pk,
    }
