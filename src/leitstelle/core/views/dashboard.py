"""The start page after login."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from leitstelle.core.models import Unit, User
from leitstelle.core.permissions import Perm, require_perm


@require_perm(Perm.VIEW_DASHBOARD)
def dashboard(request: HttpRequest) -> HttpResponse:
    context = {
        "member_count": User.objects.filter(is_active=True).count(),
        "unit_count": Unit.objects.count(),
    }
    return render(request, "core/dashboard.html", context)
