"""Connect a Facebook page: its id and a long-lived page access token."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

NUMERIC_ID = RegexValidator(r"^\d{1,25}$", _("Enter the numeric id, digits only."))
NO_SPACES = RegexValidator(r"^\S+$", _("A token contains no spaces."))


def secret_field(
    label: Any, help_text: Any, *, required: bool = True
) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=1000,
        required=required,
        validators=[NO_SPACES],
        widget=forms.PasswordInput(render_value=False),
        help_text=help_text,
    )


class ConnectForm(forms.Form):
    page_id = forms.CharField(
        label=_("Page id"),
        max_length=25,
        validators=[NUMERIC_ID],
        help_text=_(
            "Shown on the page under About → Page transparency, "
            "or in the Graph API Explorer."
        ),
    )
    access_token = secret_field(
        _("Page access token"),
        _(
            "A long-lived page token of a Meta app with pages_manage_posts, "
            "pages_read_engagement, pages_read_user_content and "
            "pages_manage_engagement."
        ),
    )
    app_token = secret_field(
        _("App access token (optional)"),
        _(
            "The app's token (app id|app secret). With it Leitstelle reads when the "
            "page token expires and warns in time; it is stored encrypted."
        ),
        required=False,
    )

    def channel_data(self) -> tuple[dict[str, Any], dict[str, Any]]:
        data = self.cleaned_data
        credentials = {"access_token": data["access_token"]}
        if data["app_token"]:
            credentials["app_token"] = data["app_token"]
        return {"page_id": data["page_id"]}, credentials
