"""Base settings: the embedded default (SQLite, in-memory channel layer, filesystem Celery transport).

Every environment-dependent value comes from ``backend.config.env``; nothing here reads os.environ.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url

from backend.config import env

BASE_DIR = env.BASE_DIR
VAR_DIR = env.VAR_DIR
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Embedded mode only: a fixed development key. production.py refuses to start without SECRET_KEY.
SECRET_KEY = env.SECRET_KEY or "embedded-mode-insecure-key-do-not-use-in-production"
DEBUG = env.DEBUG
ALLOWED_HOSTS = env.ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS = env.CSRF_TRUSTED_ORIGINS

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    # Serves the API docs' Swagger UI from the installed package's static files instead of a CDN
    # (blank without internet, slow or blocked in mainland China).
    "ninja",
    "django_htmx",
    "backend.core",
    "backend.accounts",
    "backend.properties",
    "backend.rulesets",
    "backend.warranty",
    "backend.workorders",
    "backend.notifications",
    "backend.console",
    "backend.analytics",
    "backend.crm",
    "backend.rules",
    "backend.handover",
    "mobile_sync",
    "mobile_sync.uploads",
    "owner_portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "backend.core.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the language is known (the refusal is translated), before anything reads the body.
    "backend.core.middleware.MalformedInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # One read of the rule version in force per request: a publish is seen by the next request.
    "backend.rulesets.middleware.RulesScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backend.config.urls"
ASGI_APPLICATION = "backend.config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "backend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "backend.console.context.staff_layout",
            ],
        },
    },
]

if env.DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(env.DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Server-side binding with prepared statements: psycopg prepares a statement the second
        # time a connection runs it (up to its 100 most recent ones), and from then on PostgreSQL
        # only executes it. Planning was much of a statement's cost: the routing snapshot plans in
        # ~0.6 ms and runs in ~0.3 ms; an assigned intake's SQL went from ~5.2 to ~3.6 ms (bench/intake.py).
        # The whole suite passes with it. Behind PgBouncer in transaction mode this needs PgBouncer
        # 1.21 or later with max_prepared_statements set (or drop prepare_threshold).
        DATABASES["default"]["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}),
                                           "server_side_binding": True, "prepare_threshold": 2}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "anxin.sqlite3"),
            # WAL lets the web, worker and beat processes read while one writes.
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20},
        }
    }

if env.ANALYTICS_DATABASE_URL:  # the analytics pages read from a replica (backend/analytics/routers.py)
    DATABASES["analytics"] = {**dj_database_url.parse(env.ANALYTICS_DATABASE_URL, conn_max_age=60,
                                                      conn_health_checks=True), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["backend.analytics.routers.AnalyticsReadRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# Django's default hashers, the first (PBKDF2-SHA256, Django's iterations) computed by a faster primitive with the
# same output (backend/accounts/hashers.py); Django's own PBKDF2 class is left out because it has the same name.
PASSWORD_HASHERS = [
    "backend.accounts.hashers.FastPBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- i18n: Simplified Chinese by default, English through Accept-Language / the language switch.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.STATIC_ROOT or str(VAR_DIR / "staticfiles")
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = env.MEDIA_ROOT or str(VAR_DIR / "media")
# /media/ is served by backend.config.media after an access check; behind nginx the view answers with
# X-Accel-Redirect to this internal location (docker/nginx.conf), without a proxy it streams the file.
MEDIA_ACCEL_REDIRECT_PREFIX = env.MEDIA_ACCEL_REDIRECT_PREFIX
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Request bodies above this get a 413 in the API's error contract.
MAX_REQUEST_BYTES = env.MAX_REQUEST_BYTES
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES

# --- cache, channel layer, Celery: Redis when REDIS_URL is set, serverless equivalents otherwise.
# channels_redis waits for a socket's next message with a blocking pop of up to 5 s (brpop_timeout);
# redis-py's default socket timeout is also 5 s, so on an idle socket the read timed out first and
# the consumer died ("Timeout reading from redis", close 1011 after 5-15 s). The socket timeout must
# be well above the blocking pop; keepalive and a health check find a dead connection instead.
CHANNEL_LAYER_SOCKET_TIMEOUT_SECONDS = 30


def redis_channel_layer(url: str) -> dict[str, object]:
    host = {"address": url, "socket_timeout": CHANNEL_LAYER_SOCKET_TIMEOUT_SECONDS, "socket_connect_timeout": 5,
            "socket_keepalive": True, "health_check_interval": 15}
    return {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [host]}}


if env.REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env.REDIS_URL}}
    CHANNEL_LAYERS = {"default": redis_channel_layer(env.REDIS_URL)}
else:
    # Embedded mode serves the web from one process: its local-memory cache gives atomic counters there.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "anxin"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = env.CELERY_BROKER_URL or env.REDIS_URL or "filesystem://"
CELERY_QUEUE_DIR = VAR_DIR / "celery-queue"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (CELERY_QUEUE_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "processed_folder": str(CELERY_QUEUE_DIR / "processed"),
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "store_processed": False,
    }
else:
    # No countdown may exceed this, or Redis redelivers the task while it is still waiting.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "backend.core.tasks.beat_heartbeat", "schedule": timedelta(seconds=env.BEAT_HEARTBEAT_SECONDS)},
    "sla-fire-due": {"task": "workorders.sla_fire_due", "schedule": timedelta(seconds=20)},
    "grab-offers-sweep": {"task": "workorders.grab_offers_sweep", "schedule": timedelta(seconds=30)},
    "approval-timeouts": {"task": "workorders.approval_timeouts", "schedule": timedelta(seconds=60)},
    "approval-stand-ins": {"task": "workorders.approval_stand_ins", "schedule": timedelta(seconds=60)},
    "notifications-deliveries-due": {"task": "notifications.deliveries_due", "schedule": timedelta(seconds=30)},
    "sync-uploads-expire": {"task": "mobile_sync.uploads_expire", "schedule": timedelta(minutes=30)},
    "analytics-refresh": {"task": "analytics.refresh_changed", "schedule": timedelta(seconds=60)},
    # The CRM's pools recycle continuously (not a nightly batch); grab countdowns end within seconds.
    "crm-pool-sweep": {"task": "crm.pool_sweep", "schedule": timedelta(seconds=60)},
    "crm-grab-sweep": {"task": "crm.grab_sweep", "schedule": timedelta(seconds=5)},
    # Handover appointments: a reminder text the day before, once each.
    "handover-reminders": {"task": "handover.reminders_send", "schedule": timedelta(minutes=5)},
}
# The health check calls beat healthy when its heartbeat is younger than this.
BEAT_HEARTBEAT_MAX_AGE_SECONDS = max(120, 4 * env.BEAT_HEARTBEAT_SECONDS)

# The knowledge-base articles technicians' phones sync (read-only, the `articles` table): the owner portal owns
# them, and the sync API (an independent app) reads them through this function (mobile_sync.tables.article_rows).
MOBILE_SYNC_ARTICLES = "owner_portal.selectors.articles_for_sync"

# --- security and rate limits
ID_HASH_KEY = env.ID_HASH_KEY or "embedded-mode-id-hash-key"
# Embedded mode writes text messages to the log (logger anxin.sms); production names a provider's backend.
SMS_BACKEND = env.SMS_BACKEND or "backend.notifications.sms.LogSmsBackend"
REOPEN_WINDOW_DAYS = env.REOPEN_WINDOW_DAYS
# Verification codes go only to mobile numbers of these regions (ISO codes, as phonenumbers names them).
SMS_ALLOWED_REGIONS = env.SMS_ALLOWED_REGIONS
QR_SIGNING_KEY = env.QR_SIGNING_KEY or SECRET_KEY
# The address printed in QR codes and text messages. Embedded mode: the local server on $PORT.
PUBLIC_BASE_URL = (env.PUBLIC_BASE_URL or f"http://127.0.0.1:{env.PORT}").rstrip("/")
# Per-address limits read the client's address from what these proxies say (backend.core.ratelimit.client_ip).
TRUSTED_PROXY_COUNT = env.TRUSTED_PROXY_COUNT
TRUSTED_PROXIES = env.TRUSTED_PROXIES
RATE_LIMITS = {
    # name: (max attempts, window seconds)
    "login": (10, 300),
    # Failed sign-ins of one username from every address: past it, the password needs a texted code.
    "login_user": (30, 900),
    "token": (10, 300),
    "qr_resolve": (60, 60),
    # The owner portal: codes sent per phone, per address and per scanned label; code checks per address;
    # and every other public form (reports, messages) per address.
    "otp_send_phone": (5, 3600),
    "otp_send_ip": (20, 3600),
    "otp_send_token": (10, 3600),
    "otp_verify_ip": (30, 3600),
    # Every code the portal sends in an hour, whoever asks: a budget against SMS pumping (alerts once).
    "otp_send_global": (env.OTP_SEND_BUDGET_PER_HOUR, 3600),
    "portal_write": (60, 3600),
    # A lead left through a marketing QR code of the sales CRM, per address.
    "crm_qr_lead": (10, 3600),
    # Text messages to an owner about quotes on one order (replies are coalesced per 30 minutes instead).
    "owner_quote_sms": (3, 86400),
    "portal_read": (300, 60),
}
# Error pages (404, 413, 500) keep the layout of the part of the site the request was made in.
ERROR_PAGE_LAYOUTS = {"/q/": "owner_portal/portal_base.html", "/portal/": "owner_portal/portal_base.html"}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.LOG_LEVEL},
    "loggers": {"django.request": {"level": "ERROR"}, "anxin.sms": {"level": "INFO"}},
}

# How the accounts context texts a sign-in code (the notifications context is above it).
SMS_SEND_FUNCTION = "backend.notifications.services.sms_send"
