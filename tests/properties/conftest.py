from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted on their English msgids; the product's default language is Chinese."""
    with translation.override("en"):
        yield
