"""CONVENTIONS.md §9: ``workflows/`` imports no Django, nor any part of the app built on it."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import workflows

FORBIDDEN = ("django", "ninja", "channels", "celery", "backend", "mobile_sync", "owner_portal")
PACKAGE_DIR = Path(workflows.__file__).parent
REPO_ROOT = PACKAGE_DIR.parent


def _is_forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def test_no_module_of_the_engine_names_django_or_the_app_in_an_import():
    offenders = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            offenders += [f"{path.relative_to(REPO_ROOT)}:{node.lineno} {name}" for name in names
                          if _is_forbidden(name)]
    assert offenders == []


def test_importing_every_module_of_the_engine_loads_no_django():
    modules = ["workflows"] + [f"workflows.{info.name}" for info in pkgutil.iter_modules([str(PACKAGE_DIR)])]
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "from workflows.loader import load_default_definitions\n"
        "load_default_definitions()\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT,
                            check=True)
    assert result.stdout.strip() == "[]", result.stdout
    assert len(modules) >= 12
