"""Load a definition set from YAML and report every problem with its file, line and field.

    routing.yaml:42 rules[3].match.priorities[0]: expected one of P1..P4, got "urgent!"

A set is six files (see ``schema.DOCUMENTS``), read from a directory or given as
``{filename: text}`` (the way the app stores versions in its database). Each file is composed into
a YAML node tree once: the nodes give the lines, the constructed data goes to pydantic, and
pydantic's error locations are mapped back onto the nodes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, get_args

import yaml
from pydantic import BaseModel, ValidationError

from workflows.checks import run_checks
from workflows.definition_set import DefinitionSet
from workflows.errors import DefinitionError, DefinitionProblem
from workflows.schema import (
    DOCUMENTS,
    ApprovalsDoc,
    CalendarsDoc,
    CategoriesDoc,
    Model,
    RoutingDoc,
    SlaDoc,
    TeamsDoc,
)

DEFAULT_DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"

Loc = tuple[str | int, ...]


def format_path(path: Loc) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class Locator:
    """Maps a field path of one file to the line it is written on."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[Loc, int] = {(): 1}
        self.problems: list[DefinitionProblem] = []

    def walk(self, node: yaml.Node, path: Loc = ()) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else f"<key at line {line}>"
                if key in seen:
                    self.problems.append(self.problem(
                        path + (key,), f"duplicate key {key!r} (first written on line {seen[key]}); "
                                       "expected each key once", line=line,
                        code="yaml.duplicate_key", params={"key": key, "first_line": seen[key]}))
                    continue
                seen[key] = line
                self.lines[path + (key,)] = line
                self.walk(value_node, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.lines[path + (index,)] = item.start_mark.line + 1
                self.walk(item, path + (index,))

    def line(self, path: Loc) -> int:
        for end in range(len(path), -1, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return 1

    def problem(self, path: Loc, message: str, *, line: int | None = None, code: str = "definitions.problem",
                params: dict[str, Any] | None = None) -> DefinitionProblem:
        return DefinitionProblem(self.file, line if line is not None else self.line(path), format_path(path), message,
                                 code, dict(params or {}))


# --- turning pydantic errors into sentences ---------------------------------------------------------

def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _allowed_fields(document: type[Model], path: Loc) -> list[str]:
    current: type[BaseModel] | None = document
    for part in path:
        if isinstance(part, int):
            continue
        if current is None:
            return []
        fields = {field.alias or name: field for name, field in current.model_fields.items()}
        if part not in fields:
            return []
        current = _model_in(fields[part].annotation)
    if current is None:
        return []
    return [field.alias or name for name, field in current.model_fields.items()]


_PLAIN_EXPECTATIONS = {
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "bool_type": "true or false",
    "bool_parsing": "true or false", "string_type": "a text", "tuple_type": "a list", "list_type": "a list",
    "dict_type": "a mapping", "model_type": "a mapping of fields", "model_attributes_type": "a mapping of fields",
}


def describe_error(error: Mapping[str, Any], document: type[Model], path: Loc) -> str:
    return explain_error(error, document, path)[0]


def explain_error(error: Mapping[str, Any], document: type[Model], path: Loc) -> tuple[str, str, dict[str, Any]]:
    """(English sentence, code, params) for one pydantic error. The code names what was expected
    (``expected.whole_number``, ``expected.one_of`` …) and ``params`` hold ``got`` and the bounds."""
    kind = str(error["type"])
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    message = str(error["msg"])
    got = _show(value)
    if kind == "missing":
        return "expected a value here (required field), got nothing", "field.required", {}
    if kind == "extra_forbidden":
        allowed = _allowed_fields(document, path[:-1])
        hint = f"; expected one of {', '.join(allowed)}" if allowed else ""
        return f"unknown field{hint}", "field.unknown", {"allowed": ", ".join(allowed)}
    if message.startswith("expected "):
        expected = message[len("expected "):]
        code = f"expected.{kind}"
        if expected.startswith("one of ") and not isinstance(value, dict | list):
            return f"expected {expected}, got {got}", "expected.one_of", {"choices": expected[7:], "got": got}
        if isinstance(value, dict | list):
            return f"expected {expected}", code, {"expected": expected}
        return f"expected {expected}, got {got}", code, {"expected": expected, "got": got}
    params: dict[str, Any] = {"got": got}
    if kind == "literal_error":
        choices = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        expected, code = f"one of {choices}", "expected.one_of"
        params["choices"] = choices
    elif kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        words = {"greater_than": "greater than", "greater_than_equal": "at least",
                 "less_than": "less than", "less_than_equal": "at most"}[kind]
        bound = next(iter(ctx.values()), "")
        expected, code = f"a number {words} {bound}", f"expected.{kind}"
        params["bound"] = str(bound)
    elif kind == "too_short":
        count = int(ctx.get("min_length", 1))
        expected, code = f"at least {count} item{'s' if count != 1 else ''}", "expected.too_short"
        params["count"] = count
    elif kind in _PLAIN_EXPECTATIONS:
        expected = _PLAIN_EXPECTATIONS[kind]
        code = "expected." + _PLAIN_CODES.get(kind, kind)
    else:
        expected = message[0].lower() + message[1:]
        code = "expected.other"
        params["expected"] = expected
    return f"expected {expected}, got {got}", code, params


_PLAIN_CODES = {
    "int_type": "whole_number", "int_parsing": "whole_number", "int_from_float": "whole_number",
    "float_type": "number", "float_parsing": "number", "bool_type": "boolean", "bool_parsing": "boolean",
    "string_type": "text", "tuple_type": "list", "list_type": "list", "dict_type": "mapping",
    "model_type": "mapping", "model_attributes_type": "mapping",
}


def _validation_problems(exc: ValidationError, document: type[Model], locator: Locator) -> list[DefinitionProblem]:
    problems = []
    for error in exc.errors():
        if error["type"] == "too_short" and error.get("input"):
            continue  # items failed validation and are reported themselves
        path: Loc = tuple(part for part in error["loc"] if part != "[key]")
        message, code, params = explain_error(error, document, path)
        problems.append(locator.problem(path, message, code=code, params=params))
    return problems


# --- reading ----------------------------------------------------------------------------------------

def _read_source(source: Path | str | Mapping[str, str] | None) -> dict[str, str]:
    if isinstance(source, Mapping):
        return dict(source)
    directory = Path(source) if source is not None else DEFAULT_DEFINITIONS_DIR
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(directory.glob("*.yaml"))}


def _parse(name: str, text: str) -> tuple[bool, Any, Locator, list[DefinitionProblem]]:
    locator = Locator(name)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        detail = " ".join(part for part in (exc.context, exc.problem) if part)
        return False, None, locator, [DefinitionProblem(name, line, "", f"not valid YAML: {detail}", "yaml.syntax",
                                                        {"detail": detail})]
    except yaml.YAMLError as exc:
        return False, None, locator, [DefinitionProblem(name, None, "", f"not valid YAML: {exc}", "yaml.syntax",
                                                        {"detail": str(exc)})]
    finally:
        loader.dispose()
    if node is not None:
        locator.walk(node)
    return True, data, locator, list(locator.problems)


def canonical_version(documents: Mapping[str, Model]) -> str:
    """SHA-256 over the validated content: comments, key order and layout do not change it,
    a changed value or a changed default does."""
    payload = {name: documents[name].model_dump(mode="json", by_alias=True) for name in sorted(documents)}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_definitions(
    source: Path | str | Mapping[str, str] | None = None,
    *,
    team_codes: Collection[str] | None = None,
) -> DefinitionSet:
    """Load and check a definition set; raise ``DefinitionError`` listing every problem.

    ``source`` is a directory, a ``{filename: text}`` mapping, or None for the shipped defaults.
    ``team_codes``, when given, are the teams that exist in the app: every team of teams.yaml
    must be one of them.
    """
    texts = _read_source(source)
    problems: list[DefinitionProblem] = []
    expected = ", ".join(DOCUMENTS)
    for name in sorted(set(texts) - set(DOCUMENTS)):
        problems.append(DefinitionProblem(name, None, "", f"unknown definition file; expected one of {expected}",
                                          "file.unknown", {"expected": expected}))
    documents: dict[str, Model] = {}
    locators: dict[str, Locator] = {}
    for name, document in DOCUMENTS.items():
        if name not in texts:
            problems.append(DefinitionProblem(name, None, "", f"file is missing; a definition set needs {expected}",
                                              "file.missing", {"expected": expected}))
            continue
        parsed, data, locator, parse_problems = _parse(name, texts[name])
        locators[name] = locator
        problems.extend(parse_problems)
        if not parsed:
            continue
        try:
            documents[name] = document.model_validate(data)
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, document, locator))
    problems.extend(run_checks(documents, locators, team_codes))
    if problems:
        order = {name: index for index, name in enumerate(DOCUMENTS)}
        problems.sort(key=lambda p: (order.get(p.file, -1), p.line or 0))
        raise DefinitionError(problems)
    return DefinitionSet(
        version=canonical_version(documents),
        sources={name: texts[name] for name in DOCUMENTS},
        categories=_typed(documents, "categories.yaml", CategoriesDoc),
        teams=_typed(documents, "teams.yaml", TeamsDoc),
        calendars=_typed(documents, "calendars.yaml", CalendarsDoc),
        routing=_typed(documents, "routing.yaml", RoutingDoc),
        sla=_typed(documents, "sla.yaml", SlaDoc),
        approvals=_typed(documents, "approvals.yaml", ApprovalsDoc),
    )


ModelT = TypeVar("ModelT", bound=Model)


def _typed(documents: Mapping[str, Model], name: str, kind: type[ModelT]) -> ModelT:
    document = documents[name]
    assert isinstance(document, kind)
    return document


@lru_cache(maxsize=1)
def load_default_definitions() -> DefinitionSet:
    """The definitions shipped in ``workflows/definitions/`` (loaded once per process)."""
    return load_definitions(DEFAULT_DEFINITIONS_DIR)
