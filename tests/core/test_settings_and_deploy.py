from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "backend.config.settings.production",
    "SECRET_KEY": "x" * 64 + "-production-secret-for-the-deploy-check",
    "ALLOWED_HOSTS": "anxin.example.com",
    "DATABASE_URL": "postgres://anxin:pw@127.0.0.1:5432/anxin",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ID_HASH_KEY": "id-hash-key-0123456789abcdefghijklmnop",
    "QR_SIGNING_KEY": "qr-signing-key-0123456789abcdefghijklmno",
    "PUBLIC_BASE_URL": "https://anxin.example.com",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_production_settings_refuse_to_start_without_a_required_value():
    for missing in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "ID_HASH_KEY", "PUBLIC_BASE_URL"):
        env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
        result = _manage("check", env=env)
        assert result.returncode != 0
        assert f"environment variable {missing} is required" in result.stderr


def _public_base_url(env: dict[str, str]) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {*PRODUCTION_ENV, "PORT", "PUBLIC_BASE_URL"}}
    code = "from django.conf import settings; print(settings.PUBLIC_BASE_URL)"
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
                            env={**clean, "DJANGO_SETTINGS_MODULE": "backend.config.settings.base", **env},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # after the shell's own line about its imports


def test_in_embedded_mode_the_public_address_follows_the_port_unless_given():
    # QR labels and the links in text messages are built from PUBLIC_BASE_URL: `PORT=8811 ./run`
    # must not print :8000 into them.
    assert _public_base_url({}) == "http://127.0.0.1:8000"
    assert _public_base_url({"PORT": "8811"}) == "http://127.0.0.1:8811"
    assert _public_base_url({"PORT": "8811", "PUBLIC_BASE_URL": "https://repair.example.cn/"}) == \
        "https://repair.example.cn"


def test_deploy_check_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_compose_file_starts_every_production_service_with_commands_that_exist():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    bin_dir = Path(sys.executable).parent
    for name in ("migrate", "web", "worker", "beat"):
        command = services[name]["command"]
        assert services[name]["environment"]["DJANGO_SETTINGS_MODULE"] == "backend.config.settings.production"
        program = command[0]
        if program == "python":
            assert (ROOT / command[1]).exists(), command
            result = subprocess.run([sys.executable, command[1], "help", command[2]], cwd=ROOT,
                                    capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, result.stderr
        else:
            assert (bin_dir / program).exists(), f"{name}: {program} is not installed by the lock file"
        if program == "daphne":
            module, attr = command[-1].split(":")
            assert (ROOT / (module.replace(".", "/") + ".py")).exists()
            assert attr == "application"
        if program == "celery":
            app_index = command.index("-A") + 1
            assert command[app_index] == "backend.config"
            assert command[app_index + 1] in {"worker", "beat"}
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "uv sync --locked" in dockerfile


def test_the_rules_engine_and_the_layers_keep_their_import_contracts():
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
