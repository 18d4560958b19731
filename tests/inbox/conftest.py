from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def english(settings) -> None:
    """Assert the English source texts, whatever the German catalog says."""
    settings.LANGUAGE_CODE = "en"
