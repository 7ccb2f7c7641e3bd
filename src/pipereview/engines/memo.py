"""Statements that are not named queries, their compiled text memoised by their structure.

An expression's tables are replaced by slots and its structure (``plan_cache.shape``) names
the compiled template, in this process (an LRU) and, with the cache on disk, in any: the
same query over another run's tables compiles once. Used by ``Engine.arrow``, ``cache`` and
the DuckDB engine's views and kept tables (decisions D52, D56). ``Statements`` is the
in-process LRU of compiled statements, this memo's and the named queries' (``plan.py``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import ibis.expr.operations as ops
import ibis.expr.types as ir

from pipereview.engines import plan_cache, template
from pipereview.engines.template import SLOT, Compiled, NotCacheable, stored


class Statements:
    """Compiled statements by key, the ``size`` least recently used dropped (thread-safe);
    None kept for a statement that cannot be compiled to a template."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[str, Compiled | None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, fresh: Callable[[], Compiled | None]) -> Compiled | None:
        """The statement kept under ``key``, else ``fresh()``'s, kept."""
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        found = fresh()
        with self._lock:
            self._kept[key] = found
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return found

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


_MEMO = Statements(1024)
_REPORTS = [0]  # reports begun in this process (``memo_sql`` starts with the second)
_REPORTS_LOCK = threading.Lock()


def report_begun() -> None:
    """Count a report (a plan's ``Runner``) begun in this process."""
    with _REPORTS_LOCK:
        _REPORTS[0] += 1


def clear_memo() -> None:
    """Forget every memoised statement of this process (not those on disk)."""
    _MEMO.clear()


def _slotted(slots: Mapping[ops.Node, ops.Node]) -> Callable[..., ops.Node]:
    """A replacer that puts the slots in place of the tables."""

    def swap(node: ops.Node, kwargs: Mapping[str, Any] | None) -> ops.Node:
        if node in slots:
            return slots[node]
        return node.__recreate__(kwargs) if kwargs else node

    return swap


def memo_sql(engine: Any, expr: ir.Table) -> tuple[str, Any] | None:
    """The statement and Ibis result schema of an expression that is not a named query, its
    compiled text memoised by its structure with its tables as slots (``plan_cache.shape``:
    the same query over other tables compiles once, in this process or, with the cache on
    disk, in any); None when a table of it cannot be named by its SQL (it then runs through
    Ibis). Without the cache on disk it starts with the second report a process builds."""
    if not engine.runs_plans or (_REPORTS[0] < 2 and not plan_cache.enabled()):
        return None
    op = expr.op()
    leaves = list(dict.fromkeys(op.find(ops.PhysicalTable)))
    names = [engine.plan_name(leaf.to_expr()) for leaf in leaves]
    if any(name is None for name in names):
        return None
    text = plan_cache.shape(op, {leaf: i for i, leaf in enumerate(leaves)})
    key = plan_cache.entry_key(engine.name, text)
    lasting = " at 0x" not in text  # a text naming an object's address never recurs

    def fresh() -> Compiled | None:
        found = stored(key) if lasting else None
        if found is None:
            found = _compiled(engine, op, leaves)
            if found is not None and lasting:
                plan_cache.save(key, found.parts, found.schema, None)
        return found

    found = _MEMO.get(key, fresh)
    if found is None:
        return None
    return found.sql({f"t{i}": name for i, name in enumerate(names)}, {}), found.schema


def _compiled(engine: Any, op: ops.Node, leaves: list[ops.Node]) -> Compiled | None:
    """``op`` compiled with its tables as slots t0, t1, ...; None when it cannot be."""
    slots = {
        leaf: ops.UnboundTable(name=SLOT.format(f"t{i}"), schema=leaf.schema)
        for i, leaf in enumerate(leaves)
    }
    try:
        return template.compile_query(
            engine.con.compiler, op.replace(_slotted(slots)).to_expr(), {}, {}, None
        )
    except NotCacheable:
        return None
