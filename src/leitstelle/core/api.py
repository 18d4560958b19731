"""`/api/v1` endpoints of the core: who am I, units, users, the audit log.

Every endpoint checks the caller's role with `has_perm`, like the views do,
and changes go through the same services as the UI.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import HttpBearer

from leitstelle.core import services
from leitstelle.core.audit import verify_chain
from leitstelle.core.models import ApiToken, AuditEvent, Role, Unit, User
from leitstelle.core.permissions import Perm, has_perm

LAST_USED_PRECISION = timedelta(minutes=1)

router = Router(tags=["core"])


class ApiTokenAuth(HttpBearer):
    """Accept `Authorization: Bearer <token>` of an active user's live token."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        api_token = (
            ApiToken.objects.select_related("user")
            .filter(
                token_hash=ApiToken.hash_token(token),
                revoked_at__isnull=True,
                user__is_active=True,
            )
            .first()
        )
        if api_token is None:
            return None
        now = timezone.now()
        last_used = api_token.last_used_at
        # At most one write a minute per token, however busy the client.
        if last_used is None or now - last_used >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        return api_token.user


class Message(Schema):
    detail: str


class UnitOut(Schema):
    id: int
    name: str


class UnitIn(Schema):
    name: str = Field(description="Name of the unit or location, e.g. Dresden.")


class MeOut(Schema):
    id: int
    username: str
    name: str
    role: str
    units: list[UnitOut]

    @staticmethod
    def resolve_name(user: User) -> str:
        return user.get_full_name()

    @staticmethod
    def resolve_units(user: User) -> list[Unit]:
        return list(user.units.all())


class UserOut(MeOut):
    email: str
    is_active: bool
    has_two_factor: bool
    last_login: datetime | None


class UserPatch(Schema):
    role: str | None = Field(
        None, json_schema_extra={"enum": Role.values}, description="The new role."
    )
    units: list[int] | None = Field(
        None, description="Ids of all units the user belongs to."
    )
    is_active: bool | None = Field(
        None, description="false deactivates the user and ends their sessions."
    )


class AuditEventOut(Schema):
    sequence: int
    created_at: datetime
    actor: str = Field(alias="actor_label")
    action: str
    object_type: str
    object_id: str
    object_label: str
    details: Any
    address: str | None
    prev_hash: str
    hash: str


class AuditFilters(Schema):
    actor: str = Field("", description="Username of who acted, or system.")
    action: str = Field("", description="Action code, e.g. user.role_changed.")
    object_type: str = Field("", description="Object type, e.g. core.user.")
    date_from: date | None = Field(None, description="First day, inclusive.")
    date_to: date | None = Field(None, description="Last day, inclusive.")
    text: str = Field("", description="Part of the object's label.")
    before: int | None = Field(
        None, description="Only entries older than this sequence number."
    )
    limit: int = Field(50, ge=1, le=500)


class AuditPage(Schema):
    items: list[AuditEventOut]
    next_before: int | None = Field(
        description="Pass as `before` for the next, older page; null at the end."
    )


class ChainOut(Schema):
    ok: bool
    checked: int
    broken_sequence: int | None
    reason: str


def require(request: HttpRequest, perm: Perm) -> None:
    """Refuse with 403 unless the caller's role grants `perm`."""
    if not has_perm(request.auth, perm):  # type: ignore[attr-defined]
        raise HttpError(403, _("Your role does not allow this."))


ERRORS = {400: Message, 401: Message, 403: Message, 404: Message, 409: Message}


@router.get("/me", response={200: MeOut, **ERRORS}, summary="Who am I")
def me(request: HttpRequest) -> User:
    require(request, Perm.VIEW_DASHBOARD)
    return request.auth  # type: ignore[attr-defined,no-any-return]


@router.get("/units", response={200: list[UnitOut], **ERRORS}, summary="List units")
def list_units(request: HttpRequest) -> Any:
    require(request, Perm.VIEW_DASHBOARD)
    return Unit.objects.all()


@router.post("/units", response={201: UnitOut, **ERRORS}, summary="Add a unit")
def create_unit(request: HttpRequest, payload: UnitIn) -> Status[Unit]:
    require(request, Perm.MANAGE_ORGANISATION)
    unit = services.create_unit(actor=request.auth, name=payload.name, request=request)  # type: ignore[attr-defined]
    return Status(201, unit)


@router.get("/users", response=list[UserOut], summary="List users")
@paginate(LimitOffsetPagination)
def list_users(request: HttpRequest) -> Any:
    require(request, Perm.MANAGE_USERS)
    return User.objects.prefetch_related("units").order_by("username")


def _units(ids: list[int]) -> list[Unit]:
    units = list(Unit.objects.filter(pk__in=ids))
    missing = sorted(set(ids) - {unit.pk for unit in units})
    if missing:
        raise HttpError(
            400,
            _("There is no unit with the id(s) %(ids)s.")
            % {"ids": ", ".join(map(str, missing))},
        )
    return units


@router.patch(
    "/users/{user_id}",
    response={200: UserOut, **ERRORS},
    summary="Change a user's role, units or status",
)
def patch_user(request: HttpRequest, user_id: int, payload: UserPatch) -> User:
    require(request, Perm.MANAGE_USERS)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise HttpError(
            404, _("There is no user with the id %(id)s.") % {"id": user_id}
        )
    with transaction.atomic():
        _apply_patch(request, user, payload)
    return user


def _apply_patch(request: HttpRequest, user: User, payload: UserPatch) -> None:
    """Apply all changes of one PATCH, or none when a service refuses."""
    actor = request.auth  # type: ignore[attr-defined]
    if payload.role is not None:
        services.change_role(user=user, actor=actor, role=payload.role, request=request)
    if payload.units is not None:
        services.update_user(
            user=user,
            actor=actor,
            role=user.role,
            units=_units(payload.units),
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email,
            request=request,
        )
    if payload.is_active is not None and payload.is_active != user.is_active:
        toggle = (
            services.activate_user if payload.is_active else services.deactivate_user
        )
        toggle(user=user, actor=actor, request=request)


@router.get("/audit", response={200: AuditPage, **ERRORS}, summary="Read the audit log")
def list_audit(request: HttpRequest, filters: Query[AuditFilters]) -> dict[str, Any]:
    require(request, Perm.VIEW_AUDIT)
    events = services.filter_audit_events(
        **filters.dict(exclude={"before", "limit"}, exclude_none=True)
    )
    if filters.before is not None:
        events = events.filter(sequence__lt=filters.before)
    rows: list[AuditEvent] = list(events[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {"items": rows, "next_before": rows[-1].sequence if more else None}


@router.get(
    "/audit/verify",
    response={200: ChainOut, **ERRORS},
    summary="Check the audit log's hash chain",
)
def verify_audit(request: HttpRequest) -> dict[str, Any]:
    require(request, Perm.VIEW_AUDIT)
    report = verify_chain()
    return {
        "ok": report.ok,
        "checked": report.checked,
        "broken_sequence": report.broken_sequence,
        "reason": report.reason,
    }
