"""Fixed-window rate limits on atomic cache counters (Redis INCR in production).

``cache.add`` creates the window's counter only if it is absent and ``cache.incr`` is atomic on
Redis and, within the process, on the local-memory cache used by the embedded mode.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

from backend.core.errors import RateLimited


def _key(name: str, ident: str, window_start: int) -> str:
    digest = hashlib.sha256(ident.encode("utf-8")).hexdigest()[:32]
    return f"rl:{name}:{digest}:{window_start}"


def rate_limit_hit(*, name: str, identifiers: list[str], now_seconds: float | None = None) -> None:
    """Counts one attempt for each identifier (e.g. the IP and the username) and raises past the limit."""
    limit, window = settings.RATE_LIMITS[name]
    now_s = int(now_seconds if now_seconds is not None else time.time())
    window_start = now_s - now_s % window
    for ident in identifiers:
        if not ident:
            continue
        key = _key(name, ident, window_start)
        cache.add(key, 0, timeout=window + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window + 5)
            count = 1
        if count > limit:
            raise RateLimited(details={"retry_after_seconds": window_start + window - now_s, "limit": limit,
                                       "window_seconds": window})


def rate_limit_check(*, name: str, identifiers: list[str], now_seconds: float | None = None) -> None:
    """Raises when one of the identifiers has used up this window's attempts, without counting one:
    for limits that count only failures (sign-in), checked before the attempt."""
    limit, window = settings.RATE_LIMITS[name]
    now_s = int(now_seconds if now_seconds is not None else time.time())
    window_start = now_s - now_s % window
    for ident in identifiers:
        if ident and int(cache.get(_key(name, ident, window_start)) or 0) >= limit:
            raise RateLimited(details={"retry_after_seconds": window_start + window - now_s, "limit": limit,
                                       "window_seconds": window})


def rate_limit_reset(*, name: str, identifiers: list[str], now_seconds: float | None = None) -> None:
    _limit, window = settings.RATE_LIMITS[name]
    now_s = int(now_seconds if now_seconds is not None else time.time())
    window_start = now_s - now_s % window
    cache.delete_many([_key(name, ident, window_start) for ident in identifiers if ident])


def client_ip(request) -> str:  # type: ignore[no-untyped-def]
    # Behind the production proxy the left-most X-Forwarded-For entry is the client.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"
