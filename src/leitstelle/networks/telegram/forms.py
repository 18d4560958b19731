"""Connect a Telegram channel: the bot's token, the channel, its group."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from leitstelle.networks.facebook.forms import secret_field

BOT_TOKEN = RegexValidator(
    r"^\d{3,20}:[A-Za-z0-9_-]{20,100}$",
    _("A bot token looks like 123456789:AAE…, as @BotFather gives it."),
)
CHANNEL = RegexValidator(
    r"^(@[A-Za-z][A-Za-z0-9_]{3,31}|-100\d{5,20})$",
    _("Enter the channel's public name (@name) or its id (-100…)."),
)


class ConnectForm(forms.Form):
    bot_token = secret_field(
        _("Bot token"),
        _(
            "From @BotFather. Make the bot an administrator of the channel "
            "(allowed to post) and of the discussion group."
        ),
    )
    bot_token.validators.append(BOT_TOKEN)
    channel = forms.CharField(
        label=_("Channel"),
        max_length=40,
        validators=[CHANNEL],
        help_text=_("@name of a public channel, or the id of a private one (-100…)."),
    )
    discussion_group_id = forms.IntegerField(
        label=_("Discussion group id (optional)"),
        required=False,
        max_value=-1,
        help_text=_(
            "Comments are read from the group linked to the channel; Leitstelle "
            "finds it itself. Enter an id only to use another group."
        ),
    )
    api_url = forms.URLField(
        label=_("Bot API server (optional)"),
        required=False,
        assume_scheme="https",
        help_text=_(
            "Only for a self-hosted Bot API server; empty means api.telegram.org."
        ),
    )

    def channel_data(self) -> tuple[dict[str, Any], dict[str, Any]]:
        data = self.cleaned_data
        config = {"channel": data["channel"]}
        if data["discussion_group_id"]:
            config["discussion_group_id"] = data["discussion_group_id"]
        if data["api_url"]:
            config["api_url"] = data["api_url"].rstrip("/")
        return config, {"bot_token": data["bot_token"]}
