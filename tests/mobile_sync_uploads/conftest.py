from __future__ import annotations

import pytest

from tests.mobile_sync_uploads.phone import Phone
from tests.workorders.world import two_sides


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    """Partial files go to a fresh directory per test, never to the project's var/."""
    settings.SYNC_UPLOAD_DIR = tmp_path / "uploads"
    return settings.SYNC_UPLOAD_DIR


@pytest.fixture
def sides(db):
    return two_sides()


@pytest.fixture
def phone(sides):
    """Side A's technician, assigned to side A's order."""
    return Phone(user=sides[0].technician)
