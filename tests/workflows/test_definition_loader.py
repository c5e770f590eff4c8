"""Loading definitions: typed, cross-checked, versioned, and errors that name file, line and field."""

from __future__ import annotations

from datetime import date

import pytest

from workflows.errors import DefinitionError
from workflows.loader import load_definitions


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    position = -1
    for _ in range(occurrence):
        position = text.index(needle, position + 1)
    return text.count("\n", 0, position) + 1


def problems_of(texts, **kwargs) -> list[str]:
    with pytest.raises(DefinitionError) as error:
        load_definitions(texts, **kwargs)
    return [str(problem) for problem in error.value.problems]


def edited(default_texts, name, old, new):
    texts = dict(default_texts)
    assert old in texts[name], old
    texts[name] = texts[name].replace(old, new, 1)
    return texts


def test_the_shipped_definitions_load_with_a_content_hash_version(definitions):
    assert len(definitions.version) == 64 and int(definitions.version, 16) >= 0
    assert definitions.team_codes >= {"gas-team", "service-desk"}
    assert set(definitions.calendars) == {"office", "field-service", "emergency-24x7", "night-duty"}
    assert definitions.category_path("bathroom-leak") == ("waterproofing", "bathroom-leak")
    assert definitions.is_within("bathroom-leak", "waterproofing")
    assert not definitions.is_within("waterproofing", "bathroom-leak")
    assert definitions.default_priority("gas-leak") == "P1"


def test_the_version_ignores_comments_and_layout_but_not_values(default_texts, definitions):
    assert load_definitions(default_texts).version == definitions.version
    reformatted = edited(default_texts, "routing.yaml", "schema_version: 1\n", "# 注释\nschema_version:    1\n\n")
    assert load_definitions(reformatted).version == definitions.version
    changed = edited(default_texts, "sla.yaml", "resolution: 8h", "resolution: 6h")
    assert load_definitions(changed).version != definitions.version


def test_the_sources_are_kept_so_the_app_can_store_the_version(definitions, default_texts):
    assert dict(definitions.sources) == default_texts


def test_a_bad_priority_names_the_file_line_field_and_expectation(default_texts):
    texts = edited(default_texts, "routing.yaml", "priorities: [P1]\n", 'priorities: ["urgent!"]\n')
    line = line_of(texts["routing.yaml"], '"urgent!"')
    assert problems_of(texts) == [
        f'routing.yaml:{line} rules[2].match.priorities[0]: expected one of P1..P4, got "urgent!"'
    ]


def test_references_to_unknown_categories_teams_and_calendars_are_errors(default_texts):
    texts = edited(default_texts, "routing.yaml", "categories: [structure]", "categories: [structur]")
    texts = edited(texts, "routing.yaml", "team: gas-team", "team: gas-tean")
    texts = edited(texts, "routing.yaml", "outside_hours: office", "outside_hours: offce")
    texts = edited(texts, "sla.yaml", "calendar: field-service", "calendar: field")
    texts = edited(texts, "approvals.yaml", "warranty: [out]", "warranty: [out]\n      categories: [gass]")
    routing, sla, approvals = texts["routing.yaml"], texts["sla.yaml"], texts["approvals.yaml"]
    assert sorted(problems_of(texts)) == sorted([
        f'routing.yaml:{line_of(routing, "[structur]")} rules[7].match.categories[0]: '
        'expected a category defined in categories.yaml, got "structur"',
        f'routing.yaml:{line_of(routing, "gas-tean")} rules[0].team: expected a team defined in teams.yaml, '
        'got "gas-tean"',
        f'routing.yaml:{line_of(routing, "offce")} rules[2].match.outside_hours: expected a calendar defined in '
        'calendars.yaml, got "offce"',
        f'sla.yaml:{line_of(sla, "calendar: field")} policies[2].calendar: expected a calendar defined in '
        'calendars.yaml, got "field"',
        f'approvals.yaml:{line_of(approvals, "[gass]")} graphs[1].when.categories[0]: expected a category defined '
        'in categories.yaml, got "gass"',
    ])


def test_every_problem_of_every_file_is_reported_at_once(default_texts):
    texts = edited(default_texts, "categories.yaml", "default_priority: P4}", "default_priority: P5}")
    texts = edited(texts, "calendars.yaml", "mon-fri: [", "mon-fry: [")
    texts = edited(texts, "sla.yaml", "resolution: 8h", "resolution: 1d")
    texts = edited(texts, "approvals.yaml", "mode: all", "mode: some")
    texts = edited(texts, "approvals.yaml", "{up_to: 500}", "{up_to: 500.555}")
    found = problems_of(texts)
    assert len(found) == 5
    assert any(p.endswith('default_priority: expected one of P1..P4, got "P5"') for p in found)
    assert any("calendars[0].hours.mon-fry: expected a weekday" in p for p in found)
    assert any('targets.resolution: expected a duration like 30m, 4h, 1h30m or 15s' in p and 'got "1d"' in p
               for p in found)
    assert any(p.endswith('default.steps[1].mode: expected one of any, all, got "some"') for p in found)
    assert any("up_to: expected an amount in yuan" in p and p.endswith("got 500.555") for p in found)


def test_an_unknown_field_lists_the_fields_that_are_allowed(default_texts):
    texts = edited(default_texts, "routing.yaml", "    strategy: round_robin\n", "    stratgy: round_robin\n")
    [problem] = problems_of(texts)
    assert problem.startswith(f"routing.yaml:{line_of(texts['routing.yaml'], 'stratgy')} rules[9].stratgy: "
                              "unknown field; expected one of code, name, team, skills, strategy")


