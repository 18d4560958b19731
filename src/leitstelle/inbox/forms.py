"""The inbox's forms: filters (GET), saved views, notes, service levels."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from leitstelle.core.models import Role
from leitstelle.inbox.models import InteractionStatus, InternalNote, SavedView
from leitstelle.inbox.queries import TODO
from leitstelle.networks import registry
from leitstelle.networks.models import Channel
from leitstelle.publishing import services as publishing
from leitstelle.triage.categories import LABELS

NOTE_MAX_LENGTH = 5000
SORT_CHOICES = [
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("priority", _("Highest priority first")),
    ("due", _("Due first (unanswered only)")),
]
MAX_RESPONSE_MINUTES = 60 * 24 * 30


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
        choices=[
            ("", "—"),
            (TODO, _("To do (not answered or closed)")),
            *InteractionStatus.choices,
        ],
    )
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", "—"), *((code, label) for code, label in LABELS.items())],
    )
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
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=publishing.campaigns(),
        required=False,
        empty_label="—",
        help_text=_("Comments on the campaign's posts."),
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=40)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.visible_to(user)
        self.fields["campaign"].queryset = publishing.campaigns()
        self.fields["network"].choices = [("", "—"), *registry.kind_choices()]
        # The people who work the inbox; the list's bulk bar reuses them.
        self.workers = list(
            get_user_model()
            .objects.filter(is_active=True, role__in=[Role.ADMIN, Role.COMMUNITY])
            .order_by("first_name", "last_name", "username")
        )
        self.fields["assignee"].choices = [
            ("", "—"),
            ("me", _("me")),
            ("none", _("nobody")),
            *((str(u.pk), u.get_full_name() or u.username) for u in self.workers),
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


def view_query(data: QueryDict) -> str:
    """Return the filters in `data` as a query string to save as a view.

    Only the filter form's fields are kept: no page cursor, nothing else.
    """
    names = list(InboxFilterForm.base_fields)
    pairs = [(name, data.get(name, "").strip()) for name in names]
    return urlencode([(name, value) for name, value in pairs if value])


class SavedViewForm(forms.ModelForm):
    class Meta:
        model = SavedView
        fields = ["name"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["name"].label = _("Name of the view")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if SavedView.objects.filter(user=self.user, name=name).exists():
            raise forms.ValidationError(_("You already have a view with this name."))
        return name


class InboxSettingsForm(forms.Form):
    """Target first-response minutes per priority, and raw retention."""

    minutes_0 = forms.IntegerField(
        label=_("Normal (priority 0)"),
        min_value=1,
        max_value=MAX_RESPONSE_MINUTES,
        help_text=_("Minutes; 1440 are a day."),
    )
    minutes_1 = forms.IntegerField(
        label=_("Raised (priority 1)"), min_value=1, max_value=MAX_RESPONSE_MINUTES
    )
    minutes_2 = forms.IntegerField(
        label=_("High (priority 2)"), min_value=1, max_value=MAX_RESPONSE_MINUTES
    )
    minutes_3 = forms.IntegerField(
        label=_("Urgent (priority 3 and above)"),
        min_value=1,
        max_value=MAX_RESPONSE_MINUTES,
    )
    raw_retention_days = forms.IntegerField(
        label=_("Keep raw payloads (days)"), min_value=1, max_value=3650
    )

    def response_minutes(self) -> dict[int, int]:
        return {p: self.cleaned_data[f"minutes_{p}"] for p in range(4)}


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
