"""A Facebook page channel whose Graph API answers with recorded payloads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import respx
from django.utils import translation

from leitstelle.networks.meta import GRAPH_URL
from leitstelle.networks.models import Channel

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "facebook"
PAGE_ID = "104512345678901"
POST_ID = "104512345678901_122100000000000003"


def payload(name: str) -> Any:
    """Return a recorded payload without its `_source` note."""
    body = json.loads((FIXTURES / name).read_text())
    body.pop("_source", None)
    return body


def make_channel(**credentials: str) -> Channel:
    channel = Channel(
        kind="facebook", name="Polizei Musterstadt", config={"page_id": PAGE_ID}
    )
    channel.set_credentials({"access_token": "PAGE-TOKEN", **credentials})
    return channel


@pytest.fixture
def channel() -> Channel:
    return make_channel()


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=GRAPH_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture(autouse=True)
def english(settings: Any) -> Iterator[None]:
    """Assert the English source texts; the UI defaults to German."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