def test_a_missing_required_field_is_reported_on_its_parent_line(default_texts):
    texts = edited(default_texts, "teams.yaml", "  - {code: gas-team, name: 燃气班组}\n", "  - {code: gas-team}\n")
    assert problems_of(texts) == [
        f"teams.yaml:{line_of(texts['teams.yaml'], '{code: gas-team}')} teams[7].name: "
        "expected a value here (required field), got nothing"
    ]


def test_duplicate_codes_and_duplicate_yaml_keys_are_errors(default_texts):
    texts = edited(default_texts, "teams.yaml", "  - {code: emergency-team", "  - {code: gas-team, name: 重复}\n"
                                                                           "  - {code: emergency-team")
    texts = edited(texts, "sla.yaml", "    calendar: emergency-24x7\n", "    calendar: emergency-24x7\n"
                                                                     "    calendar: office\n")
    found = problems_of(texts)
    teams_text, sla_text = texts["teams.yaml"], texts["sla.yaml"]
    assert f'teams.yaml:{line_of(teams_text, "重复")} teams[8].code: expected a unique team code, got "gas-team" ' \
           f'again (first on line {line_of(teams_text, "gas-team")})' in found
    assert any(p.startswith(f"sla.yaml:{line_of(sla_text, 'calendar: office')} policies[0].calendar: duplicate key")
               for p in found)


def test_a_yaml_syntax_error_names_its_line(default_texts):
    texts = edited(default_texts, "approvals.yaml", "steps: []", "steps: [")
    [problem] = problems_of(texts)
    assert problem.startswith("approvals.yaml:") and "not valid YAML" in problem


def test_missing_and_unknown_files_are_reported(default_texts):
    texts = dict(default_texts)
    del texts["teams.yaml"]
    texts["notes.yaml"] = "a: 1"
    found = problems_of(texts)
    assert any(p.startswith("notes.yaml: unknown definition file") for p in found)
    assert any(p.startswith("teams.yaml: file is missing") for p in found)


def test_teams_must_exist_in_the_app_when_the_app_names_its_teams(default_texts, definitions):
    codes = set(definitions.team_codes)
    assert load_definitions(default_texts, team_codes=codes).version == definitions.version
    found = problems_of(default_texts, team_codes=codes - {"gas-team"})
    assert found == [f"teams.yaml:{line_of(default_texts['teams.yaml'], 'gas-team')} teams[7].code: "
                     'expected a team that exists in the app, got "gas-team"']


def test_calendar_rules_that_cannot_work_are_refused(default_texts):
    texts = edited(default_texts, "calendars.yaml", '      mon-sun: ["18:00-08:00"]', "      {}")
    texts = edited(texts, "calendars.yaml", "    always_open: true\n", "    always_open: true\n"
                                                                       "    hours: {mon: [\"08:00-09:00\"]}\n")
    texts = edited(texts, "calendars.yaml", '      mon-fri: ["08:30-12:00", "13:30-17:30"]\n',
                   '      mon-fri: ["08:30-12:00", "13:30-17:30"]\n'
                   '    closures: [{from: 2026-05-01, to: 2026-05-03}]\n'
                   '    openings: [{date: 2026-05-02}]\n')
    found = problems_of(texts)
    assert len(found) == 3
    assert any("calendars[3].hours: expected working hours on at least one weekday" in p for p in found)
    assert any("calendars[2].hours: expected no hours on a calendar that is always_open" in p for p in found)
    assert any("calendars[0].openings[0]: expected each date either closed or opened, but 2026-05-02 is also in "
               "closures[0]" in p for p in found)


def test_sla_and_approval_shapes_are_checked(default_texts):
    texts = edited(default_texts, "sla.yaml", "{level: warning, at_percent: 50, notify: technician}",
                   "{level: warning, at_percent: 50, after_deadline: 1h, notify: technician}")
    texts = edited(texts, "approvals.yaml", "        on_timeout: escalate\n        escalate_to: "
                                            "[{role: engineering_director, scope: project}]\n",
                   "        on_timeout: escalate\n")
    found = problems_of(texts)
    assert any("alerts[0]: expected exactly one of `at_percent` or `after_deadline`" in p for p in found)
    assert any("graphs[2].steps[0]: expected `escalate_to` when `on_timeout` is escalate" in p for p in found)


def test_a_directory_loads_like_the_mapping_of_its_files(tmp_path, default_texts, definitions):
    for name, text in default_texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert load_definitions(tmp_path).version == definitions.version


def test_the_error_lists_its_problems_as_data_for_the_app(default_texts):
    texts = edited(default_texts, "routing.yaml", "priorities: [P1]\n", "priorities: [P9]\n")
    with pytest.raises(DefinitionError) as error:
        load_definitions(texts)
    assert error.value.code == "definitions.invalid"
    [problem] = error.value.details["problems"]
    assert problem["file"] == "routing.yaml" and problem["path"] == "rules[2].match.priorities[0]"
    assert "1 problem in the workflow definitions" in error.value.message


def test_health_warnings_name_the_years_without_official_holiday_data(definitions):
    warnings = definitions.health_warnings(date(2026, 11, 25))
    assert {(w.calendar, w.year) for w in warnings} == {("office", 2027), ("field-service", 2027)}
    assert "2027" in warnings[0].message and "official_days" in warnings[0].message
    assert definitions.health_warnings(date(2026, 3, 1)) == []
