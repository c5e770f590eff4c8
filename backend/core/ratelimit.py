"""Fixed-window rate limits on atomic cache counters (Redis INCR in production).

``cache.add`` creates the window's counter only if it is absent and ``cache.incr`` is atomic on
Redis and, within the process, on the local-memory cache used by the embedded mode.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from functools import lru_cache

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


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[::1]:443"
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:5555"
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def client_ip(request) -> str:  # type: ignore[no-untyped-def]
    """The address the request came from, as the trusted proxies say — never what the client says.

    ``X-Forwarded-For`` is a list the client starts and each proxy appends to: only the entries the
    trusted proxies appended are believed. ``TRUSTED_PROXY_COUNT`` names how many proxies stand in
    front of the app (the client is the address the outermost one saw); ``TRUSTED_PROXIES`` names
    their addresses or networks instead (the right-most address that is not one of them). With
    neither (the embedded mode) the header is ignored and the peer's address is the client."""
    remote = (request.META.get("REMOTE_ADDR") or "").strip() or "unknown"
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    if not hops and not networks:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    chain = [*forwarded, remote]
    if networks:
        index = len(chain) - 1
        while index > 0 and _is_in(chain[index], networks):
            index -= 1
        chosen = chain[index]
    elif len(chain) > hops:
        chosen = chain[-(hops + 1)]
    else:  # fewer entries than proxies: the request did not come through them
        return remote
    address = _address(chosen)
    return str(address) if address is not None else remote


def _is_in(value: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    address = _address(value)
    return address is not None and any(address in network for network in networks)
