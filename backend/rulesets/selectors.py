"""Which rule set is in force, read so that every process sees a publish at once.

The version in force is the ``RuleVersion`` with the highest number; with none (a database that
was flushed, or before the first migration ran), the shipped YAML. Each unit of work — a request,
a Celery task, or any call outside them — reads that number (one indexed query, or none inside a
``definitions_scope`` that already read it); the loaded set is kept per process by its content hash,
which is safe because the hash is the content (a published version never changes anyway). A process therefore never needs a restart and
never serves a set that was replaced before its work started.
"""

from __future__ import annotations

import contextvars
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from backend.rulesets.models import RuleDraft, RuleVersion
from workflows.definition_set import DefinitionSet
from workflows.loader import load_default_definitions, load_definitions

Pointer = tuple[int, str] | None  # (number, content hash) of the version in force, None: the shipped files
_UNSET: Any = object()
_scope: contextvars.ContextVar[Any] = contextvars.ContextVar("rules_scope", default=_UNSET)

_CACHE_SIZE = 16
_lock = threading.Lock()
_by_hash: OrderedDict[str, DefinitionSet] = OrderedDict()


def live_pointer() -> Pointer:
    """(number, hash) of the version in force: the scope's, or read now."""
    held = _scope.get()
    if held is not _UNSET:
        return held  # type: ignore[no-any-return]
    return read_live_pointer()


def read_live_pointer() -> Pointer:
    row = RuleVersion.objects.order_by("-number").values_list("number", "content_hash").first()
    return (row[0], row[1]) if row else None


@contextmanager
def definitions_scope() -> Iterator[Pointer]:
    """One read of the version in force for a unit of work (a request, a task). Nested scopes reuse
    the outer one's reading, so a request sees one version from start to end."""
    held = _scope.get()
    if held is not _UNSET:
        yield held
        return
    token = _scope.set(read_live_pointer())
    try:
        yield _scope.get()
    finally:
        _scope.reset(token)


def scope_refresh() -> None:
    """After a publish in this unit of work, the rest of it uses the new version."""
    if _scope.get() is not _UNSET:
        _scope.set(read_live_pointer())


def open_scope() -> contextvars.Token[Any]:
    """For frameworks that start and end a unit of work in two callbacks (Celery's task signals)."""
    return _scope.set(read_live_pointer())


def close_scope(token: contextvars.Token[Any]) -> None:
    _scope.reset(token)


def _remember(cache: OrderedDict[Any, DefinitionSet], key: Any, value: DefinitionSet) -> None:
    with _lock:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)


def _load(number: int, content_hash: str) -> DefinitionSet:
    """The set of version ``number``, cached by its content hash: the same hash is the same content,
    whatever happened to numbers (a publish rolled back inside this process, a test database)."""
    found = _by_hash.get(content_hash)
    if found is not None:
        return found
    sources = RuleVersion.objects.values_list("sources", flat=True).get(number=number)
    definitions = load_definitions(sources)
    _remember(_by_hash, content_hash, definitions)
    _remember(_by_hash, definitions.version, definitions)
    return definitions


def live_definitions() -> DefinitionSet:
    """The rule set in force for the work now starting."""
    pointer = live_pointer()
    if pointer is None:
        return load_default_definitions()
    return _load(*pointer)


def definitions_of_version(content_hash: str) -> DefinitionSet | None:
    """The rule set an order was routed and timed with, by the engine's content hash (None when no
    version with that content is stored, e.g. shipped files of an older release)."""
    if not content_hash:
        return None
    found = _by_hash.get(content_hash)
    if found is not None:
        return found
    shipped = load_default_definitions()
    if shipped.version == content_hash:
        return shipped
    number = (RuleVersion.objects.filter(content_hash=content_hash).order_by("-number")
              .values_list("number", flat=True).first())
    return _load(number, content_hash) if number is not None else None


# --- reads for the editor ------------------------------------------------------------------------

def version_list() -> list[RuleVersion]:
    return list(RuleVersion.objects.select_related("author", "restored_from").defer("sources"))


def version_get(*, number: int) -> RuleVersion | None:
    return RuleVersion.objects.select_related("author").filter(number=number).first()


def live_version() -> RuleVersion | None:
    pointer = live_pointer()
    return version_get(number=pointer[0]) if pointer else None


def live_sources() -> Mapping[str, str]:
    return dict(live_definitions().sources)


def draft_list() -> list[RuleDraft]:
    return list(RuleDraft.objects.filter(status=RuleDraft.Status.OPEN).select_related("author", "base")
                .defer("sources"))


def draft_get(*, draft_id: int) -> RuleDraft | None:
    return RuleDraft.objects.select_related("author", "base").filter(id=draft_id).first()
