"""The editor: the engine's own loader checks every change and answers with each problem at its file,
line and field, in the reader's language; form edits write the same YAML; drafts are not in force."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from backend.accounts.roles import Role
from backend.rulesets.models import RuleDraft, RuleVersion
from backend.rulesets.services import draft_save, shipped_sources
from backend.workorders.definitions import active_definitions
from tests.factories import user_with_roles
from workflows.loader import load_default_definitions, load_definitions

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    admin = user_with_roles(Role.ADMINISTRATOR)
    client = Client()
    client.force_login(admin)
    client.admin = admin
    return client


def _broken_sla() -> tuple[dict[str, str], int]:
    sources = shipped_sources()
    lines = sources["sla.yaml"].splitlines()
    at = next(i for i, line in enumerate(lines) if "priorities: [P3]" in line)
    lines[at] = lines[at].replace("P3", "P9")
    sources["sla.yaml"] = "\n".join(lines) + "\n"
    return sources, at + 1


def _validate(client: Client, sources: dict[str, str], language: str = "zh-hans"):
    return client.post("/console/rules/validate", data=json.dumps({"sources": sources}),
                       content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)


def test_validation_names_the_line_and_field_in_chinese_by_default(admin_client):
    sources, line = _broken_sla()
    body = _validate(admin_client, sources).json()
    assert body["ok"] is False
    (problem,) = body["problems"]
    assert problem["where"] == f"sla.yaml:{line} policies[3].match.priorities[0]"
    assert problem["text"] == '应为 P1..P4 之一，实际为 "P9"'
    assert "修正之前不会生效" in body["summary"]


def test_validation_speaks_english_to_an_english_reader(admin_client):
    sources, line = _broken_sla()
    (problem,) = _validate(admin_client, sources, "en").json()["problems"]
    assert problem["text"] == 'expected one of P1..P4, got "P9"' and problem["line"] == line


def test_valid_files_answer_with_the_engines_content_hash(admin_client):
    body = _validate(admin_client, shipped_sources()).json()
    assert body == {"ok": True, "problems": [], "version": load_default_definitions().version,
                    "summary": "未发现问题。"}


def test_a_make_up_working_day_on_a_weekday_is_refused_at_its_line(admin_client):
    draft = draft_save(actor=admin_client.admin, sources=shipped_sources(), title="2027", now=timezone.now())
    response = admin_client.post(f"/console/rules/drafts/{draft.id}/forms/official-year", {
        "year": "2027", "notice": "国务院办公厅关于2027年部分节假日安排的通知",
        "holidays": "2027-01-01 元旦\n2027-02-06..2027-02-13 春节", "workdays": "2027-02-15 错误的调休"})
    assert response.status_code == 302
    draft.refresh_from_db()
    body = _validate(admin_client, draft.sources).json()
    (problem,) = body["problems"]
    line = draft.sources["calendars.yaml"].splitlines()[problem["line"] - 1]
    assert "2027-02-15" in line and problem["path"] == "official_days[0].workdays[0]"
    assert "调休上班日必须是周六或周日" in problem["text"]


def test_entering_a_year_clears_the_calendar_health_warning_once_published(admin_client):
    draft = draft_save(actor=admin_client.admin, sources=shipped_sources(), title="2027", now=timezone.now())
    admin_client.post(f"/console/rules/drafts/{draft.id}/forms/official-year", {
        "year": "2027", "notice": "国务院办公厅关于2027年部分节假日安排的通知",
        "holidays": "2027-01-01 元旦\n2027-02-06..2027-02-13 春节", "workdays": "2027-02-14 春节调休"})
    draft.refresh_from_db()
    from datetime import date
    assert any(w.year == 2027 for w in load_definitions(shipped_sources()).health_warnings(date(2026, 12, 2)))
    response = admin_client.post(f"/console/rules/drafts/{draft.id}/publish",
                                 {"note": "录入2027年节假日", "expected_live": "1"})
    assert response.status_code == 302
    assert not [w for w in active_definitions().health_warnings(date(2026, 12, 2)) if w.year == 2027]


def test_a_form_edit_keeps_the_files_comments_and_changes_one_value(admin_client):
    draft = draft_save(actor=admin_client.admin, sources=shipped_sources(), title="门槛", now=timezone.now())
    response = admin_client.post(f"/console/rules/drafts/{draft.id}/forms/approval-threshold",
                                 {"old": "5000", "new": "3000"})
    assert response.status_code == 302 and response["Location"].endswith("?file=approvals.yaml")
    draft.refresh_from_db()
    old, new = shipped_sources()["approvals.yaml"].splitlines(), draft.sources["approvals.yaml"].splitlines()
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    assert len(changed) == 2 and all("5000}" in a and "3000}" in b for a, b in changed)
    assert RuleVersion.objects.count() == 1  # a draft is not in force


def test_a_form_edit_with_a_bad_value_is_refused_in_the_users_language_and_changes_nothing(admin_client):
    draft = draft_save(actor=admin_client.admin, sources=shipped_sources(), title="门槛", now=timezone.now())
    response = admin_client.post(f"/console/rules/drafts/{draft.id}/forms/approval-threshold",
                                 {"old": "5000", "new": "三千"})
    assert response.status_code == 422 and "请输入金额" in response.content.decode()
    assert RuleDraft.objects.get(id=draft.id).sources == shipped_sources()


def test_saving_a_draft_keeps_invalid_text_and_reports_its_problems(admin_client):
    draft = draft_save(actor=admin_client.admin, sources=shipped_sources(), title="x", now=timezone.now())
    sources, line = _broken_sla()
    response = admin_client.post(f"/console/rules/drafts/{draft.id}/save", data=json.dumps({"sources": sources}),
                                 content_type="application/json")
    body = response.json()
    assert response.status_code == 200 and body["problems"][0]["line"] == line
    assert RuleDraft.objects.get(id=draft.id).sources["sla.yaml"] == sources["sla.yaml"]
    assert active_definitions().version == load_default_definitions().version


def test_malformed_json_is_a_422_in_the_error_shape(admin_client):
    response = admin_client.post("/console/rules/validate", data="{not json", content_type="application/json")
    assert response.status_code == 422 and set(response.json()) == {"code", "message", "details"}


def test_publishing_invalid_rules_from_the_page_shows_the_problems_and_publishes_nothing(admin_client):
    draft = draft_save(actor=admin_client.admin, sources=shipped_sources(), title="x", now=timezone.now())
    sources, _line = _broken_sla()
    response = admin_client.post(f"/console/rules/drafts/{draft.id}/publish",
                                 {"note": "x", "expected_live": "1", "file:sla.yaml": sources["sla.yaml"]})
    assert response.status_code == 422
    assert RuleVersion.objects.count() == 1 and RuleDraft.objects.get(id=draft.id).status == "open"


def test_the_editor_page_loads_codemirror_and_lists_the_files(admin_client):
    draft = draft_save(actor=admin_client.admin, sources=shipped_sources(), title="x", now=timezone.now())
    body = admin_client.get(f"/console/rules/drafts/{draft.id}").content.decode()
    assert "console/build/rules.js" in body
    assert all(f'data-file="{name}"' in body for name in shipped_sources())


def test_the_routing_form_gives_basement_leaks_to_the_waterproofing_team(admin_client):
    draft = draft_save(actor=admin_client.admin, sources=shipped_sources(), title="地下室渗水", now=timezone.now())
    page = admin_client.get(f"/console/rules/drafts/{draft.id}").content.decode()
    teams = sorted(load_default_definitions().team_codes)
    assert all(f"<option>{team}</option>" in page for team in teams)
    rule = load_default_definitions().routing.rules[0]
    other = next(team for team in teams if team != rule.team)
    response = admin_client.post(f"/console/rules/drafts/{draft.id}/forms/routing-rule",
                                 {"rule": rule.code, "team": other, "categories": "waterproofing, drainage"})
    assert response.status_code == 302
    draft.refresh_from_db()
    edited = load_definitions(draft.sources).routing.rules[0]
    assert (edited.code, edited.team, tuple(edited.match.categories)) == (rule.code, other,
                                                                         ("waterproofing", "drainage"))
