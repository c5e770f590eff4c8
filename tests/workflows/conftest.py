"""Fixtures of the rules-engine tests. These tests are pure: no database, no Django settings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from workflows.definition_set import DefinitionSet
from workflows.loader import DEFAULT_DEFINITIONS_DIR, load_default_definitions

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _clear_cache():
    """Overrides the project-wide autouse fixture that clears Django's cache: the engine has no
    cache and these tests must run without Django settings (``-p no:django``)."""
    yield


@pytest.fixture(scope="session")
def definitions() -> DefinitionSet:
    return load_default_definitions()


@pytest.fixture(scope="session")
def default_texts() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in DEFAULT_DEFINITIONS_DIR.glob("*.yaml")}


@pytest.fixture(scope="session")
def sh():
    """``sh(2025, 9, 30, 17, 50)``: an aware instant in Asia/Shanghai."""

    def make(*parts: int) -> datetime:
        return datetime(*parts, tzinfo=SHANGHAI)

    return make
