"""Fixtures shared by the publishing tests (some defined in factories.py)."""

from __future__ import annotations

import pytest

from tests.publishing.factories import fake_network, media_root

__all__ = ["fake_network", "media_root"]


@pytest.fixture(autouse=True)
def english(settings) -> None:
    """Assert the English source texts, whatever the German catalog says."""
    settings.LANGUAGE_CODE = "en"
