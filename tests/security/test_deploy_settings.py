"""Production refuses unsafe values at start-up, and the compose file puts a TLS proxy in front."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.core.test_settings_and_deploy import PRODUCTION_ENV, _manage

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("name", "value", "says"), [
    ("ALLOWED_HOSTS", "*", "not '*'"),
    ("ALLOWED_HOSTS", "anxin.example.com,*", "not '*'"),
    ("PUBLIC_BASE_URL", "http://anxin.example.com", "https://"),
    ("SECRET_KEY", "ab", "at least 50"),
    ("SECRET_KEY", "a" * 60, "at least 50"),  # long but not random
    ("ID_HASH_KEY", "k1", "at least 32"),
    ("QR_SIGNING_KEY", "short-key", "at least 32"),
])
def test_production_refuses_unsafe_values(name, value, says):
    result = _manage("check", env={**PRODUCTION_ENV, name: value})
    assert result.returncode != 0
    assert name in result.stderr and says in result.stderr


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_only_the_tls_proxy_publishes_ports_and_it_serves_media_from_the_volume_read_only():
    services = _compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert sorted(services["proxy"]["ports"]) == ["443:443", "80:80"]
    assert "media:/srv/media:ro" in services["proxy"]["volumes"]
    assert "--proxy-headers" not in services["web"]["command"]
    nginx = (ROOT / "docker" / "nginx.conf").read_text(encoding="utf-8")
    assert "listen 443 ssl" in nginx and "internal;" in nginx and "alias /srv/media/;" in nginx
    assert "proxy_set_header X-Forwarded-For   $remote_addr;" in nginx
    env = services["web"]["environment"]
    assert env["TRUSTED_PROXY_COUNT"] == "1" and env["MEDIA_ACCEL_REDIRECT_PREFIX"] == "/_protected_media/"


def test_redis_has_a_password_beat_a_health_check_and_uploads_a_volume():
    compose = _compose()
    services = compose["services"]
    assert "--requirepass" in services["redis"]["command"]
    assert services["web"]["environment"]["REDIS_URL"].startswith("redis://:${REDIS_PASSWORD")
    assert services["beat"]["healthcheck"]["test"] == ["CMD", "python", "manage.py", "beat_health"]
    for name in ("web", "worker", "beat"):
        assert "uploads:/app/var/uploads" in services[name]["volumes"]
        assert "media:/app/var/media" in services[name]["volumes"]
    assert {"media", "uploads"} <= set(compose["volumes"])


@pytest.mark.django_db
def test_the_beat_health_command_fails_without_a_recent_heartbeat():
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.utils import timezone

    from backend.core.models import Heartbeat
    from backend.core.services import BEAT

    with pytest.raises(CommandError):
        call_command("beat_health")
    Heartbeat.objects.create(name=BEAT, last_seen_at=timezone.now(), host="beat")
    call_command("beat_health")
