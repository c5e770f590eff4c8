"""One HTTP POST with the standard library: a short timeout, no redirects, never raises for network trouble."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

TIMEOUT_SECONDS = 5.0
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Anxin-Notifications/1.0"


@dataclass(frozen=True)
class HttpResult:
    """``status_code`` is None when no HTTP answer arrived; ``error`` then says why."""

    status_code: int | None
    body: bytes = b""
    error: str = ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirected POST would become a GET without the body: report the 3xx instead of following it.
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, *, body: bytes, headers: dict[str, str], timeout_seconds: float | None = None) -> HttpResult:
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in {"http", "https"}:
        return HttpResult(status_code=None, error=f"unsupported URL scheme {scheme!r}")
    request = urllib.request.Request(  # noqa: S310 — the scheme is checked above
        url, data=body, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, **headers},
    )
    timeout = TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds
    try:
        with _opener.open(request, timeout=timeout) as response:
            return HttpResult(status_code=response.status, body=response.read(MAX_RESPONSE_BYTES))
    except urllib.error.HTTPError as exc:  # 3xx, 4xx and 5xx answers
        try:
            answer = exc.read(MAX_RESPONSE_BYTES)
        except (OSError, http.client.HTTPException):
            answer = b""
        return HttpResult(status_code=exc.code, body=answer)
    except urllib.error.URLError as exc:  # refused, DNS, TLS, timeout while connecting
        return HttpResult(status_code=None, error=f"connection failed: {exc.reason}")
    except TimeoutError:
        return HttpResult(status_code=None, error=f"timed out after {timeout:g} s")
    except (OSError, http.client.HTTPException) as exc:  # reset, malformed answer
        return HttpResult(status_code=None, error=f"{type(exc).__name__}: {exc}")
