"""Production settings: PostgreSQL, Redis, secure cookies. Fails fast on any missing value."""

from __future__ import annotations

import dj_database_url

from backend.config import env
from backend.config.settings.base import *  # noqa: F403

# Unsafe values stop the process at start-up: short keys, a wildcard host, a public address over http.
SECRET_KEY = env.require_secret("SECRET_KEY", min_length=50)
ALLOWED_HOSTS = env.require_hosts("ALLOWED_HOSTS")
DATABASES = {"default": dj_database_url.parse(env.require("DATABASE_URL"), conn_max_age=60, conn_health_checks=True)}
if env.ANALYTICS_DATABASE_URL:  # the analytics pages read from a replica (backend/analytics/routers.py)
    DATABASES["analytics"] = {**dj_database_url.parse(env.ANALYTICS_DATABASE_URL, conn_max_age=60,
                                                      conn_health_checks=True), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["backend.analytics.routers.AnalyticsReadRouter"]
_redis = env.require("REDIS_URL")
ID_HASH_KEY = env.require_secret("ID_HASH_KEY", min_length=32)
QR_SIGNING_KEY = env.require_secret("QR_SIGNING_KEY", min_length=32)
PUBLIC_BASE_URL = env.require_https_url("PUBLIC_BASE_URL")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis}}
CHANNEL_LAYERS = {"default": redis_channel_layer(_redis)}  # noqa: F405
CELERY_BROKER_URL = env.CELERY_BROKER_URL or _redis
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
DEBUG = False

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Behind a TLS-terminating proxy.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.get_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
