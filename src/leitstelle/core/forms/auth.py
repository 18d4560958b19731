"""Forms of login, second-factor setup, invitations and the account page."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "username",
                "autofocus": True,
                "autocapitalize": "none",
            }
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code"),
        help_text=_(
            "Open your authenticator app and enter the code it shows for Leitstelle."
        ),
        max_length=9,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "pattern": "[0-9 ]{6,9}",
                "size": 9,
            }
        ),
    )

    def clean_code(self) -> str:
        code = re.sub(r"\s", "", self.cleaned_data["code"])
        if not re.fullmatch(r"\d{6}", code):
            raise forms.ValidationError(_("Enter the six digits of the code."))
        return code


class TwoFactorOffForm(CodeForm):
    """The current code, confirming that the second factor goes off."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One of several forms on the account page: do not grab the focus.
        self.fields["code"].widget.attrs.pop("autofocus", None)


class InvitationAcceptForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("You log in with it. Letters, digits and @ . + - _ only."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "username",
                "autofocus": True,
                "autocapitalize": "none",
            }
        ),
    )
    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_repeat = forms.CharField(
        label=_("Repeat the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rules = password_validation.password_validators_help_texts()
        self.fields["password"].help_text = " ".join(rules)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        password = cleaned.get("password")
        if password and password != cleaned.get("password_repeat"):
            self.add_error(
                "password_repeat", _("The two passwords differ. Type them again.")
            )
        return cleaned


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the token"),
        max_length=100,
        help_text=_("What the token is for, e.g. “Statistics script”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        help_text=_("Confirm with your password to create a token."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
