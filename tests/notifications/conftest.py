from __future__ import annotations

from pathlib import Path

import polib
import pytest

from tests.notifications.receiver import Receiver

APP_CATALOG = Path(__file__).resolve().parents[2] / "backend/notifications/locale/zh_Hans/LC_MESSAGES/django.po"


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def chinese_catalog(tmp_path, settings):
    """The app's Chinese catalogue compiled for this test, whether or not the build compiled it."""
    folder = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    polib.pofile(str(APP_CATALOG)).save_as_mofile(str(folder / "django.mo"))
    settings.LOCALE_PATHS = [tmp_path / "locale", *settings.LOCALE_PATHS]
    return polib.pofile(str(APP_CATALOG))
