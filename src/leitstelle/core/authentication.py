"""Log members in with password and TOTP, lock out guessers, issue API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import pyotp
import segno
from django.conf import settings
from django.contrib.auth import authenticate, login, logout, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from leitstelle.core.audit import client_address, record_event
from leitstelle.core.middleware import SESSION_EPOCH_KEY
from leitstelle.core.models import (
    ApiToken,
    Invitation,
    LoginAttempt,
    Organisation,
    User,
)

PENDING_LOGIN_KEY = "leitstelle_pending_login"
TOTP_SETUP_KEY = "leitstelle_totp_setup"
PENDING_LOGIN_SECONDS = 5 * 60
TOKEN_PREFIX = "lst_"  # noqa: S105 (a marker, not a secret)


class LoginRefused(Exception):
    """The login attempt failed; `reason` goes into the audit log."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class InvalidCode(Exception):
    """The one-time code is wrong, outdated or was used before."""


class WrongPassword(Exception):
    """The password given to confirm a sensitive change is wrong."""


class TwoFactorRequired(Exception):
    """The policy requires a second factor, so it cannot be switched off."""


class InvitationUnusable(Exception):
    """The invitation is unknown, expired, used or revoked (`reason`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def lockout_message() -> str:
    return _(
        "Too many failed login attempts. For your protection, login is locked "
        "for %(minutes)d minutes. Try again later or ask an administrator."
    ) % {"minutes": settings.LOGIN_LOCKOUT_MINUTES}


def invalid_credentials_message() -> str:
    return _("The username or password is not correct.")


def invalid_code_message() -> str:
    return _("The code is not correct. Enter the code your app shows right now.")


def _user_failures(username: str, since: datetime) -> int:
    """Count failures for `username` since its last successful login."""
    attempts = LoginAttempt.objects.filter(
        username__iexact=username, created_at__gte=since
    )
    last_success = attempts.filter(success=True).aggregate(last=Max("created_at"))[
        "last"
    ]
    failures = attempts.filter(success=False)
    if last_success is not None:
        failures = failures.filter(created_at__gt=last_success)
    return failures.count()


def _lockout_scopes(username: str, address: str | None) -> list[str]:
    """Return which limits ("user", "address") are reached right now."""
    since = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    scopes = []
    if _user_failures(username, since) >= settings.LOGIN_MAX_FAILURES_PER_USER:
        scopes.append("user")
    if address is not None:
        failures = LoginAttempt.objects.recent_failures(settings.LOGIN_LOCKOUT_MINUTES)
        if (
            failures.filter(address=address).count()
            >= settings.LOGIN_MAX_FAILURES_PER_ADDRESS
        ):
            scopes.append("address")
    return scopes


def is_locked_out(*, username: str, request: HttpRequest | None) -> bool:
    """Return whether logins for `username` or from this client are locked."""
    return bool(_lockout_scopes(username, client_address(request)))


def _audit_failure(*, username: str, reason: str, request: HttpRequest | None) -> None:
    label = username[:200] or "-"
    record_event(
        action="user.login_failed",
        actor_label=label,
        details={"reason": reason},
        request=request,
    )


def record_failure(*, username: str, reason: str, request: HttpRequest | None) -> bool:
    """Count a failed attempt, audit it and any lockout it causes.

    Return whether logins for `username` or from this client are now locked.
    """
    address = client_address(request)
    before = _lockout_scopes(username, address)
    LoginAttempt.objects.create(username=username[:150], address=address, success=False)
    _audit_failure(username=username, reason=reason, request=request)
    after = _lockout_scopes(username, address)
    if new_scopes := [scope for scope in after if scope not in before]:
        record_event(
            action="user.locked_out",
            actor_label=username[:200] or "-",
            details={"scopes": new_scopes, "minutes": settings.LOGIN_LOCKOUT_MINUTES},
            request=request,
        )
    return bool(after)


def _refuse_if_locked(*, username: str, request: HttpRequest | None) -> None:
    if is_locked_out(username=username, request=request):
        _audit_failure(username=username, reason="locked", request=request)
        raise LoginRefused(lockout_message(), reason="locked")


def _is_inactive_user(username: str, password: str) -> bool:
    user = User.objects.filter(username=username, is_active=False).first()
    return user is not None and user.check_password(password)


def check_password(
    *, username: str, password: str, request: HttpRequest | None
) -> User:
    """Return the active user with these credentials or raise LoginRefused."""
    _refuse_if_locked(username=username, request=request)
    user = authenticate(request, username=username, password=password)
    if user is None:
        reason = "inactive" if _is_inactive_user(username, password) else "password"
        if record_failure(username=username, reason=reason, request=request):
            raise LoginRefused(lockout_message(), reason="locked")
        raise LoginRefused(invalid_credentials_message(), reason=reason)
    return user


def _matching_counter(secret: str, code: str) -> int | None:
    """Return the time step whose code is `code` (one step of clock drift)."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(timezone.now())
    for counter in (now - 1, now, now + 1):
        if secrets.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def verify_totp(*, user: User, code: str) -> bool:
    """Check `code` against the user's secret, refusing any code used before."""
    if not user.totp_secret:
        return False
    counter = _matching_counter(user.totp_secret, code)
    if counter is None:
        return False
    # A conditional UPDATE claims the time step, so a replayed code fails
    # even when two requests race.
    claimed = User.objects.filter(pk=user.pk, totp_last_counter__lt=counter).update(
        totp_last_counter=counter
    )
    if claimed:
        user.totp_last_counter = counter
    return bool(claimed)


