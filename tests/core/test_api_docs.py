"""The interactive API documentation works without internet: every asset it loads is ours."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_docs_page_references_no_external_host_and_its_assets_are_served():
    client = Client()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
    assert any(a.endswith("swagger-ui.css") for a in assets), assets
    assert "cdn" not in html.lower()
    for asset in assets:
        parts = urlsplit(asset)
        assert not parts.scheme and not parts.netloc, f"{asset} is loaded from another host"
        response = client.get(asset)
        assert response.status_code == 200, asset
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 100, asset
