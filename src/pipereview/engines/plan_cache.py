"""The compiled-query cache on disk: what ``engines/plan.py`` compiles, kept across processes.

A process compiles each of a report's statements from its Ibis expression, about half of a
small report's time. When the cache is on (``pipereview.cache``: the CLI's default), each
compiled statement is kept in a file of its own under the cache directory, so a later run
finds it instead of compiling it again.

A file is named by the SHA-256 of everything its text depends on: the statement's whole
structure (``shape``: every operation and value, its tables as numbered slots) and the
engine's dialect (``entry_key``, also the key in memory), and, for the file only, the versions
of Ibis, sqlglot, DuckDB and pyarrow and the bytes of pipereview's own source files
(``code_key``: so a changed metric or a changed compiler rule misses). A file is written to a
temporary name and renamed into place, so a reader sees a whole file or none; a file that
cannot be read or parsed is a miss, and an entry whose schema or facts would not come back
equal from JSON is never written. A cached statement gives the same SQL text a compile
would, so a result never depends on the cache. Deleting the directory is always safe.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ibis
from ibis.common.graph import Node

from pipereview.cache import query_cache_dir

_FORMAT = 1  # the file format; bump when an entry's fields change
_state: dict[str, Any] = {"code": None}


def enabled() -> bool:
    """Whether compiled statements are kept on disk (``pipereview.cache``)."""
    return query_cache_dir() is not None


def code_key() -> str:
    """The digest of what a compiled text depends on besides the statement: the versions of
    the libraries that compile and convert it and pipereview's own source files."""
    if _state["code"] is None:
        digest = hashlib.sha256()
        for name in ("ibis-framework", "sqlglot", "duckdb", "pyarrow"):
            digest.update(f"{name}={importlib.metadata.version(name)}\n".encode())
        package = Path(__file__).resolve().parents[1]
        for path in sorted(package.rglob("*.py")):
            digest.update(str(path.relative_to(package)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
        _state["code"] = digest.hexdigest()
    code: str = _state["code"]
    return code


def shape(
    op: Node, slots: Mapping[Node, int | str], params: Mapping[Node, str] | None = None
) -> str:
    """The whole structure of an Ibis operation as text: one line per distinct node (its
    class and every argument, nodes by line number), the nodes of ``slots`` as their slot
    and schema, the parameters of ``params`` as their name and type (Ibis numbers a
    parameter from a process-wide counter: the name is what a run binds),
    ``SelfReference`` identifiers numbered in the order met (drawn from another such
    counter; they never reach the SQL). Two operations with the same text compile to the
    same SQL, their slots and parameters bound alike."""
    from ibis.expr.datashape import DataShape
    from ibis.expr.operations import SelfReference

    params = params or {}
    lines: list[str] = []
    seen: dict[int, int] = {}
    selves: dict[Any, int] = {}

    def value(arg: Any) -> str:
        if isinstance(arg, Node):
            return f"#{visit(arg)}"
        if isinstance(arg, tuple):
            return "(" + ",".join(map(value, arg)) + ")"
        if isinstance(arg, Mapping):
            return "{" + ",".join(f"{value(k)}:{value(v)}" for k, v in arg.items()) + "}"
        if isinstance(arg, DataShape):  # scalar, columnar, tabular: no fields of its own
            return type(arg).__qualname__
        return f"{type(arg).__qualname__}:{arg!r}"

    def visit(node: Node) -> int:
        found = seen.get(id(node))
        if found is not None:
            return found
        if node in slots:
            text = f"slot {slots[node]} {node.schema!r}"
        elif node in params:
            text = f"param {params[node]} {node.dtype!r}"
        else:
            args = []
            for name, arg in zip(node.__argnames__, node.__args__, strict=True):
                if name == "identifier" and isinstance(node, SelfReference):
                    arg = selves.setdefault(arg, len(selves))
                args.append(f"{name}={value(arg)}")
            kind = type(node)
            text = f"{kind.__module__}.{kind.__qualname__}({';'.join(args)})"
        lines.append(text)
        seen[id(node)] = len(lines) - 1
        return len(lines) - 1

    visit(op)
    return "\n".join(lines)


def entry_key(dialect: str, text: str) -> str:
    """The key of a statement in this process: its text's digest with the dialect."""
    return hashlib.sha256(f"{dialect}\n{text}".encode()).hexdigest()


def file_name(key: str) -> str:
    """The name of ``key``'s file: its digest with the format and ``code_key`` (computed only
    when the cache is on disk)."""
    return hashlib.sha256(f"{_FORMAT}\n{code_key()}\n{key}".encode()).hexdigest()


def _path(directory: Path, name: str) -> Path:
    return directory / name[:2] / f"{name}.json"


def _schema(columns: list[list[str]]) -> Any:
    """An Ibis schema from the file's [name, type text] pairs."""
    return ibis.schema([(name, ibis.dtype(kind)) for name, kind in columns])


def load(key: str) -> tuple[tuple[str, ...], Any, Any] | None:
    """The (parts, Ibis schema, meta) kept under ``key``, or None (none kept, or unreadable)."""
    directory = query_cache_dir()
    if directory is None:
        return None
    name = file_name(key)
    try:
        data = json.loads(_path(directory, name).read_text(encoding="utf-8"))
        if data.get("format") != _FORMAT or data.get("key") != name:
            return None
        return tuple(data["parts"]), _schema(data["schema"]), data["meta"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(key: str, parts: tuple[str, ...], schema: Any, meta: Any) -> None:
    """Keep a compiled statement under ``key``: atomically, and only when its schema and
    meta come back equal from the file; a cache that cannot be written is skipped."""
    directory = query_cache_dir()
    if directory is None:
        return
    name = file_name(key)
    columns = [[column, str(kind)] for column, kind in schema.items()]
    data = {"format": _FORMAT, "key": name, "parts": list(parts), "schema": columns, "meta": meta}
    try:
        text = json.dumps(data, sort_keys=True)
        back = json.loads(text)
        if back["meta"] != meta or _schema(back["schema"]) != schema:
            return  # would not come back equal: compiled again next time instead
        path = _path(directory, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except (OSError, TypeError, ValueError):
        return