def check_login_code(*, user: User, code: str, request: HttpRequest | None) -> None:
    """Accept the second factor of a pending login or raise LoginRefused."""
    _refuse_if_locked(username=user.username, request=request)
    if not verify_totp(user=user, code=code):
        if record_failure(username=user.username, reason="code", request=request):
            raise LoginRefused(lockout_message(), reason="locked")
        raise LoginRefused(invalid_code_message(), reason="code")


def start_pending_login(*, request: HttpRequest, user: User, next_url: str) -> None:
    """Remember that the password was right; the second factor comes next."""
    request.session.cycle_key()
    request.session[PENDING_LOGIN_KEY] = {
        "user_id": user.pk,
        "started": timezone.now().timestamp(),
        "next": next_url,
    }


def pending_login(request: HttpRequest) -> tuple[User, str] | None:
    """Return the user and target of a pending login still within its time."""
    data = request.session.get(PENDING_LOGIN_KEY)
    if not data:
        return None
    if timezone.now().timestamp() - data["started"] > PENDING_LOGIN_SECONDS:
        del request.session[PENDING_LOGIN_KEY]
        return None
    user = User.objects.filter(pk=data["user_id"], is_active=True).first()
    return (user, data["next"]) if user is not None else None


def complete_login(*, request: HttpRequest, user: User) -> None:
    """Log the user in after every required factor was given."""
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_EPOCH_KEY] = user.session_epoch
    request.session.pop(PENDING_LOGIN_KEY, None)
    request.session.pop(TOTP_SETUP_KEY, None)
    LoginAttempt.objects.create(
        username=user.username, address=client_address(request), success=True
    )
    record_event(
        action="user.login",
        actor=user,
        details={"two_factor": user.has_two_factor},
        request=request,
    )


def log_out(*, request: HttpRequest) -> None:
    """End this session."""
    if request.user.is_authenticated:
        record_event(action="user.logout", request=request)
    logout(request)


def log_out_everywhere(*, request: HttpRequest) -> None:
    """End every session of the current user, this one included."""
    user = request.user
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
        user.refresh_from_db(fields=["session_epoch"])
        record_event(
            action="user.logout_everywhere", actor=user, target=user, request=request
        )
    logout(request)


def totp_setup_secret(*, request: HttpRequest, user: User) -> str:
    """Return the secret offered to `user`, kept in the session until confirmed."""
    data = request.session.get(TOTP_SETUP_KEY)
    if not data or data["user_id"] != user.pk:
        data = {"user_id": user.pk, "secret": pyotp.random_base32()}
        request.session[TOTP_SETUP_KEY] = data
    return data["secret"]


def totp_qr_svg(*, user: User, secret: str, title: str) -> str:
    """Return the QR code of the otpauth:// URI as SVG without any style."""
    issuer = Organisation.current().name or "Leitstelle"
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=user.get_username(), issuer_name=issuer
    )
    qr = segno.make(uri, error="m")
    return qr.svg_inline(omitsize=True, svgclass="qr", lineclass=None, title=title)


