"""The layering rules of docs/architecture.md, read from the source (function-local imports included).

Each failure names the importing file and line, and the rule it breaks.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "dlbox"

# Packages whose code the lower layers may not reach: the engine, the tasks, the CLI and the algorithm packages.
ALGORITHMS = ("segmentation", "autoencoders", "attacks", "style", "dream", "visualize", "optimize_input", "features",
              "detection", "generative", "analysis", "fundamentals")
LOW = ("models", "layers", "formulas", "ops")


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(module: str, path: Path) -> list[tuple[str, int]]:
    """``(imported module, line)`` for every import in ``path``, resolved to a module of this package or left as is."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                name = f"{base}.{alias.name}"
                found.append((name if name in MODULES else base, node.lineno))
    return found


IMPORTS = {module: _imports(module, path) for module, path in MODULES.items()}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _violations(rule) -> list[str]:
    out = []
    for module, imports in IMPORTS.items():
        for target, line in imports:
            why = rule(module, target)
            if why:
                out.append(f"{MODULES[module].relative_to(SRC.parent)}:{line} imports {target}: {why}")
    return out


def _ours(target: str) -> bool:
    return target == PACKAGE or target.startswith(PACKAGE + ".")


def test_low_layers_import_only_low_layers():
    def rule(module, target):
        if _layer(module) in LOW and _ours(target) and _layer(target) in ("engine", "tasks", "cli", *ALGORITHMS):
            return f"{_layer(module)}/ may import only layers/, ops/, formulas/, models/ and shared top-level modules"
        return None

    assert _violations(rule) == []


def test_engine_imports_no_task_and_no_cli():
    def rule(module, target):
        if _layer(module) == "engine" and _ours(target) and _layer(target) in ("tasks", "cli"):
            return "engine/ is task-agnostic"
        return None

    assert _violations(rule) == []


def test_data_imports_no_models():
    def rule(module, target):
        if _layer(module) == "data" and _ours(target) and _layer(target) in ("models", "engine", "tasks", "cli", *ALGORITHMS):
            return "data/ is below models/ and the tasks"
        return None

    assert _violations(rule) == []


def test_fundamentals_import_numpy_and_the_standard_library_only():
    def rule(module, target):
        top = target.split(".")[0]
        if _layer(module) == "fundamentals" and not (top in sys.stdlib_module_names or top == "numpy" or target.startswith(f"{PACKAGE}.fundamentals")):
            return "fundamentals/ is NumPy and the standard library only"
        return None

    assert _violations(rule) == []


def test_nothing_imports_the_cli():
    def rule(module, target):
        if _layer(module) != "cli" and _ours(target) and _layer(target) == "cli":
            return "the CLI sits on top; move the logic into the API"
        return None

    assert _violations(rule) == []


def test_reports_need_no_torch_and_only_the_tour_and_cli_sit_above_everything():
    """report/ reads run directories with the standard library, Jinja2 and PyYAML (and engine.rundir); only the CLI
    imports the tour."""
    def rule(module, target):
        top = target.split(".")[0]
        if _layer(module) == "report" and not (top in sys.stdlib_module_names or top in ("jinja2", "yaml")
                                                or target.startswith((f"{PACKAGE}.report", f"{PACKAGE}.engine.rundir"))):
            return "report/ uses the standard library, jinja2, yaml and engine.rundir only"
        if _layer(target) == "tour" and _ours(target) and _layer(module) not in ("tour", "cli"):
            return "the tour runs the commands; nothing but the CLI builds on it"
        return None

    assert _violations(rule) == []


def test_no_import_cycles():
    graph = defaultdict(set)
    for module, imports in IMPORTS.items():
        for target, _ in imports:
            if target in MODULES and target != module:
                graph[module].add(target)
    cycles = _cycles(graph)
    assert cycles == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each listed sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


@pytest.mark.parametrize("rule", ["low", "engine"])
def test_the_rules_catch_a_violation(rule):
    """The checker itself: a made-up import that breaks a rule is reported with its file and line."""
    module = {"low": "dlbox.models.cnn", "engine": "dlbox.engine.loop"}[rule]
    target = {"low": "dlbox.engine.loop", "engine": "dlbox.tasks.classify.train"}[rule]
    IMPORTS[module].append((target, 999))
    try:
        found = _violations(lambda m, t: "bad" if (m, t) == (module, target) else None)
        assert found and found[0].endswith(f":999 imports {target}: bad")
    finally:
        IMPORTS[module].pop()
