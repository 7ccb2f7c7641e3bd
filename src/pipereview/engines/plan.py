"""Compiled query plans: the report's queries built and compiled once, then run many times.

A report's queries are a pure function of the policy, the inputs' canonical schemas, the
engine's dialect and the library versions; only the data (which tables) and the report date
(``as_of`` and the dates derived from it) change from run to run. So each query has a stable
name and a builder ``build(tables, values) -> (expr, meta)`` that runs only on a miss:

- ``tables`` are *slots*: unbound Ibis tables named ``__pr_slot_<name>__`` with the schema
  of the table bound at run time;
- ``values`` are ``ibis.param``s of the run's values (the report date and its period
  bounds), compiled with a sentinel value that is then cut out of the SQL text.

Each query is compiled into a template (``template.py``: cut at the slots' and values'
places, filled for a run so that the SQL that runs is the SQL a direct compile gives). Plans
are kept in memory for the process, one per key (``plan_key``), and each compiled statement
also on disk when the cache is on (``plan_cache.py``). Statements that are not named queries
are memoised by their structure (``memo.py``).

An engine that cannot run a plan's SQL itself (``Engine.runs_plans`` false), a table that
is not a plain named table, or a query whose text still holds a marker after compiling runs
the builder on the real tables and values instead, exactly as before: the result is the same.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pyarrow as pa

from pipereview.engines import plan_cache, template
from pipereview.engines.memo import Statements, clear_memo, report_begun
from pipereview.engines.template import SLOT, Compiled, NotCacheable, literal_text, stored
from pipereview.errors import EngineError

_FORMAT = 1  # the template format; bump when Compiled changes

Built = tuple[ir.Table, Any]  # the query and JSON-able facts kept with it (``meta``)
Builder = Callable[[Mapping[str, ir.Table], Mapping[str, Any]], Built]


def as_value(value: Any, dtype: str) -> ir.Value:
    """A run's value as an Ibis value: a plan's parameter as it is, a Python value as a
    literal of ``dtype`` (a bare string would name a column in ``mutate``)."""
    return value if isinstance(value, ir.Expr) else ibis.literal(value, dtype)


@functools.cache
def library_versions() -> tuple[tuple[str, str], ...]:
    """The versions a compiled text depends on: pipereview, Ibis, sqlglot and DuckDB."""
    names = ("pipereview", "ibis-framework", "sqlglot", "duckdb")
    return tuple((n, importlib.metadata.version(n)) for n in names)


def schema_text(table: ir.Table) -> tuple[tuple[str, str], ...]:
    """A table's column names and types in order, as part of a plan's key."""
    return tuple((name, str(dtype)) for name, dtype in table.schema().items())


def plan_key(
    policy_fingerprint: str,
    dialect: str,
    schemas: Mapping[str, tuple[tuple[str, str], ...]],
    value_types: Mapping[str, str],
    versions: tuple[tuple[str, str], ...] | None = None,
) -> str:
    """The digest naming a plan: everything the compiled texts depend on, and nothing else
    (not the data, the report date, the paths or the tables' names)."""
    fields = {
        "format": _FORMAT,
        "policy": policy_fingerprint,
        "dialect": dialect,
        "schemas": {k: list(map(list, v)) for k, v in sorted(schemas.items())},
        "values": dict(sorted(value_types.items())),
        "versions": list(map(list, versions or library_versions())),
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


@dataclass
class Plan:
    """The compiled queries of one key, compiled on first use (thread-safe)."""

    key: str
    queries: dict[str, Compiled] = field(default_factory=dict)
    uncacheable: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


_PLANS: dict[str, Plan] = {}
_PLANS_LOCK = threading.Lock()
# Named queries' statements by structure and facts, across plans.
_SHAPES = Statements(2048)


def plan_for(key: str) -> Plan:
    """The process's plan for ``key`` (made empty on first use)."""
    with _PLANS_LOCK:
        return _PLANS.setdefault(key, Plan(key))


def clear_plans() -> None:
    """Forget every compiled plan and memoised statement of this process (not on disk)."""
    with _PLANS_LOCK:
        _PLANS.clear()
    _SHAPES.clear()
    clear_memo()


class Runner:
    """Runs named queries of one report on ``engine``: ``tables`` bound to the slots of the
    same name, ``values`` (name -> (type, value)) to the parameters."""

    def __init__(
        self,
        engine: Any,
        policy_fingerprint: str,
        tables: Mapping[str, ir.Table],
        values: Mapping[str, tuple[str, Any]],
    ) -> None:
        report_begun()
        self.engine = engine
        self.tables = dict(tables)
        self.values = {n: v for n, (_, v) in values.items()}
        self.types = {n: t for n, (t, _) in values.items()}
        self.names = {slot: engine.plan_name(t) for slot, t in self.tables.items()}
        self.plan: Plan | None = None
        if engine.runs_plans and all(n is not None for n in self.names.values()):
            schemas = {slot: schema_text(t) for slot, t in self.tables.items()}
            self.plan = plan_for(plan_key(policy_fingerprint, engine.name, schemas, self.types))
        self._literals: dict[str, str] | None = None

    def compiled(self, name: str, build: Builder) -> Compiled | None:
        """The template of query ``name``, compiled on a miss; None when it runs directly."""
        plan = self.plan
        if plan is None or name in plan.uncacheable:
            return None
        found = plan.queries.get(name)
        if found is not None:
            return found
        with plan.lock:
            found = plan.queries.get(name)
            key = plan_cache.entry_key(self.engine.name, f"{plan.key}\n{name}")
            if found is None and name not in plan.uncacheable:
                found = stored(key)
                if found is not None:
                    plan.queries[name] = found
                    return found
                params = {n: ibis.param(t) for n, t in self.types.items()}
                slots = {
                    s: ibis.table(t.schema(), name=SLOT.format(s)) for s, t in self.tables.items()
                }
                expr, meta = build(slots, params)
                found = self._same_shape(expr, slots, params, meta)
                if found is None:
                    plan.uncacheable.add(name)
                    return None
                plan.queries[name] = found
                plan_cache.save(key, found.parts, found.schema, found.meta)
        return found

    def _same_shape(
        self,
        expr: ir.Table,
        slots: Mapping[str, ir.Table],
        params: Mapping[str, ir.Scalar],
        meta: Any,
    ) -> Compiled | None:
        """``expr`` compiled, or the statement of a query of the same structure and facts
        compiled already in this process (under another plan: most queries read a few of
        the policy's settings, so another policy often builds the same query); None when it
        cannot be compiled to a template."""
        labels = {t.op(): s for s, t in slots.items()}
        names = {p.op(): n for n, p in params.items()}
        text = plan_cache.shape(expr.op(), labels, names)
        key = plan_cache.entry_key(self.engine.name, f"{text}\n{json.dumps(meta, default=str)}")

        def fresh() -> Compiled | None:
            try:
                return template.compile_query(
                    self.engine.con.compiler, expr, params, self.types, meta
                )
            except NotCacheable:
                return None

        return _SHAPES.get(key, fresh)

    def bind(self, slot: str, table: ir.Table) -> None:
        """Bind ``table`` to ``slot`` for the queries run after this. Its schema must follow
        from the plan's key and the names of the queries that read it (a query whose
        builder reads a table of varying schema carries that schema in its name). A table
        the plan cannot name makes every later query run from its expression."""
        self.tables[slot] = table
        name = self.engine.plan_name(table) if self.plan is not None else None
        if name is None:
            self.plan = None
        else:
            self.names[slot] = name

    def statement(self, name: str, build: Builder) -> tuple[str, Any, Any] | None:
        """Query ``name``'s SQL for this run, its result schema and ``meta`` (None: direct)."""
        found = self.compiled(name, build)
        if found is None:
            return None
        return found.sql(self.names, self.literals()), found.schema, found.meta

    def keep(self, name: str, slot: str, build: Builder) -> ir.Table:
        """Query ``name``'s result kept in the engine (``Engine.cache``) and bound to
        ``slot`` for the queries that read it."""
        found = self.statement(name, build)
        if found is None:
            table = self.engine.cache(build(self.tables, self.values)[0])
        else:
            table = self.engine.cache_sql(*found[:2])
        self.bind(slot, table)
        return table

    def literals(self) -> dict[str, str]:
        """The run's values as the engine's compiler writes them (``literal_text``)."""
        if self._literals is None:
            compiler = self.engine.con.compiler
            self._literals = {
                n: literal_text(compiler, self.types[n], v) for n, v in self.values.items()
            }
        return self._literals

    def arrow(self, name: str, build: Builder) -> tuple[pa.Table, Any]:
        """Query ``name``'s result as Arrow (exactly what ``Engine.arrow`` gives) and the
        builder's ``meta``."""
        found = self.statement(name, build)
        if found is None:  # the direct path: today's expression on the real tables
            expr, meta = build(self.tables, self.values)
            return self.engine.arrow(expr), meta
        sql, schema, meta = found
        return self.engine.run_sql(sql, schema), meta

    def rows(self, name: str, build: Builder) -> tuple[list[dict[str, Any]], Any]:
        """Query ``name``'s rows as dicts, and its ``meta``."""
        table, meta = self.arrow(name, build)
        return table.to_pylist(), meta

    def one(self, name: str, build: Builder) -> tuple[dict[str, Any], Any]:
        """The one row of query ``name``, and its ``meta``."""
        rows, meta = self.rows(name, build)
        if len(rows) != 1:
            raise EngineError(f"expected one row, got {len(rows)}")
        return rows[0], meta


def plan_table_name(table: ir.Table) -> tuple[str, ...] | None:
    """The qualified name (catalog, schema, table: those given) a plan's SQL gives a named
    table, else None (an in-memory table is named once the engine registered it)."""
    op = table.op()
    if not isinstance(op, ops.DatabaseTable):
        return None
    namespace = op.namespace
    if namespace.catalog is not None and namespace.database is None:
        return None  # written differently by sqlglot: left to Ibis
    return tuple(p for p in (namespace.catalog, namespace.database, op.name) if p is not None)
