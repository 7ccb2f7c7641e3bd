"""How names and text compare: one rule for each kind of name, written once, used everywhere.

- A canonical input's column (``column_key``): trimmed, lower-cased, runs of spaces and
  hyphens as one underscore, so `` Deal ID`` is ``deal_id``. Files, tables and in-memory data
  are matched against ``schema.py`` this way, and two columns with one key are refused.
- A source column named by a mapping (``mapping_key``): lower-case letters and digits only,
  so one mapping reads a Salesforce export (``IsClosed``) and a Fivetran table
  (``is_closed``) alike.
- A value compared as text (statuses, stage names, currency codes, policy stage names):
  trimmed, then A-Z lower-cased and nothing else (decisions D16), in Python (``fold_text``)
  and in the engine (``fold_case``) alike: engines lower-case other letters differently
  (DuckDB maps İ to i, Spark to i + a combining dot), so a report would depend on the engine.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir

_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
_FOLD = str.maketrans(_UPPER, _LOWER)


def column_key(name: str) -> str:
    """A column name as matched: trimmed, lower-cased, spaces and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def mapping_key(name: str) -> str:
    """A source column name as a mapping matches it: lower-case letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def fold_text(text: str) -> str:
    """A text as compared: trimmed, A-Z lower-cased (as ``fold_case`` in the engine)."""
    return text.strip().translate(_FOLD)


def fold_case(text: ir.StringValue) -> ir.StringValue:
    """Trim, then lower-case A-Z only (decisions D16), in the engine."""
    return text.strip().translate(_UPPER, _LOWER)


def folds_into(text: ir.StringValue, names: tuple[str, ...]) -> ir.BooleanValue:
    """``fold_case(text)`` is one of ``names`` (lower-case ASCII). ``lower`` runs first as a
    cheap filter: a text the exact fold maps onto such a name is A-Z/a-z letters only, which
    ``lower`` maps the same way, so the answer is the exact fold's; the per-row translate
    (costly on every row in DuckDB) runs only where ``lower`` already matched."""
    return one_of(text.strip().lower(), names) & one_of(fold_case(text), names)


# Up to this many values, ``one_of`` writes the equalities out.
ONE_OF_LIMIT = 32


def one_of(value: ir.Value, values: Sequence[Any]) -> ir.BooleanValue:
    """``value IN values``, written as the equalities SQL defines it to mean (``x = a OR x =
    b``) when the list is short and holds no null (Ibis writes ``x = NULL`` as ``x IS
    NULL``). An engine may plan an ``IN`` list as a join against the list (DuckDB does from
    five values): planning and starting one join per column costs more than comparing a
    few values, on every query of a small input."""
    items = [_constant(item) for item in values]
    if not items or len(items) > ONE_OF_LIMIT or any(item is None for item in items):
        return value.isin(values)
    found = value == items[0]
    for item in items[1:]:
        found = found | (value == item)
    return found


def _constant(item: Any) -> ir.Value | None:
    """A list item as a literal, or None when it is null or not a constant."""
    if isinstance(item, ir.Value):
        op = item.op()
        return item if isinstance(op, ops.Literal) and op.value is not None else None
    return None if item is None else ibis.literal(item)


FOUND_LIMIT = 12  # column names an error lists before saying how many more


def columns_found(names: list[str]) -> str:
    """``columns found: a, b, c`` for an error's hint: every name, or the first
    ``FOUND_LIMIT`` and how many more."""
    shown = ", ".join(names[:FOUND_LIMIT]) or "(none)"
    more = len(names) - FOUND_LIMIT
    return f"columns found: {shown}" + (f" and {more:,} more" if more > 0 else "")
