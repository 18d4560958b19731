"""Channel workflows: connect, re-authorise, restrict, pause, check, disconnect.

Views, tasks and commands call these functions. Each one raises
`ChannelError` (or `ChannelConflict`) with a plain message when it refuses,
and writes its audit entry. Calls to a network happen outside database
transactions: a slow network must not hold the database's write lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from leitstelle.core.audit import record_event
from leitstelle.core.models import Unit, User
from leitstelle.core.services import ConflictError, ServiceError
from leitstelle.lib import crypto
from leitstelle.lib.crypto import DecryptionError
from leitstelle.networks.base import Account, AuthExpired, ConnectorError
from leitstelle.networks.models import Channel, ChannelStatus

logger = logging.getLogger(__name__)

# Health checks run every 15 minutes; these states wait for an admin.
WAITING_FOR_ADMIN = (ChannelStatus.PAUSED, ChannelStatus.NEEDS_REAUTH)
# Credentials this close to their expiry are shown to admins.
EXPIRY_WARNING = timedelta(days=7)
# What a connector may renew while it verifies (a session, an expiry).
REFRESHABLE = ("credentials_encrypted", "credentials_expire_at", "config")
URL_MAX_LENGTH = Channel._meta.get_field("avatar_url").max_length
STATUS_FIELDS = [
    "status",
    "rate_limited_until",
    "last_error",
    "last_error_at",
    "failure_count",
]


class ChannelError(ServiceError):
    """A channel workflow refused to run; `message` says why."""


class ChannelConflict(ConflictError):
    """The account is already connected, or is another account."""


def verify_account(*, channel: Channel) -> Account:
    """Ask the network who the channel's credentials belong to."""
    try:
        return channel.connector.verify()
    except ConnectorError as exc:
        raise ChannelError(exc.message) from None
    except DecryptionError:
        raise ChannelError(
            _("The stored credentials cannot be decrypted. Connect the channel again.")
        ) from None
    except Exception as exc:
        raise ChannelError(_unexpected(channel, exc)) from None


def ensure_not_connected(*, kind: str, account: Account) -> None:
    existing = Channel.objects.filter(kind=kind, remote_id=account.remote_id).first()
    if existing is not None:
        raise ChannelConflict(
            _("This account (%(handle)s) is already connected as “%(name)s”.")
            % {"handle": account.handle, "name": existing.name}
        )


def _access_details(units: Iterable[Unit], users: Iterable[User]) -> dict[str, Any]:
    return {
        "units": sorted(unit.name for unit in units),
        "users": sorted(user.get_username() for user in users),
    }


def _apply_account(channel: Channel, account: Account) -> None:
    """Copy who the account is; cut names to fit, drop overlong URLs."""
    channel.remote_id = account.remote_id
    channel.handle = account.handle[:200]
    channel.display_name = account.display_name[:200]
    channel.avatar_url = _fitting_url(account.avatar_url)
    channel.profile_url = _fitting_url(account.profile_url)


def _fitting_url(url: str) -> str:
    return url if len(url) <= URL_MAX_LENGTH else ""


def _expiry(account: Account, given: datetime | None) -> datetime | None:
    value = given or account.extra.get("credentials_expire_at") or None
    if isinstance(value, str):
        value = parse_datetime(value)
    return value


