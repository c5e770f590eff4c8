"""Publishing rule versions and keeping drafts. Every write of this context is here.

A publish is one transaction: the engine's loader validates the files (the same loader every
process uses to read them back), the row gets the next number, and the version is in force for
every unit of work that starts after the commit (see ``selectors.live_pointer``). Rolling back is a
publish of an earlier version's files under a new number, so the audit list reads as what happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db import IntegrityError, transaction

from backend.accounts.access import ensure_role
from backend.accounts.models import User
from backend.accounts.roles import Role
from backend.core.errors import Conflict, NotFound, ValidationFailed
from backend.rulesets.errors import DefinitionsInvalid, DraftClosed, NothingToPublish, StaleDraft
from backend.rulesets.models import RuleDraft, RuleVersion
from backend.rulesets.selectors import scope_refresh
from workflows.definition_set import DefinitionSet
from workflows.errors import DefinitionError
from workflows.loader import DEFAULT_DEFINITIONS_DIR, load_default_definitions, load_definitions
from workflows.schema import DOCUMENTS

RULE_EDITORS = (Role.ADMINISTRATOR,)
RULE_READERS = (Role.ADMINISTRATOR, Role.ENGINEERING_DIRECTOR)
SHIPPED_NOTE = "shipped defaults (workflows/definitions/)"
MAX_FILE_CHARS = 200_000


def _clean_sources(sources: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(sources, Mapping) or not all(isinstance(v, str) for v in sources.values()):
        raise ValidationFailed(details={"errors": [{"field": "sources", "reason": "expected {file: text}"}]})
    too_long = [name for name, text in sources.items() if len(text) > MAX_FILE_CHARS]
    if too_long:
        raise ValidationFailed(details={"errors": [{"field": name, "reason": f"over {MAX_FILE_CHARS} characters"}
                                                   for name in too_long]})
    return {str(name): text.replace("\r\n", "\n") for name, text in sources.items()}


def definitions_check(sources: Mapping[str, str]) -> DefinitionSet:
    """The engine's own loader, its problems as this project's error (code + params per problem)."""
    try:
        return load_definitions(_clean_sources(sources))
    except DefinitionError as exc:
        raise DefinitionsInvalid(details={"problems": [p.as_dict() for p in exc.problems]}) from exc


def shipped_sources() -> dict[str, str]:
    return {name: (DEFAULT_DEFINITIONS_DIR / name).read_text(encoding="utf-8") for name in DOCUMENTS}


def ensure_version_one(*, now: datetime) -> RuleVersion:
    """Version 1 is the shipped YAML (a migration writes it; this puts it back on a flushed database)."""
    first = RuleVersion.objects.filter(number=1).first()
    if first is not None:
        return first
    shipped = load_default_definitions()
    return RuleVersion.objects.create(number=1, content_hash=shipped.version, sources=dict(shipped.sources),
                                      note=SHIPPED_NOTE, author=None, published_at=now)


def _publish(*, actor: User, sources: Mapping[str, str], note: str, expected_live: int | None, now: datetime,
             restored_from: RuleVersion | None = None) -> tuple[RuleVersion, DefinitionSet]:
    ensure_role(actor, RULE_EDITORS)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(details={"errors": [{"field": "note", "reason": "required"}]})
    definitions = definitions_check(sources)
    ensure_version_one(now=now)
    live = RuleVersion.objects.select_for_update().order_by("-number").first()
    assert live is not None
    if expected_live is not None and live.number != expected_live:
        raise StaleDraft(details={"expected": expected_live, "live": live.number})
    if live.content_hash == definitions.version:
        raise NothingToPublish(details={"live": live.number, "content_hash": definitions.version})
    try:
        with transaction.atomic():
            row = RuleVersion.objects.create(number=live.number + 1, content_hash=definitions.version,
                                             sources=dict(definitions.sources), note=note[:2000], author=actor,
                                             published_at=now, restored_from=restored_from)
    except IntegrityError as exc:  # another publish took the number first
        raise Conflict(code="definitions_publish_race", details={"live": live.number}) from exc
    transaction.on_commit(scope_refresh)
    return row, definitions


def version_publish(*, actor: User, sources: Mapping[str, str], note: str, expected_live: int | None,
                    now: datetime, draft_id: int | None = None) -> RuleVersion:
    """Publishes a new version (optionally closing the draft it came from). Must run inside the
    caller's transaction or opens its own."""
    with transaction.atomic():
        draft = None
        if draft_id is not None:
            draft = RuleDraft.objects.select_for_update().filter(id=draft_id).first()
            if draft is None:
                raise NotFound()
            if draft.status != RuleDraft.Status.OPEN:
                raise DraftClosed(details={"draft": draft_id, "status": draft.status})
        row, _definitions = _publish(actor=actor, sources=sources, note=note, expected_live=expected_live, now=now)
        if draft is not None:
            draft.sources, draft.status, draft.published_as, draft.updated_at = (
                dict(row.sources), RuleDraft.Status.PUBLISHED, row, now)
            draft.save(update_fields=["sources", "status", "published_as", "updated_at"])
    return row


def version_restore(*, actor: User, number: int, note: str, expected_live: int | None, now: datetime) -> RuleVersion:
    """Rollback: publishes version ``number``'s files again, as a new version."""
    ensure_role(actor, RULE_EDITORS)
    with transaction.atomic():
        old = RuleVersion.objects.filter(number=number).first()
        if old is None:
            raise NotFound()
        row, _definitions = _publish(actor=actor, sources=old.sources, note=note, expected_live=expected_live,
                                     now=now, restored_from=old)
    return row


def draft_save(*, actor: User, sources: Mapping[str, str], title: str, now: datetime,
               draft_id: int | None = None) -> RuleDraft:
    """Saves a draft as written, valid or not (an administrator may stop half-way); it is not in force."""
    ensure_role(actor, RULE_EDITORS)
    clean = _clean_sources(sources)
    unknown = sorted(set(clean) - set(DOCUMENTS))
    if unknown:
        raise ValidationFailed(details={"errors": [{"field": name, "reason": "unknown definition file"}
                                                   for name in unknown]})
    with transaction.atomic():
        if draft_id is None:
            live = ensure_version_one(now=now) if not RuleVersion.objects.exists() else (
                RuleVersion.objects.order_by("-number").first())
            return RuleDraft.objects.create(sources=clean, base=live, title=title[:120], author=actor,
                                            created_at=now, updated_at=now)
        draft = RuleDraft.objects.select_for_update().filter(id=draft_id).first()
        if draft is None:
            raise NotFound()
        if draft.status != RuleDraft.Status.OPEN:
            raise DraftClosed(details={"draft": draft_id, "status": draft.status})
        draft.sources = {**draft.sources, **clean}
        if title:
            draft.title = title[:120]
        draft.updated_at = now
        draft.save(update_fields=["sources", "title", "updated_at"])
        return draft


def draft_discard(*, actor: User, draft_id: int, now: datetime) -> RuleDraft:
    ensure_role(actor, RULE_EDITORS)
    with transaction.atomic():
        updated = RuleDraft.objects.filter(id=draft_id, status=RuleDraft.Status.OPEN).update(
            status=RuleDraft.Status.DISCARDED, updated_at=now)
        draft = RuleDraft.objects.filter(id=draft_id).first()
        if draft is None:
            raise NotFound()
        if not updated:
            raise DraftClosed(details={"draft": draft_id, "status": draft.status})
        return draft
