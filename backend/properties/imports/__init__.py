"""Bulk import of the property registry from CSV or XLSX: all rows or nothing.

Every row is validated before anything is written and every problem is reported as
``{row, column, field, reason}`` (``row`` as the spreadsheet shows it, the header being row 1;
``column`` as written in the file's header; ``field`` the canonical column name). When the file is
clean, all rows are written in one transaction. ``dry_run`` validates and counts without writing.

Columns have English snake_case names and accept Chinese headers (``项目编码`` for
``project_code`` …); see ``COLUMNS`` for each kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from backend.properties.access import ensure_registry_manager
from backend.properties.errors import ImportConflict, ImportInvalid
from backend.properties.imports.base import CellError, Column, ErrorReport, Row, is_blank
from backend.properties.imports.kinds import (
    BUILDING_COLUMNS,
    PROJECT_COLUMNS,
    UNIT_COLUMNS,
    KindSpec,
    plan_buildings,
    plan_projects,
    plan_units,
)
from backend.properties.imports.owners import OWNERS
from backend.properties.imports.reading import Table, normalize_header, read_table, refuse

KINDS: dict[str, KindSpec] = {
    "projects": KindSpec("projects", PROJECT_COLUMNS, plan_projects),
    "buildings": KindSpec("buildings", BUILDING_COLUMNS, plan_buildings),
    "units": KindSpec("units", UNIT_COLUMNS, plan_units),
    "owners": OWNERS,
}
IMPORT_KINDS = tuple(KINDS)
# For documentation and templates: kind -> [(column, required, accepted headers)].
COLUMNS: dict[str, list[tuple[str, bool, tuple[str, ...]]]] = {
    kind: [(c.name, c.required, c.aliases) for c in spec.columns] for kind, spec in KINDS.items()
}

__all__ = ["COLUMNS", "IMPORT_KINDS", "ImportResult", "bind_columns", "import_file", "parse_rows", "registry_file_import"]


@dataclass(frozen=True)
class ImportResult:
    kind: str
    dry_run: bool
    rows: int
    models: dict[str, dict[str, int]]  # model -> {created, updated, unchanged}

    def total(self, what: str) -> int:
        return sum(counts[what] for counts in self.models.values())

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "dry_run": self.dry_run, "rows": self.rows, "created": self.total("created"),
                "updated": self.total("updated"), "unchanged": self.total("unchanged"), "models": self.models}


def registry_file_import(*, actor: Any, kind: str, filename: str, content: bytes, dry_run: bool = False) -> ImportResult:
    """The import as offered to users: registry managers only."""
    ensure_registry_manager(actor)
    return import_file(kind=kind, filename=filename, content=content, dry_run=dry_run)


def import_file(*, kind: str, filename: str, content: bytes, dry_run: bool = False) -> ImportResult:
    """Runs an import without a role check: for trusted callers (the command line) only."""
    spec = KINDS.get(kind)
    if spec is None:
        raise refuse(_("Unknown import kind '%(kind)s'. Expected one of: %(kinds)s.")
                     % {"kind": kind, "kinds": ", ".join(IMPORT_KINDS)})
    table = read_table(filename=filename, content=content)
    report = ErrorReport()
    positions = _bind_columns(table, spec.columns, report)
    if report:
        raise ImportInvalid(details=report.as_details())
    rows = _parse_rows(table, spec.columns, positions, report)
    try:
        with transaction.atomic():
            plan = spec.plan(rows, report)
            if report:
                raise ImportInvalid(details=report.as_details())
            if not dry_run:
                plan.apply()
    except IntegrityError as exc:
        # Someone changed the same records between our reads and our writes; all was rolled back.
        raise ImportConflict() from exc
    return ImportResult(kind=kind, dry_run=dry_run, rows=len(rows), models=plan.counts())


def _bind_columns(table: Table, columns: tuple[Column, ...], report: ErrorReport) -> dict[str, int]:
    accepted: dict[str, str] = {}
    for column in columns:
        for name in (column.name, *column.aliases):
            accepted[normalize_header(name)] = column.name
    positions: dict[str, int] = {}
    for index, header in enumerate(table.header):
        if not header:
            continue
        canonical = accepted.get(normalize_header(header))
        if canonical is None:
            report.add(row=table.header_row, column=header, reason=_("Unknown column. Expected columns: %(columns)s.")
                       % {"columns": ", ".join(c.name for c in columns)})
        elif canonical in positions:
            report.add(row=table.header_row, column=header, field=canonical,
                       reason=_("This column appears twice (also as '%(other)s').")
                       % {"other": table.header[positions[canonical]]})
        else:
            positions[canonical] = index
    for column in columns:
        if column.required and column.name not in positions:
            report.add(row=table.header_row, column=column.name, field=column.name,
                       reason=_("Required column is missing (accepted headers: %(names)s).")
                       % {"names": " / ".join((column.name, *column.aliases))})
    return positions


def _parse_rows(table: Table, columns: tuple[Column, ...], positions: dict[str, int],
                report: ErrorReport) -> list[Row]:
    headers = {name: table.header[index] for name, index in positions.items()}
    known = set(positions.values())
    rows = []
    for number, cells in table.rows:
        row = Row(number=number, values={}, headers=headers)
        for column in columns:
            index = positions.get(column.name)
            if index is None:
                continue
            raw = cells[index] if index < len(cells) else None
            if is_blank(raw):
                if column.required:
                    row.error(report, column.name, _("A value is required."))
                else:
                    row.values[column.name] = column.blank
                continue
            try:
                row.values[column.name] = column.parse(raw)
            except CellError as exc:
                row.error(report, column.name, exc.reason)
        for index, raw in enumerate(cells):
            if index not in known and not is_blank(raw):
                letter = get_column_letter(index + 1)
                row.failed.add(letter)
                report.add(row=number, column=letter,
                           reason=_("This cell is outside the named columns: give its column a header or clear it."))
        rows.append(row)
    return rows


# The same column binding and row parsing for other contexts' imports (the CRM's customers).
bind_columns = _bind_columns
parse_rows = _parse_rows
