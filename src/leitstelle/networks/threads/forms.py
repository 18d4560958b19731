"""Connect a Threads profile with an access token."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from leitstelle.networks.facebook.forms import secret_field


class ConnectForm(forms.Form):
    """A long-lived Threads user token; the profile is read from it.

    Threads fetches images to publish from Leitstelle, so
    LEITSTELLE_BASE_URL must be reachable from the internet.
    """

    access_token = secret_field(
        _("Threads access token"),
        _(
            "A long-lived token (60 days) of a Meta app with threads_basic, "
            "threads_content_publish, threads_read_replies, threads_manage_replies "
            "and threads_manage_insights; threads_keyword_search for search."
        ),
    )

    def channel_data(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return {}, {"access_token": self.cleaned_data["access_token"]}
