"""Forms of composing, reviewing and correcting posts.

A variant's text arrives as `variant_<channel id>` next to `derived_<channel
id>`, the text it was derived from: when both are equal the variant still
follows the master text. A line of three dashes splits a variant into a
thread on networks that have threads.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from leitstelle.core.models import Role
from leitstelle.core.permissions import ROLE_PERMISSIONS, Perm
from leitstelle.networks.models import Channel
from leitstelle.publishing.models import Campaign, PostType

MAX_TEXT = 70_000
MAX_LABELS = 20
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
# Live requests send the form's text, never the chosen files.
HX_PARAMS = "not media_file,captions_file"
THREAD_SEPARATOR = "\n---\n"
SEPARATOR_LINE = re.compile(r"\r?\n[ \t]*---[ \t]*\r?\n")


def split_parts(text: str) -> list[str]:
    """Return the thread parts of `text`, split at lines of three dashes."""
    parts = [part.strip() for part in SEPARATOR_LINE.split(f"\n{text}\n")]
    return [part for part in parts if part]


def normalise(text: object) -> str:
    """Return `text` with the browser's CRLF line breaks as LF."""
    return str(text).replace("\r\n", "\n").replace("\r", "\n")


def join_parts(parts: list[str]) -> str:
    return THREAD_SEPARATOR.join(parts)


