"""The package's public API, and what it may import (stdlib, Jinja2, PyYAML and itself: no torch)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import dlbox.report

PACKAGE = Path(dlbox.report.__file__).parent
ALLOWED = {"jinja2", "yaml", "dlbox"}


def test_public_api():
    for name in ("run_status", "headline", "write_report", "describe_run", "find_runs", "write_comparison", "render"):
        assert callable(getattr(dlbox.report, name)), name


def test_report_modules_import_only_stdlib_jinja2_yaml_and_the_report_package():
    bad = []
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "__future__":
                    continue
                if top not in ALLOWED or (top == "dlbox" and not name.startswith("dlbox.report")):
                    bad.append(f"{path.name}: {name}")
    assert not bad, bad
