from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "leitstelle.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from leitstelle.core import checks  # noqa: F401 (registers the checks)
