"""What a data-quality check is, and the ordered registry the report runs (``CHECKS``).

Data that can be used but is suspect is reported instead of coerced. Each check is an Ibis
expression over the canonical tables returning the offending keys; the report
(``report/quality.py``) lists the count, a few examples (sorted) and a sentence. Nothing
here changes a number.
A check of severity ``error`` means the report is meaningless as the data stands (no deal joins
a rep, no deal has a known status): ``validate`` exits 1 on it, and its sentence says what
to map.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from pipereview.inputs.canonical import deal_label
from pipereview.metrics.base import unique_reps
from pipereview.schema import ROW_COLUMN

Severity = Literal["info", "warning", "error"]


Scope = Literal["deals", "reps", "unique_reps"]


@dataclass(frozen=True)
class Facts:
    """What a check may read: the canonical tables, the reps one row per rep_id
    (``unique_reps``) and the per-rep deal aggregates (``metrics.reps.deals_by_rep``:
    rep_id, deals, active_deals, pipeline_value, ...)."""

    deals: ir.Table
    reps: ir.Table
    unique: ir.Table
    per_rep: ir.Table


@dataclass(frozen=True)
class Check:
    """One data-quality check: ``found`` is a table with a ``key`` column and ``n``.

    A row-level check has ``where``, a condition on one row of ``scope``: its count is then
    computed inside the one scan of that table the report makes anyway, and its examples
    (fetched only when the count is not zero) are the rows where it holds, keyed as the
    scope names a row (``row_key``), unless ``find`` says otherwise. Other checks give
    ``find``. An example reads "key (n nouns)" when it stands for more than one, or always
    with ``always_count``; with no ``example_noun`` it is the key alone.
    """

    id: str
    table: Literal["deals", "reps"]
    severity: Severity
    description: str
    find: Callable[[Facts], ir.Table] | None
    sentence: Callable[[int], str]
    count_rows: bool = False  # count = rows (sum of n) rather than distinct keys
    where: Callable[[ir.Table], ir.BooleanValue] | None = None
    scope: Scope = "deals"
    example_noun: str | None = "row"
    always_count: bool = False
    # The count from the deals scan's summary aggregates (pipeline_aggregates), when the
    # summary already says it: no scan of its own, and ``find`` runs only for examples.
    scan_count: Callable[[Mapping[str, Any]], int] | None = None

    def found(self, facts: Facts) -> ir.Table:
        """key and n for what the check finds."""
        if self.find is not None:
            return self.find(facts)
        assert self.where is not None, f"check {self.id} needs find or where"
        table = scope_table(self.scope, facts.deals, facts.reps, facts.unique)
        return key_rows(table, self.where(table), row_key(table, self.scope))

    def example(self, key: Any, n: int) -> str:
        """One example as listed."""
        if self.example_noun is None:
            return str(key)
        if n > 1 or self.always_count:
            return f"{key} ({n} {self.example_noun}{'' if n == 1 else 's'})"
        return str(key)


def scope_table(
    scope: Scope, deals: ir.Table, reps: ir.Table, unique: ir.Table | None = None
) -> ir.Table:
    """The table a row-level check of ``scope`` is evaluated on; ``unique`` is the reps one
    row per rep_id when the caller has it already."""
    if scope == "deals":
        return deals
    if scope == "reps":
        return reps
    return unique if unique is not None else unique_reps(reps)


def row_key(table: ir.Table, scope: Scope) -> ir.Value:
    """How a row of ``scope`` is named in examples: a deal by its label, a reps row by its
    row number, a rep by its rep_id."""
    if scope == "deals":
        return deal_label(table)
    if scope == "reps":
        return table[ROW_COLUMN]
    return table.rep_id


def duplicates(t: ir.Table, column: str) -> ir.Table:
    keyed = t.filter(t[column].notnull())
    counts = keyed.group_by(key=keyed[column]).aggregate(n=keyed.count())
    return counts.filter(counts.n > 1)


def key_rows(t: ir.Table, where: ir.BooleanValue, key: ir.Value) -> ir.Table:
    return t.filter(where).select(key=key.cast("string"), n=ibis.literal(1))


def absent_column_sentence(table: str, columns: tuple[str, ...]) -> str:
    """The data-quality sentence for optional canonical columns missing from an input."""
    return (
        f"The {table} input has no {', '.join(columns)} column(s); "
        "they are treated as missing on every row."
    )


CHECKS: list[Check] = []


def register(check: Check) -> Check:
    """Add a check to the registry (run and listed in registration order)."""
    if any(existing.id == check.id for existing in CHECKS):
        raise ValueError(f"a check with id {check.id!r} is already registered")
    CHECKS.append(check)
    return check
