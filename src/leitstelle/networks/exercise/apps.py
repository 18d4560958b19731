from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExerciseConfig(AppConfig):
    """The exercise network: a simulated social network for drills."""

    name = "leitstelle.networks.exercise"
    label = "exercise"
    verbose_name = _("Exercise network")
