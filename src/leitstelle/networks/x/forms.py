"""Connect an X account: OAuth 1.0a user keys here, OAuth 2.0 via sign-in."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from leitstelle.networks.facebook.forms import NO_SPACES, secret_field
from leitstelle.networks.x.tiers import TIER_CHOICES

TIER_HELP = _(
    "The paid X API tier of the app. It decides what Leitstelle can do: the "
    "Free tier only publishes and deletes posts; reading mentions, search, "
    "hiding replies and muting need Basic or higher; blocking needs Enterprise."
)


def tier_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("API tier"), choices=TIER_CHOICES, help_text=TIER_HELP
    )


class ConnectForm(forms.Form):
    """The app's consumer keys and the account's access token and secret."""

    # The generic connect page offers this sign-in as the other way.
    oauth_url_name = "x:oauth_start"

    consumer_key = secret_field(
        _("API key (consumer key)"), _("From the app's Keys and tokens page.")
    )
    consumer_secret = secret_field(_("API key secret"), "")
    access_token = secret_field(
        _("Access token"),
        _(
            "Generated for the account on the same page, "
            "with read and write permission."
        ),
    )
    access_token_secret = secret_field(_("Access token secret"), "")
    tier = tier_field()

    def channel_data(self) -> tuple[dict[str, Any], dict[str, Any]]:
        data = self.cleaned_data
        keys = (
            "consumer_key",
            "consumer_secret",
            "access_token",
            "access_token_secret",
        )
        return {"tier": data["tier"], "auth": "oauth1"}, {
            key: data[key] for key in keys
        }


class OAuthStartForm(forms.Form):
    """The app's OAuth 2.0 client, to sign in to X with."""

    client_id = forms.CharField(
        label=_("OAuth 2.0 client id"),
        max_length=200,
        validators=[NO_SPACES],
        help_text=_("From the app's Keys and tokens page, section OAuth 2.0."),
    )
    client_secret = secret_field(
        _("OAuth 2.0 client secret"),
        _("Only for confidential clients (web apps); leave empty for public clients."),
        required=False,
    )
    tier = tier_field()