def enable_two_factor(
    *, user: User, secret: str, code: str, request: HttpRequest
) -> None:
    """Store the secret once the user proved it works with a current code."""
    counter = _matching_counter(secret, code)
    if counter is None:
        raise InvalidCode
    user.totp_secret = secret
    user.totp_confirmed_at = timezone.now()
    user.totp_last_counter = counter
    user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_counter"])
    request.session.pop(TOTP_SETUP_KEY, None)
    record_event(
        action="user.two_factor_enabled", actor=user, target=user, request=request
    )


def confirm_two_factor_login(*, request: HttpRequest, user: User, code: str) -> None:
    """Finish a pending login by confirming a newly set-up second factor."""
    _refuse_if_locked(username=user.username, request=request)
    secret = totp_setup_secret(request=request, user=user)
    try:
        enable_two_factor(user=user, secret=secret, code=code, request=request)
    except InvalidCode:
        if record_failure(username=user.username, reason="code", request=request):
            raise LoginRefused(lockout_message(), reason="locked") from None
        raise LoginRefused(invalid_code_message(), reason="code") from None
    complete_login(request=request, user=user)


def disable_two_factor(*, user: User, code: str, request: HttpRequest) -> None:
    """Switch the second factor off, where the policy allows it."""
    if user.requires_two_factor(Organisation.current()):
        raise TwoFactorRequired
    if not verify_totp(user=user, code=code):
        raise InvalidCode
    user.totp_secret = ""
    user.totp_confirmed_at = None
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    record_event(
        action="user.two_factor_disabled", actor=user, target=user, request=request
    )


def confirm_password(*, user: User, password: str, request: HttpRequest | None) -> None:
    """Check the password before a sensitive change ("sudo mode")."""
    _refuse_if_locked(username=user.username, request=request)
    if not user.check_password(password):
        LoginAttempt.objects.create(
            username=user.username, address=client_address(request), success=False
        )
        record_event(
            action="user.password_confirmation_failed", actor=user, request=request
        )
        raise WrongPassword


def create_api_token(
    *, user: User, name: str, password: str, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """Create a personal API token; return it with the only copy of its value."""
    confirm_password(user=user, password=password, request=request)
    value = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, token_hash=ApiToken.hash_token(value), prefix=value[:8]
    )
    record_event(
        action="api_token.created",
        actor=user,
        target=token,
        details={"name": name, "prefix": token.prefix},
        request=request,
    )
    return token, value


def revoke_api_token(
    *, token: ApiToken, actor: User, request: HttpRequest | None = None
) -> None:
    """Make the token unusable from now on."""
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(
        action="api_token.revoked",
        actor=actor,
        target=token,
        details={"name": token.name, "prefix": token.prefix},
        request=request,
    )


def _unusable_reason(invitation: Invitation | None) -> str | None:
    if invitation is None:
        return "unknown"
    if invitation.accepted_by_id is not None:
        return "used"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= timezone.now():
        return "expired"
    return None


def find_invitation(*, token: str) -> Invitation:
    """Return the usable invitation for `token` or raise InvitationUnusable."""
    invitation = Invitation.objects.filter(
        token_hash=Invitation.hash_token(token)
    ).first()
    reason = _unusable_reason(invitation)
    if reason is not None:
        raise InvitationUnusable(reason)
    return invitation


def _validate_new_user(user: User, password: str) -> None:
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if User.objects.filter(username__iexact=user.username).exists():
        errors["username"] = [_("This username is taken. Choose another one.")]
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)


def _create_member(invitation: Invitation, password: str, **names: str) -> User:
    user = User(email=invitation.email, role=invitation.role, **names)
    _validate_new_user(user, password)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Another request took the username since the check above.
        taken = _("This username is taken. Choose another one.")
        raise ValidationError({"username": [taken]}) from None
    user.units.set(invitation.units.all())
    return user


def accept_invitation(
    *,
    token: str,
    username: str,
    password: str,
    first_name: str,
    last_name: str,
    request: HttpRequest | None = None,
) -> User:
    """Create the invited member's account; raise ValidationError on bad input."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(token_hash=Invitation.hash_token(token))
            .first()
        )
        if (reason := _unusable_reason(invitation)) is not None:
            raise InvitationUnusable(reason)
        user = _create_member(
            invitation,
            password,
            username=username,
            first_name=first_name,
            last_name=last_name,
        )
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_by"])
        record_event(
            action="user.invitation_accepted",
            actor=user,
            target=user,
            details={
                "invitation": invitation.pk,
                "role": user.role,
                "units": [unit.name for unit in user.units.all()],
            },
            request=request,
        )
    return user
