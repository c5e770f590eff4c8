"""Django serves the built technician app at /tech/: the shell revalidated on every start, the service worker
scoped to /tech/, hashed assets immutable, nothing outside the app's folder, a clear answer when not built."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>安心维修</title>", encoding="utf-8")
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    (tmp_path / "manifest.webmanifest").write_text('{"name": "安心维修", "display": "standalone"}', encoding="utf-8")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path.parent / "secret.txt").write_text("not for you")
    with override_settings(TECHNICIAN_APP_DIR=tmp_path):
        yield tmp_path


def test_the_shell_is_served_at_tech_and_revalidated_on_every_start(built):
    response = Client().get("/tech/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Cache-Control"] == "no-cache"
    assert "安心维修" in b"".join(response.streaming_content).decode()


def test_the_service_worker_is_scoped_to_the_app(built):
    response = Client().get("/tech/sw.js")
    assert response.status_code == 200
    assert response["Service-Worker-Allowed"] == "/tech/"
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"


def test_the_manifest_and_hashed_assets_have_their_types_and_caching(built):
    manifest = Client().get("/tech/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    asset = Client().get("/tech/assets/index-abc123.js")
    assert asset["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("name", ["../secret.txt", "..%2Fsecret.txt", "assets/../../secret.txt", "missing.js"])
def test_nothing_outside_the_app_is_served(built, name):
    assert Client().get(f"/tech/{name}").status_code == 404


def test_the_files_only_answer_reads(built):
    response = Client().post("/tech/", data={})
    assert response.status_code == 405


def test_an_unbuilt_app_says_how_to_build_it(tmp_path):
    with override_settings(TECHNICIAN_APP_DIR=tmp_path / "nothing"):
        response = Client().get("/tech/")
    assert response.status_code == 503
    assert "./run" in response.content.decode()
