from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworksConfig(AppConfig):
    name = "leitstelle.networks"
    label = "networks"
    verbose_name = _("Networks")

    def ready(self) -> None:
        from leitstelle.networks import checks  # noqa: F401 (registers the checks)
