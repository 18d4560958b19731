"""The organisation page: name, second-factor policy, logo and units."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from leitstelle.core import services
from leitstelle.core.forms.admin import LogoForm, OrganisationForm, UnitForm
from leitstelle.core.models import Organisation, Unit
from leitstelle.core.permissions import Perm, require_perm

PAGE = "core/organisation/page.html"
# The settings form has a "name" field, too; ids must stay unique.
UNIT_FORM_IDS = "id_unit_%s"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _settings_form(organisation: Organisation) -> OrganisationForm:
    return OrganisationForm(
        initial={
            "name": organisation.name,
            "two_factor_policy": organisation.two_factor_policy,
        }
    )


def _page(
    request: HttpRequest,
    *,
    form: OrganisationForm | None = None,
    logo_form: LogoForm | None = None,
    unit_form: UnitForm | None = None,
    partial: bool = False,
    units_notice: str = "",
    units_error: str = "",
) -> HttpResponse:
    """Render the page, or only its units section for htmx."""
    organisation = Organisation.current()
    context = {
        "form": form or _settings_form(organisation),
        "logo_form": logo_form or LogoForm(),
        "unit_form": unit_form or UnitForm(auto_id=UNIT_FORM_IDS),
        "units": Unit.objects.annotate(member_count=Count("members")),
        "units_notice": units_notice,
        "units_error": units_error,
    }
    return render(request, f"{PAGE}#units" if partial else PAGE, context)


@require_perm(Perm.MANAGE_ORGANISATION)
@require_http_methods(["GET", "POST"])
def organisation(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    form = OrganisationForm(request.POST)
    if form.is_valid():
        try:
            services.update_organisation(
                organisation=Organisation.current(),
                actor=request.user,
                request=request,
                **form.cleaned_data,
            )
        except services.ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The organisation has been saved."))
            return redirect("core:organisation")
    return _page(request, form=form)


@require_perm(Perm.MANAGE_ORGANISATION)
@require_POST
def logo(request: HttpRequest) -> HttpResponse:
    if "remove" in request.POST:
        return _remove_logo(request)
    form = LogoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.set_logo(
                organisation=Organisation.current(),
                actor=request.user,
                file=form.cleaned_data["logo"],
                request=request,
            )
        except services.ServiceError as exc:
            form.add_error("logo", exc.message)
        else:
            messages.success(request, _("The new logo has been saved."))
            return redirect("core:organisation")
    return _page(request, logo_form=form)


def _remove_logo(request: HttpRequest) -> HttpResponse:
    try:
        services.remove_logo(
            organisation=Organisation.current(), actor=request.user, request=request
        )
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The logo has been removed."))
    return redirect("core:organisation")


@require_perm(Perm.MANAGE_ORGANISATION)
@require_POST
def unit_create(request: HtmxHttpRequest) -> HttpResponse:
    form = UnitForm(request.POST, auto_id=UNIT_FORM_IDS)
    if form.is_valid():
        try:
            unit = services.create_unit(
                actor=request.user, name=form.cleaned_data["name"], request=request
            )
        except services.ServiceError as exc:
            form.add_error("name", exc.message)
        else:
            notice = _("“%(name)s” has been added.") % {"name": unit.name}
            if request.htmx:
                return _page(request, partial=True, units_notice=notice)
            messages.success(request, notice)
            return redirect("core:organisation")
    return _page(request, unit_form=form, partial=bool(request.htmx))


@require_perm(Perm.MANAGE_ORGANISATION)
@require_http_methods(["GET", "POST"])
def unit_edit(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = get_object_or_404(Unit, pk=unit_id)
    data = request.POST if request.method == "POST" else None
    form = UnitForm(data, initial={"name": unit.name})
    if request.method == "POST" and form.is_valid():
        old_name = unit.name
        try:
            services.rename_unit(
                unit=unit,
                actor=request.user,
                name=form.cleaned_data["name"],
                request=request,
            )
        except services.ServiceError as exc:
            unit.name = old_name
            form.add_error("name", exc.message)
        else:
            messages.success(request, _("The unit has been renamed."))
            return redirect("core:organisation")
    return render(
        request, "core/organisation/unit_edit.html", {"unit": unit, "form": form}
    )


@require_perm(Perm.MANAGE_ORGANISATION)
@require_POST
def unit_delete(request: HtmxHttpRequest, unit_id: int) -> HttpResponse:
    unit = get_object_or_404(Unit, pk=unit_id)
    name = unit.name
    try:
        services.delete_unit(unit=unit, actor=request.user, request=request)
    except services.ServiceError as exc:
        if request.htmx:
            return _page(request, partial=True, units_error=exc.message)
        messages.error(request, exc.message)
    else:
        notice = _("“%(name)s” has been deleted.") % {"name": name}
        if request.htmx:
            return _page(request, partial=True, units_notice=notice)
        messages.success(request, notice)
    return redirect("core:organisation")
