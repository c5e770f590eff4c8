"""Compiles locale/*/LC_MESSAGES/*.po into .mo with polib, so no gettext tools are needed on the machine."""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent.parent


def compile_all(root: Path = ROOT) -> list[Path]:
    written = []
    catalogues = [*(root / "locale").glob("*/LC_MESSAGES/*.po"), *(root / "backend").glob("*/locale/*/LC_MESSAGES/*.po")]
    for po_path in sorted(catalogues):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


if __name__ == "__main__":
    for path in compile_all():
        print(f"compiled {path.relative_to(ROOT)}", file=sys.stderr)
