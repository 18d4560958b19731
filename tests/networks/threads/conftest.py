"""A Threads channel whose API answers with recorded payloads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import respx
from django.utils import translation

from leitstelle.networks import meta
from leitstelle.networks.meta import THREADS_URL
from leitstelle.networks.models import Channel

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "threads"
POST_ID = "18000000000000001"


def payload(name: str) -> Any:
    """Return a recorded payload without its `_source` note."""
    body = json.loads((FIXTURES / name).read_text())
    body.pop("_source", None)
    return body


@pytest.fixture
def channel() -> Channel:
    channel = Channel(
        kind="threads",
        name="Polizei Musterstadt",
        remote_id="1234567890123456",
        handle="polizei.musterstadt",
    )
    channel.set_credentials({"access_token": "THREADS-TOKEN"})
    return channel


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=THREADS_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture(autouse=True)
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(meta, "pause", waited.append)
    return waited


@pytest.fixture(autouse=True)
def english(settings: Any) -> Iterator[None]:
    """Assert the English source texts; the UI defaults to German."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
