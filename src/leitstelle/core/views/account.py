"""The member's own account: second factor, sessions and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from leitstelle.core import authentication
from leitstelle.core.authentication import (
    InvalidCode,
    LoginRefused,
    TwoFactorRequired,
    WrongPassword,
)
from leitstelle.core.forms.auth import ApiTokenForm, TwoFactorOffForm
from leitstelle.core.models import ApiToken, Organisation
from leitstelle.core.views.auth import forget_session_marker

DISABLE_PREFIX = "disable"


def _account_page(
    request: HttpRequest,
    *,
    token_form: Form | None = None,
    disable_form: Form | None = None,
) -> HttpResponse:
    user = request.user
    context = {
        "units": user.units.all(),
        "two_factor_required": user.requires_two_factor(Organisation.current()),
        "tokens": user.api_tokens.filter(revoked_at__isnull=True),
        "token_form": token_form or ApiTokenForm(),
        "disable_form": disable_form or TwoFactorOffForm(prefix=DISABLE_PREFIX),
        "session_idle_minutes": settings.SESSION_IDLE_MINUTES,
    }
    return render(request, "core/account/account.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """Show the account; a POST switches the second factor off."""
    form = TwoFactorOffForm(request.POST or None, prefix=DISABLE_PREFIX)
    if request.method == "POST" and form.is_valid():
        try:
            authentication.disable_two_factor(
                user=request.user, code=form.cleaned_data["code"], request=request
            )
        except TwoFactorRequired:
            messages.error(
                request, _("Your role requires two-factor login; it stays on.")
            )
            return redirect("core:account")
        except InvalidCode:
            form.add_error("code", authentication.invalid_code_message())
        else:
            messages.success(request, _("Two-factor login is switched off."))
            return redirect("core:account")
    return _account_page(
        request, disable_form=form if request.method == "POST" else None
    )


@login_required
@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    authentication.log_out_everywhere(request=request)
    messages.success(
        request,
        _("You are logged out on all devices and browsers. Log in again to continue."),
    )
    return forget_session_marker(redirect("core:login"))


@never_cache
@login_required
@sensitive_post_parameters("password")
@require_POST
def create_api_token(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, value = authentication.create_api_token(
                user=request.user,
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password"],
                request=request,
            )
        except WrongPassword:
            form.add_error("password", _("The password is not correct."))
        except LoginRefused as exc:
            form.add_error("password", str(exc))
        else:
            context = {"token": token, "value": value}
            return render(request, "core/account/api_token_created.html", context)
    return _account_page(request, token_form=form)


@login_required
@require_POST
def revoke_api_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(
        ApiToken, pk=token_id, user=request.user, revoked_at__isnull=True
    )
    authentication.revoke_api_token(token=token, actor=request.user, request=request)
    messages.success(
        request,
        _("The token “%(name)s” is revoked and no longer works.")
        % {"name": token.name},
    )
    return redirect("core:account")
