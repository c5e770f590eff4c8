"""The interactive API docs render in Chromium with every request to another host refused (no internet,
or a CDN blocked in mainland China)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_render_without_internet(live_server, desktop):
    local = urlsplit(live_server.url).netloc
    refused: list[str] = []

    def only_local(route):
        if urlsplit(route.request.url).netloc == local:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    desktop.route("**/*", only_local)
    desktop.goto(f"{live_server.url}/api/v1/docs")
    desktop.wait_for_selector(".swagger-ui .info .title")
    assert "Anxin" in desktop.locator(".swagger-ui .info .title").inner_text()
    desktop.wait_for_selector(".opblock-summary-path")  # the operations, read from /api/v1/openapi.json
    assert refused == []
