"""Fixtures of the networks core: a test-only network and its channels."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leitstelle.networks import registry
from tests.networks.testnet.connector import TestNet


@pytest.fixture
def testnet(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[TestNet]]:
    """Register the test-only network as kind "testnet"."""
    monkeypatch.setitem(
        registry.CONNECTORS, "testnet", "tests.networks.testnet.connector.TestNet"
    )
    monkeypatch.setitem(registry.LABELS, "testnet", "Testnetz")
    registry.connector_class.cache_clear()
    TestNet.calls.clear()
    yield TestNet
    registry.connector_class.cache_clear()
