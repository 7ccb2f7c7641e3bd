"""Building the roll-ups of the rep performance: each rep's additive figures in one scan of
the deals, kept, then every level from them (the company, regions, teams, managers through
the forecast's hierarchy tables), the ratios from each row's own sums, rounded once."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from pipereview.engines import Engine
from pipereview.metrics.base import Unit
from pipereview.metrics.forecast import rollup, subtree_rollup
from pipereview.metrics.hierarchy import Hierarchy, manager_of
from pipereview.metrics.rollups import (
    ROLLUP_ADDITIVE,
    ROLLUP_COUNTS,
    ROLLUP_MONEY,
    ROLLUP_RATIOS,
    rollup_reps,
    with_ratios,
)
from pipereview.policy import Policy
from pipereview.report.forecast import tree_tables
from pipereview.report.inputs import Inputs
from pipereview.report.model import RollupRow
from pipereview.report.rounding import rounded_rows

_UNITS: dict[str, Unit] = {
    **{name: "usd" for name in ROLLUP_MONEY},
    **{name: "count" for name in ROLLUP_COUNTS},
    **{name: "ratio" for name in ROLLUP_RATIOS},
}


def build_rollups(inputs: Inputs, policy: Policy, tree: Hierarchy) -> list[RollupRow]:
    """Every roll-up row, top down: the company, regions, teams, managers (none when the
    hierarchy has a loop), reps."""
    engine = inputs.engine
    reps = engine.cache(rollup_reps(inputs.deals, inputs.reps, policy))
    rep_rows = _rows(engine, reps, "rep_id")
    names = {r["_key"]: r["rep_name"] for r in rep_rows if r["reps"]}
    rows = [_row("company", _rows(engine, rollup(reps, None, ROLLUP_ADDITIVE), None)[0])]
    for level in ("region", "team"):
        level_rows = _rows(engine, rollup(reps, level, ROLLUP_ADDITIVE), level)
        rows += [_row(level, r) for r in level_rows]
    if tree.spans:
        order, spans = tree_tables(engine, tree)
        managers = _rows(engine, subtree_rollup(reps, order, spans, ROLLUP_ADDITIVE), "_p_manager")
        rows += [
            _row("manager", r, names.get(r["_key"]), tree.managers.get(r["_key"])) for r in managers
        ]
    rows += [_rep_row(r) for r in rep_rows]
    engine.release(reps)
    return rows


def _rows(engine: Engine, table: ir.Table, key: str | None) -> list[dict[str, Any]]:
    """A level's rows with the ratios, ordered by key (missing last), rounded."""
    table = with_ratios(table)
    if key is not None:
        table = table.order_by([table[key].isnull(), key]).mutate(_key=table[key])
    else:
        table = table.mutate(_key=ibis.null("string"))
    return rounded_rows(engine.arrow(table), _UNITS)


def _rep_row(row: dict[str, Any]) -> RollupRow:
    """A rep's row (the row of deals without a rep has no name and no manager)."""
    if row["_key"] is None:
        return _row("rep", row)
    return _row("rep", row, row["rep_name"], manager_of(row["_key"], row["manager_id"]))


_FIGURES = frozenset(RollupRow.model_fields) - {"level", "id", "name", "parent"}


def _row(
    level: str, row: dict[str, Any], name: str | None = None, parent: str | None = None
) -> RollupRow:
    values = {k: v for k, v in row.items() if k in _FIGURES}
    return RollupRow(level=level, id=row["_key"], name=name, parent=parent, **values)
