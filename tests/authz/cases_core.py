from __future__ import annotations

from tests.authz.framework import RouteCase

CASES = [
    RouteCase("GET", "/api/v1/health", public_reason="load balancers and the run command probe it; shows no data"),
]
