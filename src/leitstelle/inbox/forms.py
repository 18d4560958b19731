"""The inbox's filter form (GET) and the internal-note form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from leitstelle.core.models import Role
from leitstelle.inbox.models import InteractionStatus, InternalNote
from leitstelle.networks import registry
from leitstelle.networks.models import Channel

NOTE_MAX_LENGTH = 5000


class InboxFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=Channel.objects.none(),
        required=False,
        empty_label="—",
    )
    network = forms.ChoiceField(label=_("Network"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", "—"), *InteractionStatus.choices],
    )
    category = forms.CharField(label=_("Category"), required=False, max_length=100)
    language = forms.CharField(label=_("Language"), required=False, max_length=8)
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    priority_min = forms.IntegerField(
        label=_("Priority at least"), required=False, min_value=0, max_value=100
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    root_post = forms.CharField(label=_("Our post"), required=False, max_length=255)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.visible_to(user)
        self.fields["network"].choices = [("", "—"), *registry.kind_choices()]
        workers = get_user_model().objects.filter(
            is_active=True, role__in=[Role.ADMIN, Role.COMMUNITY]
        )
        self.fields["assignee"].choices = [
            ("", "—"),
            ("me", _("me")),
            ("none", _("nobody")),
            *((str(u.pk), u.get_full_name() or u.username) for u in workers),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end lies before the start."))
        return data

    def filters(self) -> dict[str, Any]:
        """Return the valid filters; invalid fields are left out."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class NoteForm(forms.ModelForm):
    class Meta:
        model = InternalNote
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if len(text) > NOTE_MAX_LENGTH:
            raise forms.ValidationError(
                _("Keep the note under %(limit)s characters."),
                params={"limit": NOTE_MAX_LENGTH},
            )
        return text
