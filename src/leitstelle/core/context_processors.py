"""Template context shared by every page of the UI shell."""

from __future__ import annotations

from django.http import HttpRequest

from leitstelle.core.models import Organisation
from leitstelle.core.navigation import alerts_for, links_for


def shell(request: HttpRequest) -> dict[str, object]:
    return {
        "organisation": Organisation.current(),
        "navigation": links_for(request.user, request.path),
        "alert_urls": alerts_for(request.user),
    }
