"""The team: users, their roles and units, and invitations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django_htmx.middleware import HtmxDetails

from leitstelle.core import authentication, services
from leitstelle.core.forms.admin import InviteForm, UserFilterForm, UserForm
from leitstelle.core.models import Invitation, User
from leitstelle.core.permissions import Perm, require_perm

USERS_PER_PAGE = 25
LIST = "core/users/list.html"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def filtered_users(form: UserFilterForm) -> QuerySet[User]:
    """Return the users matching the valid parts of the filter form."""
    users = User.objects.prefetch_related("units").order_by("username")
    form.is_valid()
    filters = getattr(form, "cleaned_data", {})
    if filters.get("role"):
        users = users.filter(role=filters["role"])
    if filters.get("unit"):
        users = users.filter(units=filters["unit"])
    if filters.get("active"):
        users = users.filter(is_active=filters["active"] == "yes")
    return users


@require_perm(Perm.MANAGE_USERS)
@require_safe
def user_list(request: HtmxHttpRequest) -> HttpResponse:
    filters = UserFilterForm(request.GET)
    page = Paginator(filtered_users(filters), USERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    if request.htmx:
        return render(request, f"{LIST}#results", {"filters": filters, "page": page})
    invitations = (
        services.open_invitations()
        .select_related("created_by")
        .prefetch_related("units")
    )
    context = {"filters": filters, "page": page, "invitations": invitations}
    return render(request, LIST, context)


@require_perm(Perm.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
@never_cache
def invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            invitation, token = services.create_invitation(
                actor=request.user, request=request, **form.cleaned_data
            )
        except services.ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            # The token is not stored: this response is the only place
            # the link ever appears.
            context = {
                "invitation": invitation,
                "link": services.invitation_link(token),
            }
            return render(request, "core/users/invited.html", context)
    return render(request, "core/users/invite.html", {"form": form})


@require_perm(Perm.MANAGE_USERS)
@require_POST
def revoke_invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    try:
        services.revoke_invitation(
            invitation=invitation, actor=request.user, request=request
        )
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The invitation has been revoked."))
    return redirect("core:users")


def _user_form(user: User) -> UserForm:
    return UserForm(
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "role": user.role,
            "units": list(user.units.all()),
        }
    )


@require_perm(Perm.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    if request.method != "POST":
        form = _user_form(user)
    else:
        form = UserForm(request.POST)
        if form.is_valid() and _confirmed_role_change(request, user, form):
            data = {
                k: v for k, v in form.cleaned_data.items() if k != "current_password"
            }
            try:
                services.update_user(
                    user=user, actor=request.user, request=request, **data
                )
            except services.ServiceError as exc:
                user.refresh_from_db()
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The changes have been saved."))
                return redirect("core:user_edit", user_id=user.pk)
    return render(request, "core/users/edit.html", {"member": user, "form": form})


def _confirmed_role_change(request: HttpRequest, user: User, form: UserForm) -> bool:
    """Ask for the actor's password before a role changes ("sudo mode")."""
    if form.cleaned_data["role"] == user.role:
        return True
    password = form.cleaned_data["current_password"]
    if not password:
        form.add_error("current_password", _("Enter your password to change the role."))
        return False
    try:
        authentication.confirm_password(
            user=request.user, password=password, request=request
        )
    except authentication.WrongPassword:
        form.add_error("current_password", _("The password is not correct."))
        return False
    except authentication.LoginRefused as exc:
        form.add_error("current_password", str(exc))
        return False
    return True


def _user_action(
    service: Callable[..., Any], success: str | Promise
) -> Callable[[HttpRequest, int], HttpResponse]:
    """Return a POST-only view that runs `service` on one user."""

    @require_perm(Perm.MANAGE_USERS)
    @require_POST
    def view(request: HttpRequest, user_id: int) -> HttpResponse:
        user = get_object_or_404(User, pk=user_id)
        try:
            service(user=user, actor=request.user, request=request)
        except services.ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, success % {"user": user})
        return redirect("core:user_edit", user_id=user.pk)

    return view


user_deactivate = _user_action(
    services.deactivate_user,
    gettext_lazy("%(user)s has been deactivated and logged out everywhere."),
)
user_activate = _user_action(
    services.activate_user, gettext_lazy("%(user)s can log in again.")
)
user_reset_two_factor = _user_action(
    services.reset_two_factor,
    gettext_lazy(
        "The second factor of %(user)s has been reset. "
        "They set up a new one at their next login."
    ),
)
