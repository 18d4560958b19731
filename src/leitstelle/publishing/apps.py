from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "leitstelle.publishing"
    label = "publishing"
    verbose_name = _("Publishing")
