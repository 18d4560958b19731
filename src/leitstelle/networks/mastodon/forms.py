"""Connect a Mastodon account: its instance, then a token or OAuth."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from leitstelle.networks.base import ConnectorError
from leitstelle.networks.mastodon import client


class InstanceField(forms.CharField):
    def clean(self, value: Any) -> str:
        value = super().clean(value)
        try:
            return client.normalise_instance_url(value)
        except ValueError:
            raise forms.ValidationError(
                _(
                    "Enter the address of a Mastodon server, for example https://mastodon.social."
                ),
                code="invalid",
            ) from None


class InstanceForm(forms.Form):
    """The instance alone: where OAuth starts."""

    instance = InstanceField(
        label=_("Mastodon server"),
        max_length=200,
        help_text=_(
            "The address of the server the account lives on, e.g. https://social.bund.de."
        ),
    )

    def clean(self) -> dict[str, Any]:
        """Check the server answers like Mastodon and read its limits."""
        data = super().clean()
        if data.get("instance") and not self.errors:
            try:
                data["server"] = client.instance_limits(data["instance"])
            except ConnectorError:
                raise forms.ValidationError(
                    _(
                        "No Mastodon server answered at %(instance)s. "
                        "Check the address."
                    ),
                    params={"instance": data["instance"]},
                    code="unreachable",
                ) from None
        return data


class ConnectForm(InstanceForm):
    """Instance plus an access token created in the account's settings."""

    access_token = forms.CharField(
        label=_("Access token"),
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["access_token"].help_text = format_html(
            '{} <a href="{}">{}</a>',
            _(
                "Create it under Preferences → Development → New application with "
                "the scopes read, write and follow."
            ),
            reverse("mastodon:sign_in"),
            _("Or sign in with Mastodon instead."),
        )

    def channel_data(self) -> tuple[dict[str, Any], dict[str, Any]]:
        data = self.cleaned_data
        return channel_config(data["instance"], data["server"]), {
            "access_token": data["access_token"]
        }


def channel_config(instance: str, server: dict[str, Any]) -> dict[str, Any]:
    """Return a channel's config: its instance and the instance's limits."""
    return {
        "instance": instance,
        "domain": server["domain"],
        "limits": server["limits"],
    }
