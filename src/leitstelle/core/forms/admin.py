"""Forms of the administration pages: organisation, units, users, audit log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from leitstelle.core.models import Role, TwoFactorPolicy, Unit

LOGO_TYPES = "image/png,image/jpeg,image/webp"


def _units_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=_("Units"),
        queryset=Unit.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    two_factor_policy = forms.ChoiceField(
        label=_("Second factor at login"),
        choices=TwoFactorPolicy.choices,
        widget=forms.RadioSelect,
    )


class LogoForm(forms.Form):
    logo = forms.FileField(
        label=_("Logo"),
        help_text=_("PNG, JPEG or WebP, at most 1 MB."),
        widget=forms.FileInput(attrs={"accept": LOGO_TYPES}),
    )


class UnitForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)


class InviteForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("Optional. The link is shown to you; nothing is sent."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    units = _units_field()


class UserForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    units = _units_field()
    current_password = forms.CharField(
        label=_("Your password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Needed only when you change the role."),
    )


class UserFilterForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("All roles")), *Role.choices]
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        required=False,
        queryset=Unit.objects.all(),
        empty_label=_("All units"),
    )
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("yes", _("Active")), ("no", _("Inactive"))],
    )


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False, max_length=200)
    action = forms.ChoiceField(label=_("Action"), required=False)
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    date_from = _date_field(_("From"))
    date_to = _date_field(_("To"))
    text = forms.CharField(label=_("Object"), required=False, max_length=300)

    def __init__(
        self,
        *args: Any,
        actions: list[tuple[str, str]],
        object_types: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *actions]
        self.fields["object_type"].choices = [("", _("All objects")), *object_types]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date lies before the start date."))
        return cleaned
