"""Every Django page and every WebSocket route has an authorization entry, like the API's operations.

A page entry checks, with the database unchanged after each refusal, that an anonymous visitor, a
wrong role (or a caller without the needed identity) and a caller asking for someone else's object
are refused (401/403/404 or sent to sign in), and that the allowed caller gets the page. A socket
entry checks the same with close code 4403.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

import tests.authz as authz_package
from backend.config.routing import websocket_urlpatterns
from tests.authz.framework import (
    PageCase,
    SocketCase,
    database_snapshot,
    is_refusal,
    is_sign_in_redirect,
    page_request,
)

WS_HEADERS = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]


def _collect(name: str) -> list:
    found: list = []
    for module in pkgutil.iter_modules(authz_package.__path__):
        if module.name.startswith("cases_"):
            found.extend(getattr(importlib.import_module(f"tests.authz.{module.name}"), name, []))
    return found


PAGE_CASES: list[PageCase] = _collect("PAGE_CASES")
SOCKET_CASES: list[SocketCase] = _collect("SOCKET_CASES")


def django_routes() -> list[str]:
    """Every URL pattern outside the API (the API's operations have their own table)."""
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)
    return [route for route in walk(get_resolver().url_patterns) if not route.startswith("api/v1/")]


def socket_routes() -> list[str]:
    return [str(pattern.pattern) for pattern in websocket_urlpatterns]


def page_entry_for(route: str) -> PageCase | None:
    exact = [case for case in PAGE_CASES if case.route == route and not case.covers_prefix]
    if exact:
        return exact[0]
    prefixed = [case for case in PAGE_CASES if case.covers_prefix and route.startswith(case.route)]
    return prefixed[0] if prefixed else None


def test_every_django_page_has_an_authorization_entry():
    routes = django_routes()
    missing = [route for route in routes if page_entry_for(route) is None]
    assert not missing, f"pages without an authorization entry: {missing}"
    stale = [case.route for case in PAGE_CASES if not case.covers_prefix and case.route not in routes]
    assert not stale, f"entries for pages that no longer exist: {stale}"


def test_every_websocket_route_has_an_authorization_entry():
    routes = socket_routes()
    declared = [case.route for case in SOCKET_CASES]
    assert sorted(set(routes) - set(declared)) == [], "sockets without an authorization entry"
    assert sorted(set(declared) - set(routes)) == [], "entries for sockets that no longer exist"


def test_every_protected_entry_tests_a_refusal():
    for case in [*PAGE_CASES, *SOCKET_CASES]:
        assert case.public_reason or case.make is not None, case.route


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in PAGE_CASES if c.make is not None], ids=lambda c: f"{c.method} {c.route}")
def test_page_refuses_wrong_callers_and_changes_nothing(case: PageCase):
    scenario = case.make()
    before = database_snapshot()
    for url in scenario.urls:
        anonymous = page_request(Client(enforce_csrf_checks=True), case.method, url, scenario.data)
        assert is_refusal(anonymous), (case.route, url, "anonymous", anonymous.status_code)
        for who, client in scenario.refused:
            response = page_request(client, case.method, url, scenario.data)
            assert is_refusal(response), (case.route, url, who, response.status_code)
    for who, client, url in scenario.hidden:
        response = page_request(client, case.method, url, scenario.data)
        assert response.status_code == 404, (case.route, url, who, response.status_code)
    assert database_snapshot() == before, f"{case.route}: a refused call changed the database"
    if scenario.allowed is not None:
        allowed = page_request(scenario.allowed, case.method, scenario.urls[0], scenario.data)
        assert not is_refusal(allowed) and allowed.status_code < 500, (case.route, allowed.status_code)
        assert not is_sign_in_redirect(allowed)
        if scenario.allowed_succeeds:
            assert allowed.status_code < 400, (case.route, allowed.status_code, allowed.content[:300])


async def _connect(path: str, headers: list[tuple[bytes, bytes]]):
    communicator = WebsocketCommunicator(application(), path, headers=[*WS_HEADERS, *headers])
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


def application():
    from backend.config.asgi import application as app

    return app


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", [c for c in SOCKET_CASES if c.make is not None], ids=lambda c: c.route)
async def test_socket_refuses_wrong_callers_and_changes_nothing(case: SocketCase):
    scenario = await sync_to_async(case.make)()
    before = await sync_to_async(database_snapshot)()
    communicator, connected, code = await _connect(scenario.path, [])
    assert not connected and code == 4403, (case.route, "anonymous")
    for who, path, headers in scenario.refused:
        communicator, connected, code = await _connect(path, headers)
        assert not connected and code == 4403, (case.route, who)
    assert await sync_to_async(database_snapshot)() == before
    communicator, connected, code = await _connect(*scenario.allowed)
    assert connected, (case.route, code)
    await communicator.disconnect()
