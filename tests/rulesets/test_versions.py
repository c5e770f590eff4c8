"""Published versions: numbered, immutable, validated by the engine's loader, in force at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.accounts.roles import Role
from backend.core.errors import PermissionDenied, ValidationFailed
from backend.rulesets import selectors
from backend.rulesets.errors import DefinitionsInvalid, NothingToPublish, StaleDraft
from backend.rulesets.models import RuleDraft, RuleVersion
from backend.rulesets.services import (
    draft_discard,
    draft_save,
    shipped_sources,
    version_publish,
    version_restore,
)
from backend.workorders.definitions import active_definitions
from tests.factories import user_with_roles
from tests.rulesets.helpers import lowered_finance_threshold
from workflows.loader import load_default_definitions

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def admin():
    return user_with_roles(Role.ADMINISTRATOR)


def test_a_fresh_install_has_the_shipped_yaml_as_version_one():
    row = RuleVersion.objects.get()
    assert row.number == 1 and row.author is None
    assert row.content_hash == load_default_definitions().version
    assert row.sources == shipped_sources()
    assert active_definitions().version == row.content_hash


def test_publishing_makes_a_new_numbered_version_with_author_time_note_and_hash(admin):
    row = version_publish(actor=admin, sources=lowered_finance_threshold(), note="财务会签门槛降到3000",
                          expected_live=1, now=NOW)
    assert (row.number, row.author, row.published_at, row.note) == (2, admin, NOW, "财务会签门槛降到3000")
    assert active_definitions().version == row.content_hash != load_default_definitions().version
    graph = next(g for g in active_definitions().approvals.graphs if g.code == "manager")
    assert graph.when.amount_yuan is not None and graph.when.amount_yuan.up_to == 3000


def test_invalid_yaml_is_refused_with_its_file_line_and_field_and_nothing_is_published(admin):
    sources = shipped_sources()
    lines = sources["sla.yaml"].splitlines()
    at = next(i for i, line in enumerate(lines) if "targets: {response: 1h" in line)
    lines[at] = lines[at].replace("response: 1h", "response: soon")
    sources["sla.yaml"] = "\n".join(lines) + "\n"
    with pytest.raises(DefinitionsInvalid) as caught:
        version_publish(actor=admin, sources=sources, note="typo", expected_live=1, now=NOW)
    problem = caught.value.details["problems"][0]
    assert (problem["file"], problem["line"]) == ("sla.yaml", at + 1)
    assert problem["path"].endswith("targets.response") and "soon" in problem["message"]
    assert problem["code"].startswith("expected.") and problem["params"]["got"] == '"soon"'
    assert RuleVersion.objects.count() == 1


def test_a_yaml_syntax_error_names_its_line(admin):
    sources = shipped_sources()
    sources["routing.yaml"] = "schema_version: 1\nrules:\n  - code: [broken\n"
    with pytest.raises(DefinitionsInvalid) as caught:
        version_publish(actor=admin, sources=sources, note="x", expected_live=1, now=NOW)
    syntax = [p for p in caught.value.details["problems"] if p["code"] == "yaml.syntax"]
    assert syntax and syntax[0]["file"] == "routing.yaml" and syntax[0]["line"] == 4
    assert RuleVersion.objects.count() == 1


def test_only_an_administrator_publishes_and_a_refusal_changes_nothing():
    director = user_with_roles(Role.ENGINEERING_DIRECTOR)
    with pytest.raises(PermissionDenied):
        version_publish(actor=director, sources=lowered_finance_threshold(), note="x", expected_live=1, now=NOW)
    with pytest.raises(PermissionDenied):
        draft_save(actor=director, sources=lowered_finance_threshold(), title="x", now=NOW)
    assert RuleVersion.objects.count() == 1 and not RuleDraft.objects.exists()


def test_a_publish_over_a_version_the_editor_did_not_see_is_refused(admin):
    version_publish(actor=admin, sources=lowered_finance_threshold(3000), note="a", expected_live=1, now=NOW)
    with pytest.raises(StaleDraft):
        version_publish(actor=admin, sources=lowered_finance_threshold(2000), note="b", expected_live=1, now=NOW)
    assert list(RuleVersion.objects.values_list("number", flat=True)) == [2, 1]


def test_publishing_what_is_in_force_is_refused_and_a_note_is_required(admin):
    with pytest.raises(NothingToPublish):
        version_publish(actor=admin, sources=shipped_sources(), note="same", expected_live=1, now=NOW)
    with pytest.raises(ValidationFailed):
        version_publish(actor=admin, sources=lowered_finance_threshold(), note="  ", expected_live=1, now=NOW)
    assert RuleVersion.objects.count() == 1


def test_rollback_publishes_the_earlier_files_as_a_new_version(admin):
    v2 = version_publish(actor=admin, sources=lowered_finance_threshold(), note="lower", expected_live=1, now=NOW)
    v3 = version_restore(actor=admin, number=1, note="back to the defaults", expected_live=2, now=NOW)
    assert (v3.number, v3.restored_from.number, v3.content_hash) == (3, 1, load_default_definitions().version)
    assert active_definitions().version == load_default_definitions().version
    assert RuleVersion.objects.get(number=2).content_hash == v2.content_hash  # history is untouched


def test_a_unit_of_work_sees_one_version_from_start_to_end(admin):
    with selectors.definitions_scope():
        before = active_definitions().version
        # Another process publishes meanwhile: this request keeps the version it started with.
        RuleVersion.objects.create(number=2, content_hash="f" * 64, sources=lowered_finance_threshold(),
                                   note="elsewhere", author=admin, published_at=NOW)
        assert active_definitions().version == before
    assert active_definitions().version != before  # the next unit of work sees it


def test_a_flushed_database_falls_back_to_the_shipped_files():
    RuleVersion.objects.all().delete()
    assert active_definitions().version == load_default_definitions().version


def test_drafts_are_saved_as_written_without_being_in_force_and_can_be_discarded(admin):
    broken = {**lowered_finance_threshold(), "sla.yaml": "policies: [\n"}
    draft = draft_save(actor=admin, sources=broken, title="半成品", now=NOW)
    assert draft.status == "open" and draft.base.number == 1
    assert active_definitions().version == load_default_definitions().version
    draft = draft_save(actor=admin, draft_id=draft.id, sources={"sla.yaml": shipped_sources()["sla.yaml"]},
                       title="", now=NOW)
    assert draft.sources["sla.yaml"] == shipped_sources()["sla.yaml"] and draft.title == "半成品"
    draft_discard(actor=admin, draft_id=draft.id, now=NOW)
    assert RuleDraft.objects.get(id=draft.id).status == "discarded"


def test_publishing_a_draft_closes_it(admin):
    draft = draft_save(actor=admin, sources=lowered_finance_threshold(), title="门槛", now=NOW)
    row = version_publish(actor=admin, sources=draft.sources, note="门槛", expected_live=1, now=NOW,
                          draft_id=draft.id)
    draft.refresh_from_db()
    assert (draft.status, draft.published_as) == ("published", row)
