"""Test settings: the embedded default unless DATABASE_URL / REDIS_URL point at real services (CI)."""

from __future__ import annotations

from backend.config import env
from backend.config.settings.base import *  # noqa: F403
from backend.config.settings.base import VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if not env.DATABASE_URL:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
if not env.REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "anxin-tests"}}
CELERY_TASK_ALWAYS_EAGER = False
MEDIA_ROOT = str(VAR_DIR / "test-media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Partial uploads of the resumable photo path go to a folder of their own, emptied between runs.
SYNC_UPLOAD_DIR = VAR_DIR / "test-uploads"
# The browser tests run the app in a daphne process too: serve static files from the apps, no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
