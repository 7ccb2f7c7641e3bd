"""The import graph: layers point down, no cycle anywhere, thin faces.

Every import counts, wherever it is written: at the top of a module, inside a function (a
lazy import) or under ``if TYPE_CHECKING``. ``from pipereview.pkg import name`` is an import
of the module ``pkg.name`` when there is one, else of the package ``pkg``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "src" / "pipereview"

# Lower number = lower layer. A module may import modules with a number <= its own.
LAYERS: dict[str, int] = {
    "errors": 0,
    "names": 1,
    "decimals": 1,
    "schema": 1,
    "fiscal": 1,
    "periods": 1,
    "locations": 1,
    "drivers": 1,
    "cache": 1,
    "policy": 1,
    "synthetic": 1,
    "engines": 2,
    "inputs": 3,
    "store": 3,
    "metrics": 4,
    "rules": 4,
    "checks": 4,
    "report": 5,
    "render": 5,
    "api": 6,
    "compat": 7,
    "cli": 8,
    "web": 8,
    "__main__": 9,
    "__init__": 9,
}
# What the faces may import besides themselves: the API, the renderers, the report models
# and the errors.
FACES = ("cli", "web")
FACE_MAY_IMPORT = ("api", "render", "report.model", "report.forecast_model", "errors")


def _modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path, modules: Iterable[str] = MODULES) -> list[str]:
    """The package's modules ``path`` imports, anywhere in it."""
    known = set(modules)
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module != "pipereview" and not node.module.startswith("pipereview."):
                continue
            base = node.module.removeprefix("pipereview").lstrip(".")
            for alias in node.names:
                child = f"{base}.{alias.name}" if base else alias.name
                found.append(child if child in known else base or "__init__")
        elif isinstance(node, ast.Import):
            found += [
                a.name.removeprefix("pipereview").lstrip(".") or "__init__"
                for a in node.names
                if a.name == "pipereview" or a.name.startswith("pipereview.")
            ]
    return found


def _layer(module: str) -> int:
    return LAYERS[module.split(".")[0]]


def _same(module: str) -> str:
    return module


def _package(module: str) -> str:
    return module.split(".")[0]


def _graph(key: Callable[[str], str] = _same) -> dict[str, set[str]]:
    """Module -> the modules it imports, both sides mapped through ``key``."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = {key(target) for target in _imports(path)}
        graph.setdefault(key(module), set()).update(targets - {key(module)})
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one node (Tarjan), each as a
    cycle through it, sorted: what an import cycle looks like."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(_path_through(graph, c) for c in components)


def _path_through(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A cycle inside ``component``, from its first node back to it (for the message)."""
    inside = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph.get(node, set()) & inside):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    return component


def test_every_import_points_down() -> None:
    violations = []
    for module, path in MODULES.items():
        for target in _imports(path):
            if _layer(target) > _layer(module):
                violations.append(f"{module} imports {target}")
    assert violations == []


def test_no_import_cycle_between_modules() -> None:
    assert [" -> ".join(c) for c in _cycles(_graph())] == []


def test_no_import_cycle_between_packages() -> None:
    assert [" -> ".join(c) for c in _cycles(_graph(_package))] == []


def test_faces_import_only_the_api_renderers_models_and_errors() -> None:
    violations = []
    for module, path in MODULES.items():
        if module.split(".")[0] not in FACES:
            continue
        for target in _imports(path):
            allowed = (*FACES, *FACE_MAY_IMPORT)
            if not any(target == a or target.startswith(f"{a}.") for a in allowed):
                violations.append(f"{module} imports {target}")
    assert violations == []


def test_errors_imports_nothing_from_the_package() -> None:
    assert _imports(PACKAGE / "errors.py") == []


def test_the_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("from pipereview.api import build_report\n")
    assert _layer(_imports(bad)[0]) > _layer("metrics.base")


@pytest.mark.parametrize("where", ["top", "function", "type_checking"])
def test_a_cycle_is_found_and_named_wherever_the_import_is(where: str, tmp_path: Path) -> None:
    importing = {
        "top": "from pipereview.report.model import dumps\n",
        "function": "def f():\n    from pipereview.report.model import dumps\n",
        "type_checking": "if TYPE_CHECKING:\n    from pipereview.report.model import dumps\n",
    }[where]
    graph = {"report.model": {"report.forecast_model"}}
    modules = [*MODULES, "report.forecast_model"]
    written = tmp_path / "forecast_model.py"
    written.write_text(importing)
    graph["report.forecast_model"] = set(_imports(written, modules))
    assert _cycles(graph) == [["report.forecast_model", "report.model", "report.forecast_model"]]


def test_a_package_cycle_is_found() -> None:
    graph = {"inputs": {"engines"}, "engines": {"store"}, "store": {"inputs"}, "api": {"inputs"}}
    assert _cycles(graph) == [["engines", "store", "inputs", "engines"]]


def test_modules_are_small() -> None:
    big = {p.name: n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400}
    assert big == {}
