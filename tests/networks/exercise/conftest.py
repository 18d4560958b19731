"""Fixtures of the exercise network: accounts, posts and a channel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from leitstelle.networks.exercise import services
from leitstelle.networks.exercise.models import ExerciseAccount
from leitstelle.networks.models import Channel

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 64


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Keep uploaded images in a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def english(settings: Any) -> Iterator[None]:
    """Assert the source strings, whatever the German catalog says."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def police(db) -> ExerciseAccount:
    return services.create_account(
        handle="polizei_test", display_name="Polizei Test", is_organisation=True
    )


@pytest.fixture
def citizen(db) -> ExerciseAccount:
    return services.create_account(handle="anwohner42", display_name="Thomas Berger")


def make_channel(account: ExerciseAccount, token: str | None = None) -> Channel:
    channel = Channel(
        kind="exercise",
        name=account.display_name,
        remote_id=str(account.pk),
        config={"handle": account.handle},
    )
    channel.set_credentials(
        {"access_token": token or services.issue_token(account=account)}
    )
    channel.save()
    return channel


@pytest.fixture
def channel(police: ExerciseAccount) -> Channel:
    return make_channel(police)
