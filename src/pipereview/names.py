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
    return text.strip().lower().isin(names) & fold_case(text).isin(names)


FOUND_LIMIT = 12  # column names an error lists before saying how many more


def columns_found(names: list[str]) -> str:
    """``columns found: a, b, c`` for an error's hint: every name, or the first
    ``FOUND_LIMIT`` and how many more."""
    shown = ", ".join(names[:FOUND_LIMIT]) or "(none)"
    more = len(names) - FOUND_LIMIT
    return f"columns found: {shown}" + (f" and {more:,} more" if more > 0 else "")
