"""Connect an Instagram business account through its Facebook page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leitstelle.networks.facebook import forms as facebook


class ConnectForm(facebook.ConnectForm):
    """The Facebook page the account is linked to, and the page's token.

    Leitstelle finds the linked account itself. To publish, Instagram fetches
    each image from Leitstelle, so LEITSTELLE_BASE_URL must be reachable from
    the internet.
    """

    page_id = forms.CharField(
        label=_("Id of the linked Facebook page"),
        max_length=25,
        validators=[facebook.NUMERIC_ID],
    )
    access_token = facebook.secret_field(
        _("Page access token"),
        _(
            "A long-lived token of the linked page with instagram_basic, "
            "instagram_content_publish, instagram_manage_comments and "
            "pages_read_engagement. Instagram fetches images to publish from "
            "this Leitstelle's public address."
        ),
    )
