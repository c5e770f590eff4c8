from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests.authz as authz_package
from backend.config.api import api
from tests.authz.framework import RouteCase, as_user, database_snapshot, perform, prepare


def _all_cases() -> list[RouteCase]:
    cases: list[RouteCase] = []
    for module in pkgutil.iter_modules(authz_package.__path__):
        if module.name.startswith("cases_"):
            cases.extend(importlib.import_module(f"tests.authz.{module.name}").CASES)
    return cases


CASES = _all_cases()


def _api_routes() -> set[str]:
    schema = api.get_openapi_schema()
    routes = set()
    for path, operations in schema["paths"].items():
        for method in operations:
            routes.add(f"{method.upper()} {path}")
    return routes


def test_every_api_route_has_an_authorization_case():
    declared = [case.key for case in CASES]
    assert len(declared) == len(set(declared)), "a route is declared twice"
    missing = _api_routes() - set(declared)
    stale = set(declared) - _api_routes()
    assert not missing, f"routes without an authorization test: {sorted(missing)}"
    assert not stale, f"authorization cases for routes that no longer exist: {sorted(stale)}"


def test_every_protected_case_tests_a_denial_beyond_anonymous():
    for case in CASES:
        if case.public_reason:
            continue
        assert case.make is not None, case.key


def _concrete(case: RouteCase) -> bool:
    return case.public_reason is None


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CASES if _concrete(c)], ids=lambda c: c.key)
def test_route_denies_wrong_callers_and_changes_nothing(case: RouteCase):
    scenario = case.make()
    for user in (scenario.allowed, scenario.wrong_role, scenario.wrong_object[0] if scenario.wrong_object else None):
        prepare(user)
    before = database_snapshot()

    # Anonymous calls go through the CSRF check as a browser's would: they are 401, never a CSRF 403.
    anonymous = perform(case.method, scenario.call, enforce_csrf=True)
    assert anonymous.status_code == 401, (case.key, anonymous.content)
    assert anonymous.json()["code"] in {"not_authenticated", "invalid_token"}

    forged = perform(case.method, scenario.call, headers={"HTTP_AUTHORIZATION": "Bearer ax_forged-token"})
    assert forged.status_code == 401, (case.key, forged.content)

    if case.any_signed_in_user:
        assert scenario.wrong_role is None, "a route open to every signed-in user has no wrong role"
    else:
        assert scenario.wrong_role is not None, f"{case.key}: name a role that must be refused"
        denied = as_user(scenario.wrong_role, case.method, scenario.call)
        assert denied.status_code == 403, (case.key, denied.content)
        assert denied.json()["code"] == "permission_denied"

    if scenario.wrong_object is not None:
        stranger, call = scenario.wrong_object
        hidden = as_user(stranger, case.method, call)
        assert hidden.status_code == 404, (case.key, hidden.content)
        assert hidden.json()["code"] == "not_found"

    assert database_snapshot() == before, f"{case.key}: a refused call changed the database"

    allowed = as_user(scenario.allowed, case.method, scenario.call)
    assert allowed.status_code < 400, (case.key, allowed.status_code, allowed.content)
