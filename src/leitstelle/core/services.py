"""Administration workflows: organisation, units, invitations and users.

Views and the API call these functions; each one is atomic, raises
`ServiceError` when it refuses, and writes its audit entry.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from leitstelle.core.audit import record_event
from leitstelle.core.models import (
    AuditEvent,
    Invitation,
    Organisation,
    Role,
    TwoFactorPolicy,
    Unit,
    User,
)

INVITATION_VALID_FOR = timedelta(days=7)
LOGO_MAX_BYTES = 1024 * 1024
UNIT_NAME_MAX_LENGTH = Unit._meta.get_field("name").max_length
# SVG is left out on purpose: it can carry script.
LOGO_SIGNATURES: tuple[tuple[str, bytes, int], ...] = (
    ("png", b"\x89PNG\r\n\x1a\n", 0),
    ("jpg", b"\xff\xd8\xff", 0),
    ("webp", b"WEBP", 8),
)


class ServiceError(Exception):
    """A workflow refused to run; `message` tells the user why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConflictError(ServiceError):
    """The request is valid but clashes with the current state."""


def _change(before: Any, after: Any) -> dict[str, Any]:
    return {"before": before, "after": after}


def _changes(obj: Any, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set `values` on `obj`; return the fields that changed, before/after."""
    changed = {}
    for field, value in values.items():
        before = getattr(obj, field)
        if before != value:
            changed[field] = _change(before, value)
            setattr(obj, field, value)
    return changed


# Organisation


@transaction.atomic
def update_organisation(
    *,
    organisation: Organisation,
    actor: User,
    name: str,
    two_factor_policy: str,
    request: HttpRequest | None = None,
) -> Organisation:
    """Rename the organisation and set who needs a second factor."""
    name = name.strip()
    if not name:
        raise ServiceError(_("The organisation needs a name."))
    if two_factor_policy not in TwoFactorPolicy.values:
        raise ServiceError(_("Choose who must log in with a second factor."))
    changed = _changes(
        organisation, {"name": name, "two_factor_policy": two_factor_policy}
    )
    if changed:
        organisation.save()
        record_event(
            action="organisation.updated",
            actor=actor,
            target=organisation,
            details=changed,
            request=request,
        )
    return organisation


def logo_extension(file: File) -> str | None:
    """Return the extension matching the file's signature, None if unknown."""
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    for extension, signature, offset in LOGO_SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if extension == "webp" and not head.startswith(b"RIFF"):
                continue
            return extension
    return None


@transaction.atomic
def set_logo(
    *,
    organisation: Organisation,
    actor: User,
    file: File,
    request: HttpRequest | None = None,
) -> Organisation:
    """Store a PNG, JPEG or WebP file of at most 1 MB as the logo."""
    if file.size is None or file.size > LOGO_MAX_BYTES:
        raise ServiceError(_("The logo may be at most 1 MB."))
    extension = logo_extension(file)
    if extension is None:
        raise ServiceError(_("The logo must be a PNG, JPEG or WebP image."))
    old_name = organisation.logo.name
    organisation.logo.save(f"logo-{secrets.token_hex(4)}.{extension}", file, save=False)
    organisation.save()
    if old_name:
        _delete_file_on_commit(organisation, old_name)
    record_event(
        action="organisation.logo_changed",
        actor=actor,
        target=organisation,
        details={"logo": _change(old_name, organisation.logo.name), "size": file.size},
        request=request,
    )
    return organisation


@transaction.atomic
def remove_logo(
    *,
    organisation: Organisation,
    actor: User,
    request: HttpRequest | None = None,
) -> Organisation:
    """Remove the logo; the product's name is shown instead."""
    old_name = organisation.logo.name
    if not old_name:
        raise ServiceError(_("There is no logo to remove."))
    organisation.logo = ""
    organisation.save()
    _delete_file_on_commit(organisation, old_name)
    record_event(
        action="organisation.logo_removed",
        actor=actor,
        target=organisation,
        details={"logo": _change(old_name, "")},
        request=request,
    )
    return organisation


def _delete_file_on_commit(organisation: Organisation, name: str) -> None:
    storage = organisation.logo.storage
    transaction.on_commit(lambda: storage.delete(name))


# Units


def _clean_unit_name(name: str, *, unit: Unit | None = None) -> str:
    name = name.strip()
    if not name:
        raise ServiceError(_("The unit needs a name."))
    if len(name) > UNIT_NAME_MAX_LENGTH:
        raise ServiceError(
            _("A unit name may have at most %(count)d characters.")
            % {"count": UNIT_NAME_MAX_LENGTH}
        )
    others = Unit.objects.exclude(pk=unit.pk) if unit else Unit.objects.all()
    if others.filter(name__iexact=name).exists():
        raise ConflictError(
            _("A unit named “%(name)s” exists already.") % {"name": name}
        )
    return name


def _save_unit(unit: Unit) -> None:
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError:
        raise ConflictError(
            _("A unit named “%(name)s” exists already.") % {"name": unit.name}
        ) from None


@transaction.atomic
def create_unit(*, actor: User, name: str, request: HttpRequest | None = None) -> Unit:
    """Add a unit or location such as "Dresden"."""
    unit = Unit(name=_clean_unit_name(name))
    _save_unit(unit)
    record_event(
        action="unit.created",
        actor=actor,
        target=unit,
        details={"name": unit.name},
        request=request,
    )
    return unit


@transaction.atomic
def rename_unit(
    *, unit: Unit, actor: User, name: str, request: HttpRequest | None = None
) -> Unit:
    """Give a unit a new name."""
    changed = _changes(unit, {"name": _clean_unit_name(name, unit=unit)})
    if changed:
        _save_unit(unit)
        record_event(
            action="unit.renamed",
            actor=actor,
            target=unit,
            details=changed,
            request=request,
        )
    return unit


@transaction.atomic
def delete_unit(*, unit: Unit, actor: User, request: HttpRequest | None = None) -> None:
    """Delete a unit nobody belongs to and no open invitation names."""
    members = unit.members.count()
    if members:
        raise ConflictError(
            _(
                "“%(name)s” still has %(count)d member(s). "
                "Assign them to other units first."
            )
            % {"name": unit.name, "count": members}
        )
    if open_invitations().filter(units=unit).exists():
        raise ConflictError(
            _(
                "An open invitation names “%(name)s”. "
                "Revoke it first or wait until it has been accepted."
            )
            % {"name": unit.name}
        )
    record_event(
        action="unit.deleted",
        actor=actor,
        target=unit,
        details={"name": unit.name},
        request=request,
    )
    unit.delete()


# Invitations


def open_invitations() -> QuerySet[Invitation]:
    """Return invitations that can still be accepted."""
    return Invitation.objects.filter(
        accepted_by__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def invitation_link(token: str) -> str:
    """Return the full link that accepts the invitation with `token`."""
    return settings.BASE_URL + reverse("core:accept_invitation", args=[token])


def _clean_role(role: str) -> str:
    if role not in Role.values:
        raise ServiceError(_("“%(role)s” is not a role.") % {"role": role})
    return role


def _clean_email(email: str, *, user: User | None = None) -> str:
    email = email.strip()
    others = User.objects.exclude(pk=user.pk) if user else User.objects.all()
    if email and others.filter(email__iexact=email).exists():
        raise ConflictError(
            _("Another user already has the e-mail address %(email)s.")
            % {"email": email}
        )
    return email


@transaction.atomic
def create_invitation(
    *,
    actor: User,
    role: str,
    units: Iterable[Unit],
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    request: HttpRequest | None = None,
) -> tuple[Invitation, str]:
    """Create a one-time invitation; return it and its secret token.

    Only the token's hash is stored: the link can be shown once.
    """
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        token_hash=Invitation.hash_token(token),
        email=_clean_email(email),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=_clean_role(role),
        created_by=actor,
        expires_at=timezone.now() + INVITATION_VALID_FOR,
    )
    units = list(units)
    invitation.units.set(units)
    record_event(
        action="user.invited",
        actor=actor,
        target=invitation,
        details={
            "email": invitation.email,
            "role": invitation.role,
            "units": sorted(unit.name for unit in units),
            "expires_at": invitation.expires_at,
        },
        request=request,
    )
    return invitation, token


@transaction.atomic
def revoke_invitation(
    *, invitation: Invitation, actor: User, request: HttpRequest | None = None
) -> Invitation:
    """Make an open invitation's link useless."""
    # Lock the row: accepting the invitation at the same moment locks it too.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_by_id is not None:
        raise ConflictError(_("This invitation has been accepted already."))
    if invitation.revoked_at is not None:
        raise ConflictError(_("This invitation has been revoked already."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    record_event(
        action="user.invitation_revoked",
        actor=actor,
        target=invitation,
        details={"email": invitation.email, "role": invitation.role},
        request=request,
    )
    return invitation


# Users


def _other_active_admins(user: User) -> int:
    # Locking the admin rows makes two concurrent demotions queue up.
    admins = User.objects.select_for_update().filter(role=Role.ADMIN, is_active=True)
    return len([pk for pk in admins.values_list("pk", flat=True) if pk != user.pk])


def _ensure_not_last_admin(user: User) -> None:
    if user.role == Role.ADMIN and user.is_active and not _other_active_admins(user):
        raise ConflictError(
            _("%(user)s is the last active admin. Make someone else an admin first.")
            % {"user": user.get_username()}
        )


@transaction.atomic
def change_role(
    *, user: User, actor: User, role: str, request: HttpRequest | None = None
) -> User:
    """Give `user` another role; the last active admin keeps theirs."""
    role = _clean_role(role)
    if role == user.role:
        return user
    if role != Role.ADMIN:
        _ensure_not_last_admin(user)
    changed = _changes(user, {"role": role})
    user.save(update_fields=["role"])
    record_event(
        action="user.role_changed",
        actor=actor,
        target=user,
        details=changed,
        request=request,
    )
    return user


@transaction.atomic
def update_user(
    *,
    user: User,
    actor: User,
    role: str,
    units: Iterable[Unit],
    first_name: str,
    last_name: str,
    email: str,
    request: HttpRequest | None = None,
) -> User:
    """Change a user's names, e-mail address, units and role."""
    change_role(user=user, actor=actor, role=role, request=request)
    changed = _changes(
        user,
        {
            "first_name": first_name.strip(),
            "last_name": last_name.strip(),
            "email": _clean_email(email, user=user),
        },
    )
    units = list(units)
    before_units = sorted(unit.name for unit in user.units.all())
    after_units = sorted(unit.name for unit in units)
    if before_units != after_units:
        user.units.set(units)
        changed["units"] = _change(before_units, after_units)
    if changed:
        user.save(update_fields=["first_name", "last_name", "email"])
        record_event(
            action="user.updated",
            actor=actor,
            target=user,
            details=changed,
            request=request,
        )
    return user


@transaction.atomic
def deactivate_user(
    *, user: User, actor: User, request: HttpRequest | None = None
) -> User:
    """Lock a user out and end their sessions; their history stays."""
    if user.pk == actor.pk:
        raise ConflictError(_("You cannot deactivate yourself."))
    if not user.is_active:
        raise ConflictError(_("%(user)s is inactive already.") % {"user": user})
    _ensure_not_last_admin(user)
    user.is_active = False
    user.session_epoch += 1
    user.save(update_fields=["is_active", "session_epoch"])
    record_event(
        action="user.deactivated",
        actor=actor,
        target=user,
        details={"is_active": _change(True, False)},
        request=request,
    )
    return user


@transaction.atomic
def activate_user(
    *, user: User, actor: User, request: HttpRequest | None = None
) -> User:
    """Let a deactivated user log in again."""
    if user.is_active:
        raise ConflictError(_("%(user)s is active already.") % {"user": user})
    user.is_active = True
    user.save(update_fields=["is_active"])
    record_event(
        action="user.activated",
        actor=actor,
        target=user,
        details={"is_active": _change(False, True)},
        request=request,
    )
    return user


@transaction.atomic
def reset_two_factor(
    *, user: User, actor: User, request: HttpRequest | None = None
) -> User:
    """Forget the user's second factor and end their sessions.

    They set up a new one at their next login.
    """
    if not (user.totp_secret or user.has_two_factor):
        raise ConflictError(
            _("%(user)s has no second factor to reset.") % {"user": user}
        )
    user.totp_secret = ""
    user.totp_confirmed_at = None
    user.totp_last_counter = 0
    user.session_epoch += 1
    user.save(
        update_fields=[
            "totp_secret",
            "totp_confirmed_at",
            "totp_last_counter",
            "session_epoch",
        ]
    )
    record_event(
        action="user.two_factor_reset",
        actor=actor,
        target=user,
        details={"two_factor": _change(True, False)},
        request=request,
    )
    return user


# Audit log queries


def filter_audit_events(
    *,
    actor: str = "",
    action: str = "",
    object_type: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    text: str = "",
) -> QuerySet[AuditEvent]:
    """Return audit entries matching the filters, newest first.

    Dates are calendar days in the server's time zone, both inclusive.
    """
    events = AuditEvent.objects.order_by("-sequence")
    if actor:
        events = events.filter(actor_label__iexact=actor.strip())
    if action:
        events = events.filter(action=action)
    if object_type:
        events = events.filter(object_type=object_type)
    if date_from:
        events = events.filter(created_at__gte=_start_of(date_from))
    if date_to:
        events = events.filter(created_at__lt=_start_of(date_to + timedelta(days=1)))
    if text:
        events = events.filter(object_label__icontains=text.strip())
    return events


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
