"""Authorization entries of the rules pages (``/console/rules/``): administrators edit, simulate,
publish and roll back; the engineering director reads the versions and their differences; everyone
else is refused with the database unchanged. An unknown draft or version is a 404."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.utils import timezone

from backend.accounts.roles import Role
from backend.rulesets.services import draft_save, version_publish
from tests.authz.framework import PageCase, PageScenario
from tests.factories import user_with_roles
from tests.rulesets.helpers import lowered_finance_threshold

CASES: list = []  # no API operations here


def _client(*roles: str) -> Client:
    client = Client()
    client.force_login(user_with_roles(*roles))
    return client


def _refused(*more: str) -> list[tuple[str, Client]]:
    roles = (Role.TECHNICIAN, Role.DISPATCHER, Role.FINANCE, *more)
    return [(role, _client(role)) for role in roles]


def _world() -> tuple[Any, Any]:
    admin = user_with_roles(Role.ADMINISTRATOR)
    draft = draft_save(actor=admin, sources=lowered_finance_threshold(3000), title="门槛", now=timezone.now())
    return admin, draft


def _editor(path: str, *, data: dict[str, Any] | None = None, succeeds: bool = True, hidden: str | None = None,
            published: bool = False) -> Any:
    def make() -> PageScenario:
        admin, draft = _world()
        if published:
            version_publish(actor=admin, sources=draft.sources, note="门槛", expected_live=1, now=timezone.now())
        allowed = Client()
        allowed.force_login(admin)
        url = path.format(draft=draft.id)
        hidden_cases = [("administrator, unknown draft", allowed, hidden)] if hidden else []
        return PageScenario(urls=[url], allowed=allowed, data=data, allowed_succeeds=succeeds,
                            refused=_refused(Role.ENGINEERING_DIRECTOR), hidden=hidden_cases)
    return make


def _reader(path: str, *, hidden: str | None = None, published: bool = True) -> Any:
    def make() -> PageScenario:
        admin, draft = _world()
        if published:
            version_publish(actor=admin, sources=draft.sources, note="门槛", expected_live=1, now=timezone.now())
        director = _client(Role.ENGINEERING_DIRECTOR)
        hidden_cases = [("director, unknown version", director, hidden)] if hidden else []
        return PageScenario(urls=[path], allowed=director, refused=_refused(), hidden=hidden_cases)
    return make


PAGE_CASES = [
    PageCase("GET", "console/rules/", make=_reader("/console/rules/")),
    PageCase("GET", "console/rules/diff", make=_reader("/console/rules/diff?a=1&b=2",
                                                       hidden="/console/rules/diff?a=1&b=99")),
    PageCase("GET", "console/rules/versions/<int:number>", make=_reader("/console/rules/versions/2",
                                                                        hidden="/console/rules/versions/99")),
    PageCase("POST", "console/rules/versions/<int:number>/restore",
             make=_editor("/console/rules/versions/1/restore", data={"note": "回滚", "expected_live": "2"},
                          published=True)),
    PageCase("POST", "console/rules/validate", make=_editor("/console/rules/validate", succeeds=False)),
    PageCase("POST", "console/rules/drafts", make=_editor("/console/rules/drafts", data={"title": "新"})),
    PageCase("GET", "console/rules/drafts/<int:draft_id>",
             make=_editor("/console/rules/drafts/{draft}", hidden="/console/rules/drafts/999999")),
    PageCase("POST", "console/rules/drafts/<int:draft_id>/save",
             make=_editor("/console/rules/drafts/{draft}/save", succeeds=False)),
    PageCase("POST", "console/rules/drafts/<int:draft_id>/forms/<slug:kind>",
             make=_editor("/console/rules/drafts/{draft}/forms/sla-target",
                          data={"policy": "normal", "target": "resolution", "duration": "20h"},
                          hidden="/console/rules/drafts/999999/forms/sla-target")),
    PageCase("GET", "console/rules/drafts/<int:draft_id>/simulate",
             make=_editor("/console/rules/drafts/{draft}/simulate?days=7")),
    PageCase("POST", "console/rules/drafts/<int:draft_id>/publish",
             make=_editor("/console/rules/drafts/{draft}/publish", data={"note": "门槛", "expected_live": "1"},
                          hidden="/console/rules/drafts/999999/publish")),
    PageCase("POST", "console/rules/drafts/<int:draft_id>/discard",
             make=_editor("/console/rules/drafts/{draft}/discard", hidden="/console/rules/drafts/999999/discard")),
]
