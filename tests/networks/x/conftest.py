"""X channels (OAuth 1.0a or 2.0, per tier) against recorded X API payloads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import respx
from django.utils import translation

from leitstelle.networks.models import Channel
from leitstelle.networks.x.client import API_URL

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "x"
ME = "2244994945"
OAUTH1 = {
    "consumer_key": "CONSUMER-KEY",
    "consumer_secret": "CONSUMER-SECRET",
    "access_token": "ACCESS-TOKEN",
    "access_token_secret": "ACCESS-SECRET",
}


def payload(name: str) -> Any:
    """Return a recorded payload without its `_source` note."""
    body = json.loads((FIXTURES / name).read_text())
    body.pop("_source", None)
    return body


def make_channel(tier: str = "basic", **credentials: Any) -> Channel:
    auth = "oauth1" if "consumer_key" in (credentials or OAUTH1) else "oauth2"
    channel = Channel(
        kind="x",
        name="Polizei Musterstadt",
        remote_id=ME,
        handle="polizei_musterstadt",
        config={"tier": tier, "auth": auth},
    )
    channel.set_credentials(credentials or OAUTH1)
    return channel


def oauth2_credentials(expires_in: timedelta = timedelta(hours=1)) -> dict[str, str]:
    return {
        "client_id": "CLIENT-ID",
        "client_secret": "CLIENT-SECRET",
        "access_token": "OLD-ACCESS",
        "refresh_token": "OLD-REFRESH",
        "expires_at": (datetime.now(UTC) + expires_in).isoformat(),
    }


@pytest.fixture
def channel() -> Channel:
    return make_channel()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture(autouse=True)
def english(settings: Any) -> Iterator[None]:
    """Assert the English source texts; the UI defaults to German."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
