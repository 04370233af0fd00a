"""The two packages import in one direction: `recorded_endpoint` may use `helpers`, never the other way round
at import time, and no module-level import forms a cycle. Read from the source with `ast`, so it stays true."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("helpers", "recorded_endpoint")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported: top level, and inside top-level if/try/with blocks,
    but not under `if TYPE_CHECKING:` and not inside functions or classes (those run later, lazily)."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If):
            pending += node.orelse if is_type_checking(node.test) else node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
        elif isinstance(node, ast.With):
            pending += node.body
    return found


def imported_modules(name: str, path: Path) -> set[str]:
    """The course's own modules that `name` imports at module level (resolved, relative imports included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in module_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
            continue
        if node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        targets.add(source)
        targets |= {f"{source}.{alias.name}" for alias in node.names if f"{source}.{alias.name}" in MODULES}
    return {target for target in targets if target in MODULES}


GRAPH = {name: imported_modules(name, path) for name, path in MODULES.items()}


def test_the_graph_covers_both_packages():
    assert {"helpers", "helpers.settings", "recorded_endpoint", "recorded_endpoint.app"} <= set(GRAPH)
    assert "helpers.tokens" in GRAPH["recorded_endpoint.wire"]  # the endpoint does use the learner's package


def test_helpers_never_imports_the_recorded_endpoint_at_module_level():
    offenders = {
        name: sorted(target for target in targets if target.split(".")[0] == "recorded_endpoint")
        for name, targets in GRAPH.items()
        if name.split(".")[0] == "helpers"
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_no_module_level_import_cycle():
    cycles = []
    state: dict[str, str] = {}  # "visiting" while on the current path, "done" after

    def visit(name: str, path: list[str]) -> None:
        state[name] = "visiting"
        for target in sorted(GRAPH[name]):
            if target == name or target == name.rpartition(".")[0]:
                continue  # a module and its own package: Python initialises the package first
            if state.get(target) == "visiting":
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = "done"

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert cycles == []


@pytest.mark.slow  # a subprocess that imports every helpers module
def test_importing_the_learner_package_loads_no_server():
    # In live mode nothing starts the recorded endpoint, so none of its machinery should be imported.
    names = [name for name in MODULES if name.split(".")[0] == "helpers" and not name.endswith("__main__")]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in ('recorded_endpoint', 'uvicorn', 'starlette') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
