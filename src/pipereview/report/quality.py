"""The data-quality section: which checks found something, counted in as few scans as can be.

Row-level checks (those with a ``where``) are counted inside a scan the report makes anyway;
the others' ``find`` tables are counted together in one query. Examples are fetched only for
checks that found something, all in one more query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from pipereview.checks import CHECKS
from pipereview.checks.base import (
    Check,
    Facts,
    Scope,
    absent_column_sentence,
    scope_table,
)
from pipereview.checks.fixes import fix_for
from pipereview.engines import Engine, count_if
from pipereview.engines.plan import Built, Runner
from pipereview.errors import InputError
from pipereview.inputs.loaded import Loaded
from pipereview.inputs.plan import ALL_LEFT_OUT
from pipereview.metrics.base import unique_reps
from pipereview.metrics.hierarchy import MANAGER_LOOP, Hierarchy
from pipereview.metrics.reps import deals_by_rep
from pipereview.policy import Policy
from pipereview.report.forecast import manager_tree
from pipereview.report.inputs import Inputs
from pipereview.report.model import DataQualityItem
from pipereview.schema import STATUSES

EXAMPLES = 5


def fused_checks(scope: str) -> list[Check]:
    """The row-level checks counted in a scan of ``scope``."""
    return [c for c in CHECKS if c.where is not None and c.scope == scope]


def check_counts_of(table: ir.Table, scope: str) -> dict[str, ir.Scalar]:
    """Every row-level check of ``scope`` as a count over ``table``, keyed by check id."""
    return {
        c.id: count_if(table, c.where(table)) for c in fused_checks(scope) if c.where is not None
    }


def one_aggregate(table: ir.Table, aggs: dict[str, ir.Scalar]) -> tuple[ir.Table, dict[str, str]]:
    """One aggregate over ``table`` in which an expression asked for under two names (a rule
    total that is a summary metric, the input check's row count) is computed once; and the
    twins (name -> the name computed). ``with_twins`` completes its row."""
    unique: dict[str, ir.Scalar] = {}
    twin_of: dict[str, str] = {}
    for name, expr in aggs.items():
        twin = next((k for k, v in unique.items() if v.equals(expr)), None)
        if twin is None:
            unique[name] = expr
        else:
            twin_of[name] = twin
    return table.aggregate(**unique), twin_of


def with_twins(row: dict[str, Any], twin_of: dict[str, str]) -> dict[str, Any]:
    """``one_aggregate``'s row with every name asked for."""
    return row | {name: row[twin] for name, twin in twin_of.items()}


def aggregate_once(engine: Engine, table: ir.Table, aggs: dict[str, ir.Scalar]) -> dict[str, Any]:
    """``one_aggregate`` run on ``engine``: its row with every name asked for."""
    expr, twin_of = one_aggregate(table, aggs)
    return with_twins(engine.one(expr), twin_of)


def scope_counts(
    inputs: Inputs, scope: Scope, extra: dict[str, ir.Scalar] | None = None
) -> dict[str, Any]:
    """One aggregate over a scope: every row-level check's count plus ``extra``."""
    table = scope_table(scope, inputs.deals, inputs.reps)
    return aggregate_once(inputs.engine, table, dict(extra or {}) | check_counts_of(table, scope))


def counts_from_scan(scan: dict[str, Any]) -> dict[str, int]:
    """The counts of checks the deals scan's summary aggregates already give."""
    return {c.id: c.scan_count(scan) for c in CHECKS if c.scan_count is not None}


def data_quality(
    inputs: Inputs,
    known: dict[str, int] | None = None,
    per_rep: ir.Table | None = None,
    tree: Hierarchy | None = None,
    run: Runner | None = None,
) -> list[DataQualityItem]:
    """Every check that found something, plus optional columns absent from an input.

    ``known``: counts of row-level checks already made in a scan; the others are counted
    here (row-level ones in one aggregate per table). ``per_rep``: the kept
    ``deals_by_rep`` table, computed here when not given; ``tree`` likewise the reps'
    ``manager_tree`` (its loops are a finding). ``run``: the report's named queries (its
    ``unique`` slot kept already, when it is bound), else this call's own.
    """
    if run is None:
        slots = {"deals": inputs.deals, "reps": inputs.reps}
        run = Runner(inputs.engine, "quality", slots, {})
    if "unique" not in run.tables:
        keep_unique(run)
    if per_rep is None:
        keep_per_rep(run)
    else:
        run.bind("per_rep", per_rep)
    counts = dict(known or {})
    scopes: tuple[Scope, ...] = ("deals", "reps", "unique_reps")
    for scope in scopes:
        if any(c.id not in counts for c in fused_checks(scope)):
            counts.update(scope_counts(inputs, scope))
    items = []
    tables: tuple[tuple[Literal["deals", "reps"], Loaded], ...] = (
        ("deals", inputs.loaded_deals),
        ("reps", inputs.loaded_reps),
    )
    for table, loaded in tables:
        if loaded.notes:
            items.append(
                DataQualityItem(
                    check="read_as",
                    table=table,
                    severity="info",
                    count=len(loaded.notes),
                    message=f"The {table} file was {'; '.join(loaded.notes)}.",
                    examples=[],
                )
            )
        items += [
            DataQualityItem(
                check=f.check,
                table=table,
                severity=f.severity,
                count=f.count,
                message=f.message,
                examples=list(f.examples),
            )
            for f in loaded.findings
        ]
        columns = loaded.absent_columns
        if columns:
            items.append(
                DataQualityItem(
                    check="absent_column",
                    table=table,
                    severity="info",
                    count=len(columns),
                    message=absent_column_sentence(table, columns),
                    examples=sorted(columns),
                )
            )
    counts.update(_count_all(run, [c for c in CHECKS if c.id not in counts]))
    totals = {check.id: int(counts[check.id]) for check in CHECKS}
    hits = [check for check in CHECKS if totals[check.id]]
    examples = _examples_of(run, hits)
    items += [
        DataQualityItem(
            check=check.id,
            table=check.table,
            severity=check.severity,
            count=totals[check.id],
            message=check.sentence(totals[check.id]),
            examples=[check.example(key, n) for key, n in examples[check.id]],
        )
        for check in hits
    ]
    items += _loops(tree if tree is not None else manager_tree(inputs))
    return sorted(items, key=lambda item: (item.table, item.check))


def keep_unique(run: Runner) -> ir.Table:
    """The reps one row per rep_id (``unique_reps``), kept and bound to slot ``unique``:
    several checks and a scan read it."""
    return run.keep("reps.unique", "unique", lambda t, v: (unique_reps(t["reps"]), None))


def keep_per_rep(run: Runner, policy: Policy | None = None) -> ir.Table:
    """``deals_by_rep``, kept and bound to slot ``per_rep`` (the rep rows and a check read
    it; with ``policy``, the roll-ups too: the query's name then carries the policy)."""
    name = "deals.per_rep" if policy is None else f"deals.per_rep:{policy.fingerprint()}"
    return run.keep(name, "per_rep", lambda t, v: (deals_by_rep(t["deals"], policy), None))


def _found(t: Mapping[str, ir.Table], check: Check) -> ir.Table:
    """What ``check`` finds, over the slots ``deals``, ``reps``, ``unique``, ``per_rep``."""
    facts = Facts(deals=t["deals"], reps=t["reps"], unique=t["unique"], per_rep=t["per_rep"])
    return check.found(facts)


def _count_all(run: Runner, checks: list[Check]) -> dict[str, int]:
    """The counts of ``checks`` not counted in a scan: one query for all of them (a union of
    one-row aggregates), so Spark runs one job instead of one per check."""
    if not checks:
        return {}

    def build(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
        parts = []
        for check in checks:
            f = _found(t, check)
            count = f.n.sum() if check.count_rows else f.count()
            parts.append(
                f.aggregate(_count=count.cast("int64").fill_null(0)).mutate(
                    _check=ibis.literal(check.id)
                )
            )
        return ibis.union(*parts), None

    rows, _ = run.rows("quality.counts:" + ",".join(c.id for c in checks), build)
    return {row["_check"]: row["_count"] for row in rows}


def _examples_of(run: Runner, checks: list[Check]) -> dict[str, list[tuple[str | None, int]]]:
    """The first ``EXAMPLES`` (key, n) of each check by key (missing last), all in one
    query (one named query per set of checks that found something)."""
    listed: dict[str, list[tuple[str | None, int]]] = {check.id: [] for check in checks}
    if not checks:
        return listed

    def build(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
        parts = [
            _found(t, check)
            .order_by("key")
            .limit(EXAMPLES)
            .select("key", n=ibis._.n.cast("int64"), _check=ibis.literal(check.id))
            for check in checks
        ]  # a union keeps no order: order it as each part was cut
        return ibis.union(*parts).order_by(["_check", "key"]), None

    rows, _ = run.rows("quality.examples:" + ",".join(c.id for c in checks), build)
    for row in rows:
        listed[row["_check"]].append((row["key"], row["n"]))
    return listed


def _loops(tree: Hierarchy) -> list[DataQualityItem]:
    """A manager_id loop leaves the forecast without manager roll-ups: say which reps."""
    if not tree.loops:
        return []
    reps = len({rep for loop in tree.loops for rep in loop})
    return [
        DataQualityItem(
            check=MANAGER_LOOP,
            table="reps",
            severity="warning",
            count=reps,
            message=f"{reps} reps' manager_id make a loop (a rep above its own manager), so "
            "the forecast has no manager roll-up.",
            examples=tree.loop_text()[:EXAMPLES],
        )
    ]


ALLOW_EMPTY = "or pass --allow-empty to report it anyway"


def nothing_to_review(inputs: Inputs, total: int, known: int) -> InputError | None:
    """The error when the deals leave nothing to review (``validate``'s finding, sentence
    and fix): every deal row was left out as deleted, the deals input has no rows, or no
    deal has a known status (``known`` of ``total`` are active, won or lost). None when
    there is something."""
    left_out = [f for f in inputs.loaded_deals.findings if f.check == ALL_LEFT_OUT]
    if left_out:
        check, sentence = ALL_LEFT_OUT, left_out[0].message
    elif not total:
        check, sentence = "no_deals", _check("no_deals").sentence(1)
    elif not known:
        check, sentence = "no_known_status", _check("no_known_status").sentence(total)
    else:
        return None
    return InputError(
        f"{inputs.loaded_deals.source}: the report would be meaningless ({check}): {sentence}",
        hint=f"{fix_for(check)[:-1]}; {ALLOW_EMPTY}.",
    )


def _check(name: str) -> Any:
    return next(c for c in CHECKS if c.id == name)


def known_status_counts(inputs: Inputs) -> tuple[int, int]:
    """How many deal rows there are and how many have status active, won or lost."""
    d = inputs.deals
    row = inputs.engine.one(
        d.aggregate(total=d.count(), known=count_if(d, d.status.isin(STATUSES)))
    )
    return int(row["total"]), int(row["known"])
