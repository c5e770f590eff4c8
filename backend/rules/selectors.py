"""Reads of the rules pages: versions, drafts, the difference between two sets of files."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from backend.rulesets.models import RuleVersion
from workflows.schema import DOCUMENTS


def sources_diff(before: Mapping[str, str], after: Mapping[str, str]) -> list[dict[str, Any]]:
    """Per file: the changed lines as a unified diff (files that did not change are left out)."""
    files = []
    for name in DOCUMENTS:
        old, new = before.get(name, ""), after.get(name, "")
        if old == new:
            continue
        lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), fromfile=name, tofile=name,
                                          lineterm="", n=2))
        rows = [{"kind": "add" if line.startswith("+") and not line.startswith("+++") else
                 "del" if line.startswith("-") and not line.startswith("---") else
                 "hunk" if line.startswith("@@") else "ctx", "text": line} for line in lines[2:]]
        files.append({"name": name, "rows": rows,
                      "added": sum(1 for r in rows if r["kind"] == "add"),
                      "removed": sum(1 for r in rows if r["kind"] == "del")})
    return files


def version_sources(number: int) -> dict[str, str] | None:
    row = RuleVersion.objects.filter(number=number).values_list("sources", flat=True).first()
    return dict(row) if row is not None else None
