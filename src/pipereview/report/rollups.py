"""Building the roll-ups of the rep performance: each rep's additive figures in one scan of
the deals, kept, then every level from them (the company, regions, teams, managers through
the forecast's hierarchy tables), the ratios from each row's own sums, rounded once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import ibis.expr.types as ir

from pipereview.engines.plan import Built, Runner
from pipereview.metrics.base import Unit
from pipereview.metrics.forecast import rollup, stacked, subtree_rollup, unstacked
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
from pipereview.report.forecast import keyed, tree_tables
from pipereview.report.inputs import Inputs
from pipereview.report.model import RollupRow
from pipereview.report.rounding import rounded_rows

_UNITS: dict[str, Unit] = {
    **{name: "usd" for name in ROLLUP_MONEY},
    **{name: "count" for name in ROLLUP_COUNTS},
    **{name: "ratio" for name in ROLLUP_RATIOS},
}


def build_rollups(
    inputs: Inputs, policy: Policy, tree: Hierarchy, per_rep: ir.Table
) -> list[RollupRow]:
    """Every roll-up row, top down: the company, regions, teams, managers (none when the
    hierarchy has a loop), reps. ``per_rep``: the deals summed per rep with the policy
    (``deals_by_rep``, kept by the report): the roll-ups read no deal. Each statement is a
    named query of the roll-ups' plan (``engines/plan.py``): they read no date, so the plan
    has no values."""
    engine = inputs.engine
    tables = {"per_rep": per_rep, "reps": inputs.reps}
    run = Runner(engine, policy.fingerprint(), tables, {})
    reps = run.keep(
        "rollups.reps", "ru_reps", lambda t, v: (rollup_reps(t["per_rep"], t["reps"]), None)
    )
    rep_rows = _rows(run, "rollups.rep", "rep_id", lambda t: t["ru_reps"])
    names = {r["_key"]: r["rep_name"] for r in rep_rows if r["reps"]}
    levels = _levels(run, (None, "region", "team"))
    rows = [_row("company", levels[None][0])]
    for level in ("region", "team"):
        rows += [_row(level, r) for r in levels[level]]
    if tree.spans:
        order, spans = tree_tables(engine, tree)
        run.bind("ru_order", order)
        run.bind("ru_spans", spans)
        managers = _rows(
            run,
            "rollups.manager",
            "_p_manager",
            lambda t: subtree_rollup(t["ru_reps"], t["ru_order"], t["ru_spans"], ROLLUP_ADDITIVE),
        )
        rows += [
            _row("manager", r, names.get(r["_key"]), tree.managers.get(r["_key"])) for r in managers
        ]
    rows += [_rep_row(r) for r in rep_rows]
    engine.release(reps)
    return rows


def _levels(run: Runner, keys: tuple[str | None, ...]) -> dict[str | None, list[dict[str, Any]]]:
    """The rows of each level of ``keys`` (None: the company) summed from the kept rep rows,
    with the ratios, rounded, by level: one statement (query ``rollups.levels``)."""

    def build(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
        reps = t["ru_reps"]
        levels = [(key, with_ratios(rollup(reps, key, ROLLUP_ADDITIVE))) for key in keys]
        return stacked(levels), None

    rows = rounded_rows(run.arrow("rollups.levels", build)[0], _UNITS)
    return unstacked(rows, keys)


def _rows(
    run: Runner, name: str, key: str | None, level: Callable[[Mapping[str, ir.Table]], ir.Table]
) -> list[dict[str, Any]]:
    """A level's rows (query ``name``: ``level``'s table) with the ratios, ordered by key
    (missing last), rounded."""

    def build(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
        return keyed(with_ratios(level(t)), key), None

    return rounded_rows(run.arrow(name, build)[0], _UNITS)


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
