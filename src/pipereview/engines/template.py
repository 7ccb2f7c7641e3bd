"""Compiled statement templates: an Ibis query built on slots and parameters, compiled once
into SQL text cut at the slots' and the values' places (``Compiled``), and filled for a run
with the bound tables' quoted names and the values' literal text as the engine's compiler
writes them, so that the statement that runs is the one a direct compile gives.

Slots are unbound tables named ``__pr_slot_<name>__``; a value is an ``ibis.param``,
compiled with a sentinel value that is then cut out of the SQL text. Used by the named
queries of a plan (``plan.py``) and by the memo of other statements (``memo.py``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from pipereview.engines import plan_cache

SLOT = "__pr_slot_{}__"
_MARK = "\x00"


@dataclass(frozen=True)
class Compiled:
    """One query's SQL template: even ``parts`` are SQL text, odd ones ``s:<slot>`` or
    ``p:<value>`` markers; ``schema`` is the Ibis schema of its result."""

    parts: tuple[str, ...]
    schema: Any
    meta: Any = None

    def sql(self, names: Mapping[str, str], literals: Mapping[str, str]) -> str:
        """The statement with the slots' quoted table names and the values' literal text."""
        return "".join(
            p if i % 2 == 0 else (names if p[0] == "s" else literals)[p[2:]]
            for i, p in enumerate(self.parts)
        )


class NotCacheable(Exception):
    """The compiled text still holds a slot or sentinel marker: run the direct path."""


def _sentinel(dtype: str, i: int) -> Any:
    sentinels: dict[str, Any] = {
        "date": dt.date(1901, 1, 1) + dt.timedelta(days=i),
        "string": f"__pr_param_{i}__",
        "int64": 987654321000 + i,
        "float64": 0.1234567891 + i,
    }
    return sentinels[dtype]


_LITERAL_TEXTS: dict[tuple[type, str, str, type, Any], str] = {}


def literal_text(compiler: Any, dtype: str, value: Any) -> str:
    """``value`` as the engine's compiler writes the literal (e.g. ``MAKE_DATE(2026, 11, 20)``),
    compiled once per compiler class, dialect, type and value."""
    key = (type(compiler), str(compiler.dialect), dtype, type(value), value)
    text = _LITERAL_TEXTS.get(key)
    if text is None:
        table = compiler.to_sqlglot(ibis.literal(value, dtype).name("x").as_table())
        text = _LITERAL_TEXTS[key] = table.expressions[0].this.sql(dialect=compiler.dialect)
    return text


# What any sentinel's value leaves in a text, however it is written: a sentinel found there
# after its literals are cut out was written some other way (the template would be wrong).
_TRACES = ("1901-01-", "__pr_param_", "987654321", "1234567891")


def compile_query(
    compiler: Any, expr: ir.Table, params: Mapping[str, Any], types: Mapping[str, str], meta: Any
) -> Compiled:
    """Compile ``expr`` (built on slots and ``params``) into a template: compiled with each
    value a sentinel, whose literal text (standing alone, not inside a longer word or
    number) is then cut out, as are the slots' quoted names."""
    sentinels = {p: _sentinel(types[n], i) for i, (n, p) in enumerate(params.items())}
    sql = compiler.to_sqlglot(expr, params=sentinels).sql(dialect=compiler.dialect)
    for i, n in enumerate(params):
        text = literal_text(compiler, types[n], _sentinel(types[n], i))
        sql = re.sub(r"(?<![\w.])" + re.escape(text) + r"(?![\w.])", f"{_MARK}p:{n}{_MARK}", sql)
    quote = "`" if "spark" in str(compiler.dialect).lower() else '"'
    sql = re.sub(
        re.escape(quote) + r"__pr_slot_(\w+?)__" + re.escape(quote),
        lambda m: f"{_MARK}s:{m.group(1)}{_MARK}",
        sql,
    )
    if "__pr_slot_" in sql or (params and any(t in sql for t in _TRACES)):
        raise NotCacheable(sql)
    return Compiled(tuple(sql.split(_MARK)), expr.schema(), meta)


def stored(key: str) -> Compiled | None:
    """The compiled statement the cache on disk keeps under ``key``, if any."""
    kept = plan_cache.load(key)
    return None if kept is None else Compiled(*kept)
