"""Map each network's kind to its connector class, imported lazily."""

from __future__ import annotations

from functools import cache

from django.utils.module_loading import import_string

from leitstelle.networks.base import Connector

CONNECTORS: dict[str, str] = {
    "exercise": "leitstelle.networks.exercise.connector.Exercise",
    "mastodon": "leitstelle.networks.mastodon.connector.Mastodon",
    "bluesky": "leitstelle.networks.bluesky.connector.Bluesky",
    "facebook": "leitstelle.networks.facebook.connector.Facebook",
    "instagram": "leitstelle.networks.instagram.connector.Instagram",
    "x": "leitstelle.networks.x.connector.X",
    "threads": "leitstelle.networks.threads.connector.Threads",
    "telegram": "leitstelle.networks.telegram.connector.Telegram",
}

LABELS: dict[str, str] = {
    "exercise": "Übungsnetz",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "x": "X",
    "threads": "Threads",
    "telegram": "Telegram",
}


def kind_choices() -> list[tuple[str, str]]:
    return list(LABELS.items())


@cache
def connector_class(kind: str) -> type[Connector]:
    """Return the connector class for `kind` (KeyError if unknown)."""
    return import_string(CONNECTORS[kind])