def parse_labels(value: str) -> list[str]:
    """Return the comma-separated labels, trimmed, without duplicates."""
    seen: dict[str, None] = {}
    for label in value.split(","):
        label = " ".join(label.split())[:50]
        if label and label.casefold() not in {s.casefold() for s in seen}:
            seen[label] = None
    return list(seen)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time in Europe/Berlin, left naive for the services.

    `services.local_datetime` resolves the hour that does not exist in spring
    and the one that exists twice in autumn, instead of refusing them.
    """

    widget = DateTimeLocalInput

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise forms.ValidationError(
                _("Enter a date and time, e.g. 24.12.2026 18:30."), code="invalid"
            ) from None


class ComposeForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("For the team only; it is not published."),
    )
    post_type = forms.ChoiceField(label=_("Type"), choices=PostType.choices)
    master_text = forms.CharField(
        label=_("Text"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Written once; every channel's text below starts from it."),
    )
    channels = forms.ModelMultipleChoiceField(
        label=_("Channels"),
        queryset=Channel.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    labels = forms.CharField(
        label=_("Labels"),
        max_length=1000,
        required=False,
        help_text=_("Separated by commas, e.g. traffic, Leipzig."),
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.filter(archived=False),
        required=False,
        empty_label="—",
    )
    new_campaign = forms.CharField(
        label=_("Or start a new campaign"),
        max_length=200,
        required=False,
    )
    media_file = forms.FileField(
        label=_("Add an image or video"),
        required=False,
        help_text=_("Location data and other metadata are removed from images."),
    )
    alt_text = forms.CharField(
        label=_("Alt text of the image"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Describe what the image shows, for people who cannot see it."),
    )
    captions_file = forms.FileField(
        label=_("Captions for the video (SRT or VTT)"), required=False
    )
    scheduled_at = LocalDateTimeField(
        label=_("Publish at"),
        required=False,
        help_text=_("German time (Europe/Berlin)."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = Channel.objects.visible_to(user)
        # Live: a changed text or channel choice re-derives the variants.
        live = {
            "hx-post": reverse("publishing:preview"),
            "hx-target": "#variants",
            "hx-swap": "outerHTML",
            "hx-params": HX_PARAMS,
            "hx-sync": "closest form:replace",
        }
        self.fields["master_text"].widget.attrs.update(
            live, **{"hx-trigger": "input changed delay:400ms"}
        )
        self.fields["channels"].widget.attrs.update(live, **{"hx-trigger": "change"})
        if self.initial.get("campaign") is not None:
            # An archived campaign stays selectable on the posts that have it.
            self.fields["campaign"].queryset = Campaign.objects.filter(
                pk__in=[self.initial["campaign"]]
            ) | Campaign.objects.filter(archived=False)

    def clean_master_text(self) -> str:
        return normalise(self.cleaned_data["master_text"])

    def clean_labels(self) -> list[str]:
        labels = parse_labels(self.cleaned_data["labels"])
        if len(labels) > MAX_LABELS:
            raise forms.ValidationError(
                _("Use at most %(count)d labels.") % {"count": MAX_LABELS}
            )
        return labels

    def clean_media_file(self) -> Any:
        upload = self.cleaned_data.get("media_file")
        if upload is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Files may be at most 512 MB."))
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("captions_file") and not self._adds_video(data):
            self.add_error(
                "captions_file", _("Captions belong to a video: add the video too.")
            )
        return data

    def _adds_video(self, data: dict[str, Any]) -> bool:
        upload = data.get("media_file")
        return bool(upload) and str(upload.content_type).startswith("video/")

    def variant_texts(self) -> dict[int, tuple[str, str]]:
        """Return {channel id: (text typed, text it was derived from)}."""
        texts = {}
        for channel in self.cleaned_data.get("channels") or ():
            text = self.data.get(f"variant_{channel.pk}")
            if text is None:
                continue
            derived = self.data.get(f"derived_{channel.pk}", "")
            texts[channel.pk] = (normalise(text)[:MAX_TEXT], normalise(derived))
        return texts


class ReviewForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SendBackForm(forms.Form):
    text = forms.CharField(
        label=_("What needs to change?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OverrideForm(forms.Form):
    code = forms.CharField(max_length=100, widget=forms.HiddenInput)
    channel = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why may this go out anyway?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EditPublishedForm(forms.Form):
    """The corrected text per channel of a post that is already out."""

    def __init__(self, *args: Any, variants: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for variant in variants:
            self.fields[f"text_{variant.channel_id}"] = forms.CharField(
                label=str(variant.channel),
                max_length=MAX_TEXT,
                widget=forms.Textarea(attrs={"rows": 4}),
                initial=join_parts(variant.parts) if variant.parts else variant.text,
            )

    def texts(self) -> dict[int, str]:
        changed = {}
        for name, value in self.cleaned_data.items():
            text = normalise(value).strip()
            if name.startswith("text_") and text != self.fields[name].initial.strip():
                changed[int(name.removeprefix("text_"))] = text
        return changed


class FastLaneForm(forms.Form):
    reason = forms.CharField(
        label=_("Why can this not wait for approval?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class GoOutForm(forms.Form):
    """Publish an approved post now, or at a time."""

    scheduled_at = LocalDateTimeField(
        label=_("Publish at"),
        required=False,
        help_text=_("German time (Europe/Berlin)."),
    )


# --- the publishing rules (admin page) ---------------------------------------

MAX_WATCH_WORDS = 500
MAX_WATCH_WORD_LENGTH = 100
APPROVAL_CHOICES = [
    ("0", _("None: it goes out without approval")),
    ("1", _("1 approval")),
    ("2", _("2 approvals, from two different people")),
]


def approving_roles() -> list[tuple[str, Any]]:
    """Return the roles whose permissions let them approve posts at all."""
    return [
        (value, label)
        for value, label in Role.choices
        if Perm.APPROVE_POSTS in ROLE_PERMISSIONS.get(value, frozenset())
    ]


class PublishingSettingsForm(forms.Form):
    """How many approvals each post type needs, who approves, the watch list.

    One `approvals_<post type>` field per post type; `approvals()` returns
    them as {post type: 0|1|2} for `services.update_settings`.
    """

    approver_roles = forms.MultipleChoiceField(
        label=_("Roles that may approve"),
        choices=approving_roles,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only roles that can approve posts at all are listed."),
        error_messages={"required": _("Choose at least one role that may approve.")},
    )
    watch_words = forms.CharField(
        label=_("Words and phrases to watch for"),
        required=False,
        max_length=MAX_WATCH_WORDS * (MAX_WATCH_WORD_LENGTH + 2),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "One word or phrase per line. A post that contains one is held back "
            "until an approver lets it through and gives a reason. Upper and "
            "lower case do not matter; ä may also be written ae."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        approvals = {}
        for value, label in PostType.choices:
            approvals[f"approvals_{value}"] = forms.TypedChoiceField(
                label=label,
                choices=APPROVAL_CHOICES,
                coerce=int,
                error_messages={
                    "invalid_choice": _("Choose none, 1 or 2 approvals."),
                    "required": _("Choose none, 1 or 2 approvals."),
                },
            )
        # The approvals first, in the order of the post types.
        self.fields = {**approvals, **self.fields}

    @classmethod
    def from_settings(cls, rules: Any) -> PublishingSettingsForm:
        initial: dict[str, Any] = {
            f"approvals_{value}": str(rules.required_for(value))
            for value in PostType.values
        }
        initial["approver_roles"] = list(rules.approver_roles or [])
        initial["watch_words"] = "\n".join(rules.watch_words or [])
        return cls(initial=initial)

    def approval_fields(self) -> list[forms.BoundField]:
        return [self[f"approvals_{value}"] for value in PostType.values]

    def clean_watch_words(self) -> list[str]:
        words: list[str] = []
        seen: set[str] = set()
        for line in normalise(self.cleaned_data["watch_words"]).split("\n"):
            word = " ".join(line.split())
            if not word or word.casefold() in seen:
                continue
            if len(word) > MAX_WATCH_WORD_LENGTH:
                raise forms.ValidationError(
                    _("Each line may be at most %(count)d characters long.")
                    % {"count": MAX_WATCH_WORD_LENGTH}
                )
            seen.add(word.casefold())
            words.append(word)
        if len(words) > MAX_WATCH_WORDS:
            raise forms.ValidationError(
                _("The watch list may have at most %(count)d entries.")
                % {"count": MAX_WATCH_WORDS}
            )
        return words

    def approvals(self) -> dict[str, int]:
        return {
            value: self.cleaned_data[f"approvals_{value}"] for value in PostType.values
        }
