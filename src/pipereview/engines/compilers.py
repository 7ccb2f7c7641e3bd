"""Ibis's SQL compilers imported one at a time, when an engine needs one.

Ibis's package ``ibis.backends.sql.compilers`` imports all twenty of its SQL compilers (with
the sqlglot dialects they build on) as soon as any backend loads, though a report uses one.
``lazy_compilers()``, called by every ``Engine`` before it connects (the first Ibis backend
loads then), puts the same package in its place: its attributes (a compiler class such as
``DuckDBCompiler``, or a compiler's module such as ``duckdb``, as ``ibis.to_sql`` asks for
it) import the one module that defines them on first use. Nothing else changes: the
modules, classes and compiler objects are Ibis's own.

The package's names and where each is defined are read from its own ``__init__.py``; a
package that does more than import its compilers (another Ibis version) is left as it is,
as is one already imported. The only change pipereview makes to Ibis for the whole process
is this one, and it changes when code is imported, not what it does.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import types
from typing import Any

PACKAGE = "ibis.backends.sql.compilers"


def _defined_in(source: str) -> tuple[dict[str, str], list[str]] | None:
    """The package's names and the module defining each, and its ``__all__``; None when its
    ``__init__.py`` holds anything but those imports, ``__all__`` and a docstring."""
    where: dict[str, str] = {}
    names: list[str] = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE + "."):
            for alias in node.names:
                where[alias.asname or alias.name] = str(node.module)
        elif isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [
            "__all__"
        ]:
            names = [str(n) for n in ast.literal_eval(node.value)]
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            return None
    return where, names


def lazy_compilers() -> None:
    """Make Ibis's package of SQL compilers import each compiler on first use (see above)."""
    if PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PACKAGE)  # imports the parent package, ibis.backends.sql
    if PACKAGE in sys.modules or spec is None or spec.origin is None:
        return
    with open(spec.origin, encoding="utf-8") as file:
        found = _defined_in(file.read())
    if found is None:
        return
    where, names = found
    module = importlib.util.module_from_spec(spec)

    def __getattr__(name: str) -> Any:
        if name in where:
            value = getattr(importlib.import_module(where[name]), name)
        elif not name.startswith("__") and importlib.util.find_spec(f"{PACKAGE}.{name}"):
            value = importlib.import_module(f"{PACKAGE}.{name}")
        else:
            raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")
        setattr(module, name, value)
        return value

    vars(module).update(__getattr__=__getattr__, __all__=names)
    sys.modules[PACKAGE] = module
    parent: types.ModuleType = sys.modules[PACKAGE.rpartition(".")[0]]
    parent.compilers = module  # type: ignore[attr-defined]
