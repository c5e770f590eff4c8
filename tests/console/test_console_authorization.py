"""Every console URL has an entry in the authorization table (tests/authz/cases_console.py), and each
entry's refusals hold with the database unchanged; the allowed caller gets the page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver

from backend.console.urls import urlpatterns
from tests.authz.cases_console import PAGE_CASES
from tests.authz.framework import database_snapshot
from tests.console.authz import is_refusal, is_sign_in_redirect


def test_every_console_url_has_an_authorization_entry():
    routes = {f"console/{p.pattern}" for p in urlpatterns if isinstance(p, URLPattern)}
    declared = {case.route for case in PAGE_CASES}
    assert routes - declared == set(), "console pages without an authorization entry"
    assert declared - routes == set(), "entries for console pages that no longer exist"
    assert "console/" in {str(p.pattern) for p in get_resolver().url_patterns}


@pytest.mark.django_db
@pytest.mark.parametrize("case", PAGE_CASES, ids=lambda c: f"{c.method} {c.route}")
def test_console_page_refuses_wrong_callers_and_changes_nothing(case):
    scenario = case.make()
    before = database_snapshot()
    for url in scenario.urls:
        anonymous = getattr(Client(enforce_csrf_checks=True), case.method.lower())(url, data=scenario.data or {})
        assert is_refusal(anonymous), (url, "anonymous", anonymous.status_code)
        for who, client in scenario.refused:
            response = getattr(client, case.method.lower())(url, data=scenario.data or {})
            assert response.status_code == 403, (url, who, response.status_code)
    for who, client, url in scenario.hidden:
        response = getattr(client, case.method.lower())(url, data=scenario.data or {})
        assert response.status_code == 404, (url, who, response.status_code)
    assert database_snapshot() == before, f"{case.route}: a refused call changed the database"
    allowed = getattr(scenario.allowed, case.method.lower())(scenario.urls[0], data=scenario.data or {})
    assert not is_refusal(allowed) and not is_sign_in_redirect(allowed) and allowed.status_code < 500, \
        (case.route, allowed.status_code, allowed.content[:300])
    if scenario.allowed_succeeds:
        assert allowed.status_code < 400, (case.route, allowed.status_code, allowed.content[:300])


@pytest.mark.django_db
def test_console_forms_need_the_csrf_token():
    from tests.workorders.world import two_sides

    a, _b = two_sides()
    client = Client(enforce_csrf_checks=True)
    client.force_login(a.agent)
    response = client.post(f"/console/orders/{a.order.id}/comment", {"body": "无令牌"})
    assert response.status_code == 403
    assert not a.order.comments.filter(body="无令牌").exists()
