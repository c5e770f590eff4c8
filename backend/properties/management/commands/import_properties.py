from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.properties.errors import ImportConflict, ImportInvalid
from backend.properties.imports import IMPORT_KINDS, import_file


class Command(BaseCommand):
    help = ("Imports projects, buildings, units or owners from a CSV (UTF-8 or GBK) or XLSX file. "
            "All rows or nothing; re-importing the same file changes nothing.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", required=True, choices=IMPORT_KINDS)
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Validate and count; write nothing.")

    def handle(self, *args: Any, kind: str, path: Path, dry_run: bool, **options: Any) -> None:
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        try:
            result = import_file(kind=kind, filename=path.name, content=content, dry_run=dry_run)
        except ImportInvalid as exc:
            for error in exc.details["errors"]:
                where = f"row {error['row']}" if error["row"] is not None else "file"
                column = f", column {error['column']}" if error["column"] else ""
                self.stderr.write(f"{where}{column}: {error['reason']}")
            if exc.details.get("truncated"):
                self.stderr.write(f"… {exc.details['error_count']} errors in all")
            raise CommandError(f"{path.name}: nothing imported ({exc.details['error_count']} errors)") from exc
        except ImportConflict as exc:
            raise CommandError(str(exc.message)) from exc
        prefix = "dry run, nothing written: " if dry_run else ""
        parts = [f"{name}: {c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged"
                 for name, c in result.models.items()]
        self.stdout.write(f"{prefix}{result.rows} rows · " + "; ".join(parts))
