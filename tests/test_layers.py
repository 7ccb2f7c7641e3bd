"""The layers in DESIGN.md point down: a module may import only from its layer or below."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "pipereview"

# Lower number = lower layer. A module may import modules with a number <= its own.
LAYERS: dict[str, int] = {
    "errors": 0,
    "policy": 1,
    "schema": 1,
    "fiscal": 1,
    "locations": 1,
    "names": 1,
    "drivers": 1,
    "synthetic": 1,
    "checks": 3,
    "inputs": 2,
    "store": 2,
    "engines": 2,
    "metrics": 3,
    "rules": 3,
    "report": 4,
    "render": 4,
    "api": 5,
    "compat": 6,
    "cli": 7,
    "web": 7,
    "__main__": 8,
    "__init__": 8,
}


def _layer(module: str) -> int:
    head = module.split(".")[0]
    return LAYERS[head]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "pipereview":
            found += [f"pipereview.{a.name}" for a in node.names]  # from pipereview import api
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("pipereview")
        ):
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("pipereview")]
    return [m.removeprefix("pipereview").lstrip(".") or "__init__" for m in found]


def test_every_import_points_down() -> None:
    violations = []
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for target in _imports(path):
            if _layer(target) > _layer(module):
                violations.append(f"{module} imports {target}")
    assert violations == []


def test_errors_imports_nothing_from_the_package() -> None:
    assert _imports(PACKAGE / "errors.py") == []


def test_the_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("from pipereview.api import build_report\n")
    assert _layer(_imports(bad)[0]) > _layer("metrics.base")


def test_modules_are_small() -> None:
    big = {p.name: n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400}
    assert big == {}
