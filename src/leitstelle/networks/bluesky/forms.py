"""Connect a Bluesky account: handle or DID, and an app password."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from leitstelle.networks.base import AuthExpired, ConnectorError, ContentRejected
from leitstelle.networks.bluesky import client


class ConnectForm(forms.Form):
    identifier = forms.CharField(
        label=_("Handle or DID"),
        max_length=253,
        help_text=_("For example polizei-teststadt.bsky.social or did:plc:…"),
    )
    app_password = forms.CharField(
        label=_("App password"),
        max_length=100,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Create one in Bluesky under Settings → Privacy and security → App "
            "passwords. Never enter the account's own password here."
        ),
    )

    def clean(self) -> dict[str, Any]:
        """Find the account's server and log in there."""
        data = super().clean()
        if self.errors:
            return data
        identifier = data["identifier"].strip().removeprefix("@").lower()
        try:
            data["did"], data["pds_url"] = client.resolve_account(identifier)
            data["session"] = client.log_in(
                data["pds_url"], data["did"], data["app_password"]
            )
        except ContentRejected:
            self.add_error(
                "identifier",
                _("No Bluesky account %(name)s was found.") % {"name": identifier},
            )
        except AuthExpired:
            self.add_error(
                "app_password", _("Bluesky did not accept this app password.")
            )
        except ConnectorError as exc:
            raise forms.ValidationError(exc.message, code="unavailable") from None
        return data

    def channel_data(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Keep the session and, to log in again once it has ended, the app password."""
        data = self.cleaned_data
        return {"did": data["did"], "pds_url": data["pds_url"]}, {
            "session": data["session"],
            "identifier": data["did"],
            "app_password": data["app_password"],
        }
