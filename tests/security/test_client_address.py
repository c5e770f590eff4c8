"""Per-address limits use the address the trusted proxy saw, never the left-most X-Forwarded-For entry."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory, override_settings

from backend.core.ratelimit import client_ip
from tests.factories import user_with_roles


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_ip(_request("198.51.100.9", "1.2.3.4")) == "198.51.100.9"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_one_trusted_proxy_gives_the_address_it_appended_not_the_clients_own_entries():
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the address it saw.
    assert client_ip(_request("10.0.0.2", "1.2.3.4, 203.0.113.7")) == "203.0.113.7"
    assert client_ip(_request("10.0.0.2", "203.0.113.7")) == "203.0.113.7"


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_two_trusted_proxies_and_a_request_that_bypassed_them():
    assert client_ip(_request("10.0.0.3", "9.9.9.9, 203.0.113.7, 10.0.0.2")) == "203.0.113.7"
    # Fewer entries than proxies: it did not come through them, so the peer is the client.
    assert client_ip(_request("198.51.100.9")) == "198.51.100.9"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_trusted_proxy_networks_skip_only_the_proxies_addresses():
    assert client_ip(_request("10.0.0.3", "9.9.9.9, 203.0.113.7, 10.0.0.2")) == "203.0.113.7"
    # A peer that is not a trusted proxy is the client whatever it says.
    assert client_ip(_request("198.51.100.9", "1.2.3.4")) == "198.51.100.9"
    # Garbage where an address should be falls back to the peer.
    assert client_ip(_request("10.0.0.3", "not-an-address")) == "10.0.0.3"


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_rotating_the_header_does_not_escape_the_token_limit():
    user_with_roles("dispatcher", username="amy")
    client = Client()
    statuses = []
    for n in range(12):
        # Each request invents a new left-most entry; the proxy's entry is the same address.
        response = client.post("/api/v1/auth/tokens", data=json.dumps(
            {"username": f"user{n}", "password": "wrong", "device_name": "phone"}), content_type="application/json",
            REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.7")
        statuses.append(response.status_code)
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
