"""authz_route_coverage: routes with an authorization entry / all routes (API operations, Django URL
patterns outside the API, WebSocket routes). Target 1.0; exits 1 below it.

    DJANGO_SETTINGS_MODULE=backend.config.settings.test .venv/bin/python bench/authz_route_coverage.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.test")

import django  # noqa: E402

django.setup()

from tests.authz import test_page_and_socket_authorization as pages  # noqa: E402
from tests.authz import test_route_authorization as api  # noqa: E402


def main() -> int:
    api_routes = api._api_routes()
    api_covered = api_routes & {case.key for case in api.CASES}
    django_routes = pages.django_routes()
    django_covered = [route for route in django_routes if pages.page_entry_for(route) is not None]
    socket_routes = pages.socket_routes()
    socket_covered = set(socket_routes) & {case.route for case in pages.SOCKET_CASES}
    total = len(api_routes) + len(django_routes) + len(socket_routes)
    covered = len(api_covered) + len(django_covered) + len(socket_covered)
    print(f"API operations {len(api_covered)}/{len(api_routes)}, Django patterns {len(django_covered)}/"
          f"{len(django_routes)}, WebSocket routes {len(socket_covered)}/{len(socket_routes)}")
    ratio = covered / total
    print(f"authz_route_coverage {ratio:.3f} ({covered}/{total})")
    return 0 if ratio >= 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
