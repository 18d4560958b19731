"""The publishing rules: approvals per post type, who approves, the watch list."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from leitstelle.core.permissions import Perm, require_perm
from leitstelle.publishing import services
from leitstelle.publishing.forms import PublishingSettingsForm
from leitstelle.publishing.models import PublishingSettings

PAGE = "publishing/settings.html"


@require_perm(Perm.MANAGE_ORGANISATION)
@require_http_methods(["GET", "HEAD", "POST"])
def publishing_settings(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = PublishingSettingsForm.from_settings(PublishingSettings.current())
        return render(request, PAGE, {"form": form})
    form = PublishingSettingsForm(request.POST)
    if form.is_valid():
        try:
            services.update_settings(
                actor=request.user,  # type: ignore[arg-type]
                approvals_required=form.approvals(),
                approver_roles=form.cleaned_data["approver_roles"],
                watch_words=form.cleaned_data["watch_words"],
                request=request,
            )
        except services.PublishingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The publishing rules have been saved."))
            return redirect("publishing:settings")
    return render(request, PAGE, {"form": form})
