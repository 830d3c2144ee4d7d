"""The dashboard's guard and its templates do not import each other (the shared parts live in context.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import townhall.dashboard

DASHBOARD = Path(townhall.dashboard.__file__).parent


def _imports(module: str) -> set[str]:
    tree = ast.parse((DASHBOARD / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):  # function-level imports count too: no hidden cycle
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_render_does_not_import_access_and_context_imports_neither() -> None:
    assert "townhall.dashboard.access" not in _imports("render")
    assert not {"townhall.dashboard.access", "townhall.dashboard.render"} & _imports("context")
    assert "townhall.dashboard.render" in _imports("access")
