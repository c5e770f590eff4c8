"""Every deploy-time value the project reads from the environment, in one place.

Embedded mode (no variables set) gets safe local defaults: SQLite, in-memory channel layer,
a filesystem Celery transport. Production settings call :func:`require` so that a missing
value stops the process at start-up instead of surfacing later as a confusing failure.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("ANXIN_VAR_DIR", BASE_DIR / "var"))


class MissingSetting(RuntimeError):
    pass


def get(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def require(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise MissingSetting(f"environment variable {name} is required in production and is not set")
    return value


def require_secret(name: str, *, min_length: int) -> str:
    """A required key that is long enough to be a key (not "x", "changeme" or a 2-character value)."""
    value = require(name)
    if len(value) < min_length or len(set(value)) < 5:
        raise MissingSetting(f"environment variable {name} must be a random value of at least {min_length} "
                             f"characters in production")
    return value


def require_hosts(name: str) -> list[str]:
    hosts = [host.strip() for host in require(name).split(",") if host.strip()]
    if not hosts or any("*" in host for host in hosts):
        raise MissingSetting(f"environment variable {name} must name the site's hosts in production, not '*'")
    return hosts


def require_https_url(name: str) -> str:
    value = require(name).rstrip("/")
    if not value.startswith("https://") or len(value) <= len("https://"):
        raise MissingSetting(f"environment variable {name} must be an https:// address in production")
    return value


def get_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def get_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def get_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


DATABASE_URL = get("DATABASE_URL")
# A read replica (PostgreSQL streaming replication) the analytics pages read from; empty: the main database.
ANALYTICS_DATABASE_URL = get("ANALYTICS_DATABASE_URL")
REDIS_URL = get("REDIS_URL")
SECRET_KEY = get("SECRET_KEY")
DEBUG = get_bool("DEBUG", default=False)
ALLOWED_HOSTS = get_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = get_list("CSRF_TRUSTED_ORIGINS")
CELERY_BROKER_URL = get("CELERY_BROKER_URL")
# Keyed hash for national ID numbers; distinct from SECRET_KEY so rotating one does not break the other.
ID_HASH_KEY = get("ID_HASH_KEY")
QR_SIGNING_KEY = get("QR_SIGNING_KEY")
# The port ``./run`` serves on; in embedded mode the public address (QR codes, links in text
# messages) follows it unless PUBLIC_BASE_URL says otherwise. Production requires PUBLIC_BASE_URL.
PORT = get_int("PORT", 8000)
PUBLIC_BASE_URL = get("PUBLIC_BASE_URL").strip()
MAX_REQUEST_BYTES = get_int("MAX_REQUEST_BYTES", 10 * 1024 * 1024)
MEDIA_ROOT = get("MEDIA_ROOT")
STATIC_ROOT = get("STATIC_ROOT")
LOG_LEVEL = get("LOG_LEVEL", "INFO")
SMS_BACKEND = get("SMS_BACKEND")
BEAT_HEARTBEAT_SECONDS = get_int("BEAT_HEARTBEAT_SECONDS", 30)
# How many days after completion a homeowner (or the office) may reopen an order.
REOPEN_WINDOW_DAYS = get_int("REOPEN_WINDOW_DAYS", 30)
# The proxies in front of the app: how many (each appends the address it saw to X-Forwarded-For), or
# their addresses / networks. Neither in the embedded mode: the client's own header is never believed.
TRUSTED_PROXY_COUNT = get_int("TRUSTED_PROXY_COUNT", 0)
TRUSTED_PROXIES = get_list("TRUSTED_PROXIES")
# The owner portal's text messages: the regions whose mobile numbers may receive codes, and the hourly budget.
SMS_ALLOWED_REGIONS = get_list("SMS_ALLOWED_REGIONS", ["CN"])
OTP_SEND_BUDGET_PER_HOUR = get_int("OTP_SEND_BUDGET_PER_HOUR", 500)
# The proxy's internal location for media after the app's access check ("" streams from the app).
MEDIA_ACCEL_REDIRECT_PREFIX = get("MEDIA_ACCEL_REDIRECT_PREFIX")