def connect_channel(
    *,
    actor: User,
    kind: str,
    name: str,
    config: dict[str, Any],
    credentials: dict[str, Any],
    account: Account,
    units: Iterable[Unit] = (),
    users: Iterable[User] = (),
    credentials_expire_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> Channel:
    """Save a verified account as a channel with its encrypted credentials."""
    name = name.strip() or account.display_name or account.handle
    units, users = list(units), list(users)
    channel = Channel(kind=kind, name=name, config=config, created_by=actor)
    channel.set_credentials(credentials)
    channel.credentials_expire_at = _expiry(account, credentials_expire_at)
    _apply_account(channel, account)
    try:
        with transaction.atomic():
            ensure_not_connected(kind=kind, account=account)
            channel.save()
            channel.units.set(units)
            channel.users.set(users)
            record_event(
                action="channel.connected",
                actor=actor,
                target=channel,
                details={
                    "kind": kind,
                    "handle": account.handle,
                    "remote_id": account.remote_id,
                    **_access_details(units, users),
                },
                request=request,
            )
    except IntegrityError:
        # Another admin saved the same account a moment earlier.
        ensure_not_connected(kind=kind, account=account)
        raise
    return channel


def reauthorise_channel(
    *,
    channel: Channel,
    actor: User,
    credentials: dict[str, Any],
    config: dict[str, Any] | None = None,
    credentials_expire_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> Channel:
    """Replace the credentials after checking they are the same account's."""
    candidate = Channel(
        kind=channel.kind,
        name=channel.name,
        config=channel.config if config is None else config,
    )
    candidate.set_credentials(credentials)
    account = verify_account(channel=candidate)
    if account.remote_id != channel.remote_id:
        raise ChannelConflict(
            _(
                "These credentials belong to %(other)s, not to %(handle)s. "
                "Connect that account as a new channel instead."
            )
            % {"other": account.handle, "handle": channel.handle}
        )
    with transaction.atomic():
        before = channel.status
        channel.config = candidate.config
        channel.credentials_encrypted = candidate.credentials_encrypted
        channel.credentials_expire_at = _expiry(
            account, credentials_expire_at or candidate.credentials_expire_at
        )
        _apply_account(channel, account)
        _reset_health(channel)
        channel.save()
        record_event(
            action="channel.reauthorised",
            actor=actor,
            target=channel,
            details={"status_before": before},
            request=request,
        )
    return channel


def _reset_health(channel: Channel) -> None:
    channel.status = ChannelStatus.ACTIVE
    channel.failure_count = 0
    channel.rate_limited_until = None


@transaction.atomic
def update_channel_access(
    *,
    channel: Channel,
    actor: User,
    units: Iterable[Unit],
    users: Iterable[User],
    request: HttpRequest | None = None,
) -> Channel:
    """Restrict the channel to `units` and `users` (none: everyone sees it)."""
    units, users = list(units), list(users)
    before = _access_details(channel.units.all(), channel.users.all())
    after = _access_details(units, users)
    if before == after:
        return channel
    channel.units.set(units)
    channel.users.set(users)
    record_event(
        action="channel.access_changed",
        actor=actor,
        target=channel,
        details={"before": before, "after": after},
        request=request,
    )
    return channel


@transaction.atomic
def pause_channel(
    *, channel: Channel, actor: User, request: HttpRequest | None = None
) -> Channel:
    """Stop every call to the network until an admin resumes the channel."""
    if channel.status == ChannelStatus.PAUSED:
        raise ChannelError(_("The channel is already paused."))
    before = channel.status
    channel.status = ChannelStatus.PAUSED
    channel.save(update_fields=["status"])
    record_event(
        action="channel.paused",
        actor=actor,
        target=channel,
        details={"reason": "manual", "status_before": before},
        request=request,
    )
    return channel


@transaction.atomic
def resume_channel(
    *, channel: Channel, actor: User, request: HttpRequest | None = None
) -> Channel:
    """Let a paused channel talk to its network again."""
    if channel.status != ChannelStatus.PAUSED:
        raise ChannelError(_("Only a paused channel can be resumed."))
    _reset_health(channel)
    channel.save(update_fields=["status", "failure_count", "rate_limited_until"])
    record_event(action="channel.resumed", actor=actor, target=channel, request=request)
    return channel


@transaction.atomic
def disconnect_channel(
    *, channel: Channel, actor: User, request: HttpRequest | None = None
) -> None:
    """Delete the channel together with its credentials.

    A channel whose comments are kept as records (inbox items) is not deleted:
    pausing it stops all traffic and keeps the history.
    """
    record_event(
        action="channel.disconnected",
        actor=actor,
        target=channel,
        details={"kind": channel.kind, "handle": channel.handle},
        request=request,
    )
    try:
        with transaction.atomic():
            channel.delete()
    except ProtectedError:
        raise ChannelError(
            _(
                "This channel cannot be removed because its comments and messages"
                " are kept as records. Pause it instead to stop all traffic."
            )
        ) from None


def record_channel_error(*, channel: Channel, error: ConnectorError) -> Channel:
    """Note a network error on the channel; audit when it needs an admin.

    Updates `channel` in place, from the row as it is in the database.
    """
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        before = locked.status
        locked.record_error(error)
        locked.save(update_fields=STATUS_FIELDS)
        if locked.status != before and locked.status in WAITING_FOR_ADMIN:
            record_event(
                action=f"channel.{locked.status}",
                target=locked,
                details={
                    "error": error.message,
                    "error_type": type(error).__name__,
                    "failures": locked.failure_count,
                    "status_before": before,
                },
            )
    for field in STATUS_FIELDS:
        setattr(channel, field, getattr(locked, field))
    return channel


def is_due_for_check(channel: Channel, now: datetime | None = None) -> bool:
    """Return whether a health check may call the network now."""
    if channel.status in WAITING_FOR_ADMIN:
        return False
    until = channel.rate_limited_until
    return until is None or until <= (now or timezone.now())


def channels_due_for_health_check(now: datetime | None = None) -> QuerySet[Channel]:
    now = now or timezone.now()
    return Channel.objects.exclude(status__in=WAITING_FOR_ADMIN).filter(
        Q(rate_limited_until__isnull=True) | Q(rate_limited_until__lte=now)
    )


def check_channel_health(*, channel: Channel) -> bool:
    """Make one cheap call to the network; return whether it was made.

    Paused channels and those waiting for re-authorisation are not called,
    nor rate-limited ones before their time.
    """
    if not is_due_for_check(channel):
        return False
    before = _refreshable(channel)
    error = _verify_error(channel)
    if error is None:
        _record_healthy(channel, before=before)
    else:
        record_channel_error(channel=channel, error=error)
    return True


def _verify_error(channel: Channel) -> ConnectorError | None:
    """Call the network's verify; return what went wrong as a ConnectorError."""
    try:
        channel.connector.verify()
    except ConnectorError as exc:
        return exc
    except DecryptionError:
        return AuthExpired(
            _("The stored credentials cannot be decrypted: the key is missing.")
        )
    except Exception as exc:
        return ConnectorError(_unexpected(channel, exc))
    return None


def _unexpected(channel: Channel, exc: Exception) -> str:
    """Log an unexpected error and return its plain message.

    Its text may quote a URL that carries a token: only its type is used.
    """
    name = type(exc).__name__
    logger.error("%s channel %s: unexpected %s", channel.kind, channel.pk, name)
    return (
        _("The network answered in a way Leitstelle does not understand (%s).") % name
    )


def _refreshable(channel: Channel) -> dict[str, Any]:
    return {field: deepcopy(getattr(channel, field)) for field in REFRESHABLE}


def _record_healthy(channel: Channel, *, before: dict[str, Any]) -> None:
    """Mark the channel active; keep what the connector refreshed.

    A connector may renew a session token or learn a new expiry while it
    verifies; only fields it changed are written, so that a concurrent
    re-authorisation is not overwritten with the old credentials.
    """
    _reset_health(channel)
    changed = [f for f, value in _refreshable(channel).items() if before[f] != value]
    channel.save(
        update_fields=["status", "failure_count", "rate_limited_until", *changed]
    )


def channels_needing_attention(now: datetime | None = None) -> QuerySet[Channel]:
    """Return channels an admin must act on: paused, revoked or expiring."""
    now = now or timezone.now()
    return Channel.objects.filter(
        Q(status__in=WAITING_FOR_ADMIN)
        | Q(credentials_expire_at__lte=now + EXPIRY_WARNING)
    )


@dataclass(frozen=True)
class RotationReport:
    rotated: int
    total: int
    unreadable: tuple[str, ...] = ()
    stopped: bool = False


def rotate_channel_keys(
    *,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> RotationReport:
    """Re-encrypt every channel's credentials with the newest key.

    One channel at a time, each in its own transaction, so that a stop in
    between leaves every row readable; the audit entry counts what was done.
    """
    channel_ids = list(
        Channel.objects.exclude(credentials_encrypted="").values_list("pk", flat=True)
    )
    rotated, unreadable, stopped = 0, [], False
    for done, channel_id in enumerate(channel_ids, start=1):
        if should_stop():
            stopped = True
            break
        name = _rotate_one(channel_id)
        if name is None:
            rotated += 1
        elif name:
            unreadable.append(name)
        on_progress(done, len(channel_ids))
    report = RotationReport(rotated, len(channel_ids), tuple(unreadable), stopped)
    record_event(
        action="channels.keys_rotated",
        details={
            "rotated": report.rotated,
            "total": report.total,
            "unreadable": list(report.unreadable),
            "stopped": report.stopped,
        },
    )
    return report


def _rotate_one(channel_id: int) -> str | None:
    """Rotate one row; return None when done, its name when unreadable."""
    with transaction.atomic():
        channel = Channel.objects.select_for_update().filter(pk=channel_id).first()
        if channel is None or not channel.credentials_encrypted:
            return ""
        try:
            token = crypto.rotate(channel.credentials_encrypted)
        except InvalidToken:
            return channel.name
        Channel.objects.filter(pk=channel_id).update(credentials_encrypted=token)
    return None
