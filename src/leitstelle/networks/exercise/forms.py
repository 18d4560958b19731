"""Forms: connecting an exercise account, and writing as a citizen."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from leitstelle.networks.base import Media
from leitstelle.networks.exercise import services
from leitstelle.networks.exercise.models import ExerciseAccount


def _clean_handle(value: str) -> str:
    try:
        return services.clean_handle(value)
    except services.ExerciseError as exc:
        raise forms.ValidationError(exc.message) from None


class ConnectForm(forms.Form):
    """Connect an account of the authority on the exercise network."""

    handle = forms.CharField(
        label=_("Handle"),
        max_length=31,
        help_text=_(
            "The account on the exercise network, for example "
            "polizei_sachsen_uebung. A missing account is created."
        ),
    )
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=100,
        required=False,
        help_text=_("Only needed when the account is new."),
    )

    def clean_handle(self) -> str:
        handle = _clean_handle(self.cleaned_data["handle"])
        account = ExerciseAccount.objects.filter(handle=handle).first()
        if account is not None and not account.is_organisation:
            raise forms.ValidationError(
                _("@%(handle)s is a simulated citizen, not an account of yours.")
                % {"handle": handle}
            )
        return handle

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        handle = data.get("handle")
        exists = ExerciseAccount.objects.filter(handle=handle).exists()
        if handle and not exists and not data.get("display_name", "").strip():
            self.add_error("display_name", _("A new account needs a display name."))
        return data

    def channel_data(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Sign the account up if needed and hand out a fresh access token.

        A token of a connection that is then cancelled stays unused; it is
        harmless, as an unused app token on a real network is.
        """
        account, _created = services.get_or_create_account(
            handle=self.cleaned_data["handle"],
            display_name=self.cleaned_data["display_name"],
            is_organisation=True,
        )
        token = services.issue_token(account=account)
        return {"handle": account.handle}, {"access_token": token}


class ChooseCitizenForm(forms.Form):
    citizen = forms.ModelChoiceField(
        label=_("Write as"),
        queryset=ExerciseAccount.objects.filter(is_organisation=False),
        empty_label=None,
    )


class NewCitizenForm(forms.Form):
    handle = forms.CharField(label=_("Handle"), max_length=31)
    display_name = forms.CharField(label=_("Name"), max_length=100)

    def clean_handle(self) -> str:
        handle = _clean_handle(self.cleaned_data["handle"])
        if ExerciseAccount.objects.filter(handle=handle).exists():
            raise forms.ValidationError(
                _("The handle @%(handle)s is taken already.") % {"handle": handle}
            )
        return handle


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )
    image = forms.FileField(label=_("Image (optional)"), required=False)
    alt_text = forms.CharField(
        label=_("Image description"),
        max_length=services.MAX_ALT_TEXT,
        required=False,
    )
    # The post shown at the top of the thread on the page, so that an htmx
    # answer redraws exactly that thread.
    thread = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_image(self) -> Any:
        image = self.cleaned_data["image"]
        if image and image.size > services.MAX_IMAGE_BYTES:
            raise forms.ValidationError(_("An image may have at most 8 MB."))
        return image

    def uploads(self) -> tuple[Media, ...]:
        image = self.cleaned_data.get("image")
        if not image:
            return ()
        alt_text = self.cleaned_data["alt_text"]
        content = image.read()
        return (Media(content, image.content_type or "", alt_text=alt_text),)
