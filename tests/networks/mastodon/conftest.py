"""A Mastodon channel on mastodon-mock's real, stateful API server."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from leitstelle.networks.mastodon.client import instance_limits
from leitstelle.networks.mastodon.forms import channel_config
from leitstelle.networks.models import Channel

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mastodon"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mP4z8AAAAMBAQD3A0FDAAAAAElFTkSuQmCC"
)


def payload(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def make_channel(server: Any, username: str = "alice") -> Channel:
    """Return an unsaved channel, connected the way the connect page does it."""
    config = channel_config(server.base_url, instance_limits(server.base_url))
    channel = Channel(kind="mastodon", name=username, config=config)
    channel.set_credentials({"access_token": f"{username}_token"})
    channel.remote_id = channel.connector.verify().remote_id
    return channel


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Assert the English source strings, whatever the catalog says."""
    with translation.override("en"):
        yield


@pytest.fixture
def server(mastodon_mock_reset: Any) -> Any:
    """The session's server, reset to its seed (alice, bob, carol) per test."""
    return mastodon_mock_reset


@pytest.fixture
def channel(server: Any) -> Channel:
    return make_channel(server)


@pytest.fixture
def alice(server: Any) -> Any:
    return server.client("alice")


@pytest.fixture
def bob(server: Any) -> Any:
    return server.client("bob")
