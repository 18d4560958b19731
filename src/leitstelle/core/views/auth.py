"""Login with password and second factor, its setup, logout, invitations."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from leitstelle.core import authentication
from leitstelle.core.authentication import (
    PENDING_LOGIN_KEY,
    InvalidCode,
    InvitationUnusable,
    LoginRefused,
)
from leitstelle.core.forms.auth import CodeForm, InvitationAcceptForm, LoginForm
from leitstelle.core.models import Organisation, User

# Set at login and removed at logout, so the login page can tell a session
# that ended by itself from a visitor who never logged in.
SESSION_MARKER_COOKIE = "leitstelle_had_session"


def safe_next(request: HttpRequest, url: str) -> str:
    """Return `url` if it stays on this site, else an empty string."""
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and allowed else ""


def forget_session_marker(response: HttpResponse) -> HttpResponse:
    response.delete_cookie(SESSION_MARKER_COOKIE, samesite="Lax")
    return response


def _logged_in(request: HttpRequest, next_url: str) -> HttpResponse:
    response = redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    response.set_cookie(
        SESSION_MARKER_COOKIE,
        "1",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _continue_login(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    """Ask for the second factor, or its setup, or log in right away."""
    if user.has_two_factor:
        authentication.start_pending_login(
            request=request, user=user, next_url=next_url
        )
        return redirect("core:login_code")
    if user.requires_two_factor(Organisation.current()):
        authentication.start_pending_login(
            request=request, user=user, next_url=next_url
        )
        return redirect("core:two_factor_setup")
    authentication.complete_login(request=request, user=user)
    return _logged_in(request, next_url)


def _restart_login(request: HttpRequest, had_pending: bool) -> HttpResponse:
    if had_pending:
        message = _(
            "Your login took longer than %(minutes)d minutes. "
            "Enter your username and password again."
        )
        minutes = authentication.PENDING_LOGIN_SECONDS // 60
        messages.error(request, message % {"minutes": minutes})
    return redirect("core:login")


def _announce_session_end(request: HttpRequest) -> bool:
    if not request.COOKIES.get(SESSION_MARKER_COOKIE):
        return False
    messages.info(
        request,
        _(
            "Your session has ended. Sessions end after %(minutes)d minutes of "
            "inactivity. Please log in again."
        )
        % {"minutes": settings.SESSION_IDLE_MINUTES},
    )
    return True


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_password(request: HttpRequest) -> HttpResponse:
    next_param = request.POST.get("next") or request.GET.get("next", "")
    if request.user.is_authenticated:
        return redirect(safe_next(request, next_param) or settings.LOGIN_REDIRECT_URL)
    form = LoginForm(request.POST or None, initial={"next": next_param})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = authentication.check_password(
                username=data["username"], password=data["password"], request=request
            )
        except LoginRefused as exc:
            form.add_error(None, str(exc))
        else:
            return _continue_login(request, user, safe_next(request, data["next"]))
    ended = request.method == "GET" and _announce_session_end(request)
    response = render(request, "core/auth/login.html", {"form": form})
    return forget_session_marker(response) if ended else response


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    had_pending = PENDING_LOGIN_KEY in request.session
    pending = authentication.pending_login(request)
    if pending is None:
        return _restart_login(request, had_pending)
    user, next_url = pending
    if not user.has_two_factor:
        return redirect("core:two_factor_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            authentication.check_login_code(
                user=user, code=form.cleaned_data["code"], request=request
            )
        except LoginRefused as exc:
            form.add_error("code", str(exc))
        else:
            authentication.complete_login(request=request, user=user)
            return _logged_in(request, next_url)
    return render(request, "core/auth/login_code.html", {"form": form})


def _setup_page(
    request: HttpRequest, user: User, form: Form, pending: bool
) -> HttpResponse:
    secret = authentication.totp_setup_secret(request=request, user=user)
    svg = authentication.totp_qr_svg(
        user=user, secret=secret, title=_("QR code for your authenticator app")
    )
    context = {
        "form": form,
        "pending": pending,
        "required": user.requires_two_factor(Organisation.current()),
        # segno builds the markup from the otpauth URI and escapes the title;
        # nothing typed by a user ends up as markup.
        "qr_svg": mark_safe(svg),  # noqa: S308
        "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return render(request, "core/auth/two_factor_setup.html", context)


def _setup_while_logged_in(request: HttpRequest) -> HttpResponse:
    user = request.user
    next_url = safe_next(request, request.GET.get("next", ""))
    if user.has_two_factor:
        messages.info(
            request, _("Two-factor login is already set up for your account.")
        )
        return redirect(next_url or "core:account")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        secret = authentication.totp_setup_secret(request=request, user=user)
        try:
            authentication.enable_two_factor(
                user=user,
                secret=secret,
                code=form.cleaned_data["code"],
                request=request,
            )
        except InvalidCode:
            form.add_error("code", authentication.invalid_code_message())
        else:
            messages.success(request, _("Two-factor login is set up."))
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return _setup_page(request, user, form, pending=False)


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return _setup_while_logged_in(request)
    had_pending = PENDING_LOGIN_KEY in request.session
    pending = authentication.pending_login(request)
    if pending is None:
        return _restart_login(request, had_pending)
    user, next_url = pending
    if user.has_two_factor:
        return redirect("core:login_code")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            authentication.confirm_two_factor_login(
                request=request, user=user, code=form.cleaned_data["code"]
            )
        except LoginRefused as exc:
            form.add_error("code", str(exc))
        else:
            messages.success(request, _("Two-factor login is set up. Welcome!"))
            return _logged_in(request, next_url)
    return _setup_page(request, user, form, pending=True)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    authentication.log_out(request=request)
    messages.info(request, _("You are logged out."))
    return forget_session_marker(redirect("core:login"))


def _invitation_unusable(request: HttpRequest, reason: str) -> HttpResponse:
    status = 404 if reason == "unknown" else 410
    return render(
        request, "core/auth/invitation_unusable.html", {"reason": reason}, status=status
    )


def _add_errors(form: Form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@never_cache
@sensitive_post_parameters("password", "password_repeat")
@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    if request.user.is_authenticated:
        return render(request, "core/auth/invitation_logged_in.html")
    try:
        invitation = authentication.find_invitation(token=token)
    except InvitationUnusable as exc:
        return _invitation_unusable(request, exc.reason)
    initial = {"first_name": invitation.first_name, "last_name": invitation.last_name}
    form = InvitationAcceptForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = ("username", "password", "first_name", "last_name")
        try:
            user = authentication.accept_invitation(
                token=token,
                request=request,
                **{key: form.cleaned_data[key] for key in fields},
            )
        except InvitationUnusable as exc:
            return _invitation_unusable(request, exc.reason)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Welcome! Your account is ready."))
            return _continue_login(request, user, "")
    context = {
        "form": form,
        "invitation": invitation,
        "two_factor_required": User(role=invitation.role).requires_two_factor(
            Organisation.current()
        ),
    }
    return render(request, "core/auth/invitation_accept.html", context)
