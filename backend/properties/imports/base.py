"""Building blocks of registry imports: the error report, column specs and cell parsers.

A parser takes one cell as read from the file (``str`` from CSV; ``str``, ``int``, ``float``,
``datetime`` or ``bool`` from XLSX) and returns the clean value or raises ``CellError`` with a
reason the user can act on. Reasons are English msgids translated when the error is made, in the
language of the request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from backend.core.dates import date_in_window
from backend.properties.errors import InvalidIdNumber, InvalidPhone
from backend.properties.identity import hash_id_number, normalize_phone

# The first this-many errors are returned; the total is always reported.
MAX_REPORTED_ERRORS = 1000
_IN_CHUNK = 500


class CellError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ImportErrorItem:
    row: int | None
    column: str | None
    field: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "field": self.field, "reason": self.reason}


@dataclass
class ErrorReport:
    items: list[ImportErrorItem] = field(default_factory=list)

    def add(self, *, row: int | None, reason: str, column: str | None = None, field: str | None = None) -> None:
        self.items.append(ImportErrorItem(row=row, column=column, field=field, reason=str(reason)))

    def __bool__(self) -> bool:
        return bool(self.items)

    def as_details(self) -> dict[str, Any]:
        # By row; within a row in the order found (the file's column order, then cross-row checks).
        ordered = sorted(self.items, key=lambda e: e.row or 0)
        return {
            "errors": [e.as_dict() for e in ordered[:MAX_REPORTED_ERRORS]],
            "error_count": len(ordered),
            "truncated": len(ordered) > MAX_REPORTED_ERRORS,
        }


@dataclass(frozen=True)
class Column:
    name: str  # canonical English snake_case, also accepted as a header
    aliases: tuple[str, ...]  # other accepted headers (Chinese)
    parse: Callable[[Any], Any]
    required: bool = False
    blank: Any = None  # value of an empty cell in an optional column


@dataclass
class Row:
    """One data row: the values that parsed, and where each column sits in the file."""

    number: int
    values: dict[str, Any]
    headers: dict[str, str]  # canonical name -> header as written in the file
    failed: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.failed

    def has(self, name: str) -> bool:
        return name in self.values

    def error(self, report: ErrorReport, name: str, reason: str) -> None:
        self.failed.add(name)
        report.add(row=self.number, column=self.headers.get(name, name), field=name, reason=reason)


# --- cell parsers


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def text(max_length: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        result = as_text(value)
        if len(result) > max_length:
            raise CellError(_("Text is too long (at most %(n)s characters).") % {"n": max_length})
        return result

    return parse


_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")


def slug(max_length: int) -> Callable[[Any], str]:
    base = text(max_length)

    def parse(value: Any) -> str:
        result = base(value)
        if not _SLUG.match(result):
            raise CellError(_("Use only letters, digits, '-' and '_'."))
        return result

    return parse


def integer(minimum: int, maximum: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise CellError(_("Expected a whole number."))
        try:
            number = Decimal(as_text(value))
        except InvalidOperation as exc:
            raise CellError(_("Expected a whole number.")) from exc
        if not number.is_finite() or number != number.to_integral_value():
            raise CellError(_("Expected a whole number."))
        if not minimum <= number <= maximum:
            raise CellError(_("Expected a whole number from %(min)s to %(max)s.") % {"min": minimum, "max": maximum})
        return int(number)

    return parse


def decimal(*, places: int, minimum: Decimal, maximum: Decimal, exclusive_minimum: bool = False,
            round_extra_places: bool = False) -> Callable[[Any], Decimal]:
    step = Decimal(1).scaleb(-places)

    def parse(value: Any) -> Decimal:
        if isinstance(value, bool):
            raise CellError(_("Expected a number."))
        try:
            number = Decimal(as_text(value))
        except InvalidOperation as exc:
            raise CellError(_("Expected a number.")) from exc
        if not number.is_finite():
            raise CellError(_("Expected a number."))
        rounded = number.quantize(step, rounding=ROUND_HALF_UP)
        if rounded != number and not round_extra_places:
            raise CellError(_("At most %(n)s decimal places.") % {"n": places})
        too_small = rounded <= minimum if exclusive_minimum else rounded < minimum
        if too_small or rounded > maximum:
            if exclusive_minimum:
                raise CellError(_("Expected a number above %(min)s and at most %(max)s.")
                                % {"min": minimum, "max": maximum})
            raise CellError(_("Expected a number from %(min)s to %(max)s.") % {"min": minimum, "max": maximum})
        return rounded

    return parse


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


def a_date(value: Any) -> date:
    day = _parsed_date(value)
    if not date_in_window(day):  # a typo like 0224 or 20224 is refused here, not stored
        raise CellError(_("The date is out of the accepted range (2000–2100 for times, 1900–2100 for dates)."))
    return day


def _parsed_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = as_text(value)
    # Spreadsheets exported to CSV sometimes append a midnight time.
    candidate = raw.split(" ")[0] if re.fullmatch(r"\S+ 0?0:00(:00)?", raw) else raw
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(candidate, fmt).date()  # noqa: DTZ007 — a calendar date, no time zone
        except ValueError:
            continue
    raise CellError(_("Expected a date (YYYY-MM-DD)."))


_TRUE = {"1", "true", "yes", "y", "是", "√", "✓", "t"}
_FALSE = {"0", "false", "no", "n", "否", "×", "f"}


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raw = as_text(value).lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise CellError(_("Expected yes or no (是/否)."))


def choice(mapping: dict[str, str]) -> Callable[[Any], str]:
    """Accepts any key of ``mapping`` (codes and labels, case-insensitive) and returns its value."""
    lowered = {key.lower(): code for key, code in mapping.items()}
    accepted = ", ".join(mapping)

    def parse(value: Any) -> str:
        raw = as_text(value).lower()
        if raw not in lowered:
            raise CellError(_("Expected one of: %(choices)s.") % {"choices": accepted})
        return lowered[raw]

    return parse


def phone(value: Any) -> str:
    try:
        return normalize_phone(as_text(value))
    except InvalidPhone as exc:
        raise CellError(_("Not a valid phone number.")) from exc


def id_number_hash(value: Any) -> str:
    """Parses a resident ID number and returns only its keyed hash: the number itself goes no further."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        raise CellError(_("Store ID numbers as text: the spreadsheet has turned this one into a number and "
                          "may have rounded it."))
    try:
        return hash_id_number(as_text(value))
    except InvalidIdNumber as exc:
        reason = exc.details.get("reason")
        if reason == "checksum":
            raise CellError(_("The check digit of this ID number is wrong.")) from exc
        if reason == "birth_date":
            raise CellError(_("The birth date in this ID number is not a valid date.")) from exc
        raise CellError(_("Expected 18 characters: 17 digits and a final digit or X.")) from exc


# --- database helpers


def fetch_in(qs: QuerySet[Any], field_name: str, values: Iterable[Any]) -> Iterator[Any]:
    """``qs.filter(<field>__in=values)`` in chunks that stay under every database's parameter limit."""
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), _IN_CHUNK):
        yield from qs.filter(**{f"{field_name}__in": unique[start:start + _IN_CHUNK]})


def assign_changes(obj: Model, values: dict[str, Any]) -> set[str]:
    """Sets the attributes that differ and returns their names."""
    changed = set()
    for attr, value in values.items():
        if getattr(obj, attr) != value:
            setattr(obj, attr, value)
            changed.add(attr)
    return changed
