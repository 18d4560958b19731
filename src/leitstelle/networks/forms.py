"""Forms of the generic channel pages; each network brings its ConnectForm."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leitstelle.core.models import Unit, User


class ChannelAccessForm(forms.Form):
    units = forms.ModelMultipleChoiceField(
        label=_("Units"),
        queryset=Unit.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Members of these units see the channel."),
    )
    users = forms.ModelMultipleChoiceField(
        label=_("People"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "These people see the channel too. Choose nobody and no unit to "
            "let everyone see it; administrators always see every channel."
        ),
    )


class ConfirmChannelForm(ChannelAccessForm):
    name = forms.CharField(
        label=_("Name in Leitstelle"),
        max_length=200,
        help_text=_("How the team will see this channel, e.g. “Polizei Leipzig”."),
    )

    field_order = ["name", "units", "users"]
