"""What each role may do, enforced in every view and API call.

The inbox: every role may read it (VIEW_INBOX), limited to the channels the
user sees. Working it (WORK_INBOX: reply, hide, assign, internal notes) is
for community managers and admins only; approvers, editors and analysts
read along.

| role      | VIEW_INBOX | WORK_INBOX |
|-----------|------------|------------|
| admin     | yes        | yes        |
| approver  | yes        | no         |
| editor    | yes        | no         |
| community | yes        | yes        |
| analyst   | yes        | no         |

Publishing: everyone reads posts and the calendar (VIEW_POSTS); editors and
approvers write them (COMPOSE_POSTS); approvers and admins approve
(APPROVE_POSTS), never their own post (enforced in publishing.services).

| role      | VIEW_POSTS | COMPOSE_POSTS | APPROVE_POSTS |
|-----------|------------|---------------|---------------|
| admin     | yes        | yes           | yes           |
| approver  | yes        | yes           | yes           |
| editor    | yes        | yes           | no            |
| community | yes        | no            | no            |
| analyst   | yes        | no            | no            |
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from leitstelle.core.models import Role


class Perm(StrEnum):
    VIEW_DASHBOARD = "view_dashboard"
    MANAGE_ORGANISATION = "manage_organisation"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    EXPORT_AUDIT = "export_audit"
    VIEW_CHANNELS = "view_channels"
    MANAGE_CHANNELS = "manage_channels"
    USE_EXERCISE_NETWORK = "use_exercise_network"
    VIEW_INBOX = "view_inbox"
    WORK_INBOX = "work_inbox"
    VIEW_POSTS = "view_posts"
    COMPOSE_POSTS = "compose_posts"
    APPROVE_POSTS = "approve_posts"


ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.APPROVER: frozenset(
        {
            Perm.VIEW_DASHBOARD,
            Perm.VIEW_CHANNELS,
            Perm.USE_EXERCISE_NETWORK,
            Perm.VIEW_INBOX,
            Perm.VIEW_POSTS,
            Perm.COMPOSE_POSTS,
            Perm.APPROVE_POSTS,
        }
    ),
    Role.EDITOR: frozenset(
        {
            Perm.VIEW_DASHBOARD,
            Perm.VIEW_CHANNELS,
            Perm.USE_EXERCISE_NETWORK,
            Perm.VIEW_INBOX,
            Perm.VIEW_POSTS,
            Perm.COMPOSE_POSTS,
        }
    ),
    Role.COMMUNITY: frozenset(
        {
            Perm.VIEW_DASHBOARD,
            Perm.VIEW_CHANNELS,
            Perm.USE_EXERCISE_NETWORK,
            Perm.VIEW_INBOX,
            Perm.WORK_INBOX,
            Perm.VIEW_POSTS,
        }
    ),
    Role.ANALYST: frozenset(
        {
            Perm.VIEW_DASHBOARD,
            Perm.VIEW_CHANNELS,
            Perm.USE_EXERCISE_NETWORK,
            Perm.VIEW_INBOX,
            Perm.VIEW_POSTS,
        }
    ),
}


def has_perm(user: Any, perm: Perm) -> bool:
    """Return whether an active, logged-in user's role grants `perm`."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return perm in ROLE_PERMISSIONS.get(user.role, frozenset())


def require_perm(perm: Perm) -> Callable:
    """Decorate a view: log in first, then 403 unless the role grants `perm`."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_perm(request.user, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
