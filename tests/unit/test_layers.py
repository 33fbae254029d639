"""The core stays framework-free, and routes never reach storage themselves."""
from __future__ import annotations

import ast

from tests.conftest import ROOT


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_archive_never_imports_the_web_layer():
    offenders = [f"{p.relative_to(ROOT)}: {name}" for p in (ROOT / "archive").rglob("*.py")
                 for name in _imports(p) if name.split(".")[0] in {"flask", "flask_wtf", "werkzeug", "app"}]
    assert not offenders, offenders


def test_routes_do_not_touch_storage():
    forbidden = {"sqlalchemy", "whoosh", "archive.model", "archive.db", "archive.search"}
    offenders = [f"{p.relative_to(ROOT)}: {name}" for p in (ROOT / "app").rglob("*.py")
                 for name in _imports(p) if any(name == f or name.startswith(f + ".") for f in forbidden)]
    assert not offenders, offenders
