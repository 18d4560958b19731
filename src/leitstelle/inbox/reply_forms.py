"""Forms of replies and saved replies (Textbausteine)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from leitstelle.inbox.models import SavedReply

REPLY_MAX_LENGTH = 70000
# Languages a saved reply can be written in; items of other languages get
# the German version.
LANGUAGE_CHOICES = [
    ("de", _("German")),
    ("en", _("English")),
    ("fr", _("French")),
    ("tr", _("Turkish")),
    ("ar", _("Arabic")),
    ("uk", _("Ukrainian")),
    ("ru", _("Russian")),
    ("pl", _("Polish")),
    ("es", _("Spanish")),
    ("it", _("Italian")),
]


class ReplyForm(forms.Form):
    # Rendered by hand in thread.html (length counter, shortcut "r").
    text = forms.CharField(label=_("Reply"), max_length=REPLY_MAX_LENGTH)
    saved_reply = forms.ModelChoiceField(
        queryset=SavedReply.objects.all(),
        required=False,
        widget=forms.HiddenInput,
    )
    # The newest reply in the thread when the form was opened: a newer one
    # by a colleague means they answered meanwhile.
    seen_reply = forms.IntegerField(min_value=0, initial=0, widget=forms.HiddenInput)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(_("Write a reply first."))
        return text


class SavedReplyForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)

    class Meta:
        model = SavedReply
        fields = ["title", "language", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 6, "dir": "auto"})}
        help_texts = {
            "title": _(
                "Versions in other languages share the title; the inbox picks "
                "the item's language, else German."
            ),
            "text": _(
                "Placeholders: {name} the author's name, {handle} their handle, "
                "{channel} our channel, {date} the day they wrote."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs["autocomplete"] = "off"

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(_("Write the text of the saved reply."))
        return text
