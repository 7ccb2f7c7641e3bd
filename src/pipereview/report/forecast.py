"""Building the forecast section: one scan of the deals per rep, then every level from the
(small, kept) rep rows, rounded once.

The engine does every sum (``metrics.forecast``); the management hierarchy is worked out
from the reps' ``manager_id`` (``metrics.hierarchy``: a depth-first numbering, where the ids
under a manager hold one run of numbers) and joined in the engine as two small tables, so a
manager's row is a difference of running sums, linear however deep the chain.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

import ibis
import ibis.expr.types as ir

from pipereview.decimals import exact_decimal
from pipereview.engines import Engine
from pipereview.engines.plan import Builder, Built, Runner, as_value, schema_text
from pipereview.errors import InputError
from pipereview.fiscal import fiscal_quarter
from pipereview.metrics.base import Unit, unique_reps
from pipereview.metrics.forecast import (
    ADDITIVE_COUNTS,
    ADDITIVE_MONEY,
    category_lookup,
    close_months,
    deals_forecast,
    period_quotas,
    rep_forecast,
    rollup,
    stacked,
    subtree_rollup,
    unstacked,
    with_coverage,
)
from pipereview.metrics.hierarchy import Hierarchy, hierarchy, manager_of
from pipereview.metrics.ratios import denominator_of, exact, numerator_of
from pipereview.periods import parse_period
from pipereview.policy import Policy
from pipereview.report.forecast_model import CloseMonth, Forecast, ForecastRow, Level
from pipereview.report.inputs import Inputs
from pipereview.report.model import UNIT_PLACES, not_falsely_whole, row_rounder, widened
from pipereview.report.rounding import rounded_rows
from pipereview.schema import OPEN_CATEGORIES

_UNITS: dict[str, Unit] = {
    **{name: "usd" for name in ADDITIVE_MONEY},
    **{name: "count" for name in ADDITIVE_COUNTS},
    **{f"{name}_forecast": "usd" for name in ("commit", "best_case")},
    "open_pipeline": "usd",
    "gap_to_quota": "usd",
    "weighted_coverage": "ratio",
    # coverage has no unit here: ``_coverage_shown`` shows it from its raw value
}


def resolve_period(period: str, as_of: dt.date, start_month: int) -> tuple[str, dt.date, dt.date]:
    """The label, first and last day of ``period`` (``periods.parse_period``: a quarter, a
    half, a fiscal year, a month or a range of days)."""
    found = parse_period(period, as_of, start_month)
    assert found.first is not None and found.last is not None
    return found.label, found.first, found.last


class Kept(NamedTuple):
    """What ``forecast_reps`` keeps in the engine for one period: every rep's figures
    (``reps``), the deals' category lookup (``lookup``, ``category_lookup``), both bound in
    ``run`` (slots ``fc_reps`` and ``fc_lookup``) for the forecast's other queries."""

    reps: ir.Table
    lookup: ir.Table
    run: Runner


def forecast_values(period: str, as_of: dt.date, start_month: int) -> dict[str, tuple[str, Any]]:
    """The values the forecast's queries read (name -> (type, value)): the report date, the
    period's first and last days and label, and the last day of the close months (the end
    of the fiscal quarter after the period's last one)."""
    label, first, last = resolve_period(period, as_of, start_month)
    months_last = fiscal_quarter(
        fiscal_quarter(last, start_month)[1] + dt.timedelta(days=1), start_month
    )[1]
    dates = {"as_of": as_of, "period_first": first, "period_last": last, "months_last": months_last}
    return {name: ("date", day) for name, day in dates.items()} | {
        "period_label": ("string", label)
    }


def forecast_runner(inputs: Inputs, policy: Policy, as_of: dt.date, period: str) -> Runner:
    """The named queries of one forecast on ``inputs`` (slots ``deals`` and ``reps``)."""
    values = forecast_values(period, as_of, policy.calendar.fiscal_year_start_month)
    tables = {"deals": inputs.deals, "reps": inputs.reps}
    return Runner(inputs.engine, policy.fingerprint(), tables, values)


def manager_tree(inputs: Inputs, run: Runner | None = None) -> Hierarchy:
    """The management hierarchy of the reps input (``metrics.hierarchy``): its rep_id and
    manager_id pairs are few (one per rep), so they are worked out here and joined back.
    ``run``: a report's named queries with the unique reps kept (slot ``unique``)."""
    if run is None or "unique" not in run.tables:
        rows = inputs.engine.rows(unique_reps(inputs.reps).select("rep_id", "manager_id"))
    else:
        rows = run.rows(
            "reps.tree", lambda t, v: (t["unique"].select("rep_id", "manager_id"), None)
        )[0]
    return hierarchy((row["rep_id"], row["manager_id"]) for row in rows)


def tree_tables(engine: Engine, tree: Hierarchy) -> tuple[ir.Table, ir.Table]:
    """The hierarchy as the two small tables ``subtree_rollup`` joins: every id in
    depth-first order (_o_id, _o_index) and each manager's span (_p_manager, _s_first,
    _s_last)."""
    order = engine.small(
        {"_o_id": tree.order, "_o_index": list(range(len(tree.order)))},
        {"_o_id": "string", "_o_index": "int64"},
    )
    spans = engine.small(
        {
            "_p_manager": list(tree.spans),
            "_s_first": [first for first, _ in tree.spans.values()],
            "_s_last": [last for _, last in tree.spans.values()],
        },
        {"_p_manager": "string", "_s_first": "int64", "_s_last": "int64"},
    )
    return order, spans


def loop_error(tree: Hierarchy) -> InputError:
    """The error for a forecast asked of a hierarchy with a loop."""
    return InputError(
        f"reps: manager_id makes a loop: {'; '.join(tree.loop_text())}",
        hint="fix the manager_id of one of these reps (the top of a hierarchy has no manager_id)",
    )


def build_forecast(
    inputs: Inputs,
    policy: Policy,
    as_of: dt.date,
    period: str = "this-quarter",
    kept: Kept | None = None,
    tree: Hierarchy | None = None,
) -> Forecast:
    """The forecast for ``period`` (see ``resolve_period``) at every level; ``kept`` is
    that period's ``forecast_reps`` and ``tree`` the ``manager_tree`` when the caller
    already has them. A hierarchy with a loop gives no manager rows."""
    start_month = policy.calendar.fiscal_year_start_month
    label, first, last = resolve_period(period, as_of, start_month)
    if kept is None:
        kept = forecast_reps(inputs, policy, as_of, period)
    if tree is None:
        tree = manager_tree(inputs)
    run = kept.run
    named, _ = run.rows("forecast.names", _names)
    names = {row["rep_id"]: row["rep_name"] for row in named}
    managers: list[dict[str, Any]] = []
    if tree.spans:
        order, spans = tree_tables(inputs.engine, tree)
        run.bind("fc_order", order)
        run.bind("fc_spans", spans)
        managers = _rows(run, "forecast.managers", policy, "_p_manager", _managers)
    levels = _levels(run, policy, (None, "team", "region"))
    return Forecast(
        period=label,
        period_start=first,
        period_end=last,
        as_of=as_of,
        low_coverage_below=policy.forecast.low_coverage_below,
        company=_row("company", levels[None][0], None, None, "reps"),
        by_rep=[
            _row("rep", row, row["rep_name"], _parent(row), row["quota_source"])
            for row in _rows(run, "forecast.reps", policy, "rep_id", _reps)
        ],
        by_manager=[
            _row("manager", row, names.get(key), tree.managers.get(key), "reps")
            for row in managers
            if (key := row["_p_manager"]) is not None
        ],
        by_team=[_row("team", r, None, None, "reps") for r in levels["team"]],
        by_region=[_row("region", r, None, None, "reps") for r in levels["region"]],
        by_close_month=_months(run, first, run.values["months_last"]),
    )


def _names(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
    reps = t["fc_reps"]
    return reps.filter(reps.in_reps).select("rep_id", "rep_name"), None


def _reps(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> ir.Table:
    return t["fc_reps"]


def _managers(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> ir.Table:
    return subtree_rollup(t["fc_reps"], t["fc_order"], t["fc_spans"])


def forecast_reps(
    inputs: Inputs, policy: Policy, as_of: dt.date, period: str = "this-quarter"
) -> Kept:
    """Every rep's forecast figures for ``period`` with the derived ones and ``_period``
    (its label), kept in the engine: one row per rep (the low_coverage rule reads it too);
    and the category lookup the close months read."""
    found = parse_period(period, as_of, policy.calendar.fiscal_year_start_month)
    run = forecast_runner(inputs, policy, as_of, period)
    lookup = run.keep(
        "forecast.lookup", "fc_lookup", lambda t, v: (category_lookup(t["deals"], policy), None)
    )
    # the annual quota's share: a quarter of it per whole fiscal quarter; none for a period
    # that is not whole quarters (a month, a range): never a rounded guess (decisions D44)
    share = None if found.quarters is None else Decimal(found.quarters) / 4
    name = f"forecast.rep_rows:{share}"
    if inputs.quotas is not None:
        run.bind("quotas", inputs.quotas)
        name += f":quotas{schema_text(inputs.quotas)}"

    def build(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
        first, last = v["period_first"], v["period_last"]
        per_deals = deals_forecast(t["deals"], t["fc_lookup"], first, last, v["as_of"])
        quotas = period_quotas(t["quotas"], first, last) if "quotas" in t else None
        reps = rep_forecast(per_deals, t["reps"], quotas, share)
        label = as_value(v["period_label"], "string")
        return with_coverage(reps, policy).mutate(_period=label), None

    return Kept(run.keep(name, "fc_reps", build), lookup, run)


def stored_reps(forecast: Forecast) -> ir.Table:
    """The rep rows of a report's forecast section as the table ``forecast_reps`` keeps (the
    columns the forecast rules read), for judging a stored day by the figures it showed."""
    import pyarrow as pa

    rows = forecast.by_rep
    money = pa.decimal128(38, 4)
    columns: dict[str, tuple[pa.DataType, list[Any]]] = {
        "rep_id": (pa.string(), [r.id for r in rows]),
        "rep_name": (pa.string(), [r.name for r in rows]),
        "in_reps": (pa.bool_(), [r.reps == 1 for r in rows]),
        "coverage": (
            pa.float64(),
            [None if r.coverage is None else float(r.coverage) for r in rows],
        ),
        "weighted_coverage": (pa.float64(), [r.weighted_coverage for r in rows]),
        "slipped_deals": (pa.int64(), [r.slipped_deals for r in rows]),
        "low_coverage": (pa.bool_(), [r.low_coverage for r in rows]),
        **{name: (money, [getattr(r, name) for r in rows]) for name in _STORED_MONEY},
        "_period": (pa.string(), [forecast.period] * len(rows)),
    }
    return ibis.memtable(
        pa.table({name: pa.array(values, kind) for name, (kind, values) in columns.items()})
    )


_STORED_MONEY = (
    "closed_won",
    "commit_forecast",
    "best_case_forecast",
    "open_pipeline",
    "weighted_open_pipeline",
    "quota",
    "gap_to_quota",
    "slipped_value",
)


def keyed(table: ir.Table, key: str | None) -> ir.Table:
    """A level's table with ``_key`` (its ``key`` column; null for the company), ordered by
    it, missing last."""
    if key is None:
        return table.mutate(_key=ibis.null("string"))
    return table.order_by([table[key].isnull(), key]).mutate(_key=table[key])


def _rows(
    run: Runner,
    name: str,
    policy: Policy,
    key: str | None,
    level: Callable[[Mapping[str, ir.Table], Mapping[str, Any]], ir.Table],
) -> list[dict[str, Any]]:
    """A level's rows (query ``name``: ``level``'s table) with the derived figures, ordered
    by key (missing last), rounded."""
    return _shown(run, name, policy, lambda t, v: (keyed(_covered(level(t, v), policy), key), None))


def _levels(
    run: Runner, policy: Policy, keys: tuple[str | None, ...]
) -> dict[str | None, list[dict[str, Any]]]:
    """The rows of each level of ``keys`` (None: the company) summed from the kept rep rows,
    by level: one statement (query ``forecast.levels``)."""

    def build(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
        return stacked([(key, _covered(rollup(t["fc_reps"], key), policy)) for key in keys]), None

    rows = _shown(run, "forecast.levels", policy, build)
    return unstacked(rows, keys)


def _covered(table: ir.Table, policy: Policy) -> ir.Table:
    return table if "open_pipeline" in table.columns else with_coverage(table, policy)


def _shown(run: Runner, name: str, policy: Policy, build: Builder) -> list[dict[str, Any]]:
    """Query ``name``'s rows, rounded, each coverage shown as it reads against the policy."""
    arrow, _ = run.arrow(name, build)
    rows = rounded_rows(arrow, _UNITS | {"coverage": "ratio"})
    parts = zip(
        arrow.column(numerator_of("coverage")).to_pylist(),
        arrow.column(denominator_of("coverage")).to_pylist(),
        strict=True,
    )
    limit = exact_decimal(policy.forecast.low_coverage_below)
    shown = zip(rows, parts, strict=True)
    return [_coverage_shown(row, top, bottom, limit) for row, (top, bottom) in shown]


def _coverage_shown(row: dict[str, Any], top: Any, bottom: Any, limit: Decimal) -> dict[str, Any]:
    """Coverage, the exact quotient rounded once to 2 places, keeps the decimals that make
    it read against the threshold as the engine found it (2.99999x is low, never shown as
    "3.00x (low)"; exactly 3x is not low and shows 3.0), and never reads 0 when it is not.
    The 2-place value is kept when it reads right, the usual case; else it is widened from
    the exact quotient of ``top`` and ``bottom``."""
    shown = row["coverage"]
    if shown is None:
        return row
    low = row["low_coverage"]
    if (Decimal(repr(shown)) < limit) == low and (shown != 0 or top == 0):
        return row
    raw = exact({numerator_of("coverage"): top, denominator_of("coverage"): bottom}, "coverage")
    widest = widened(raw, UNIT_PLACES["ratio"], lambda v: (v < limit) == low)
    row["coverage"] = not_falsely_whole("ratio", raw, widest) if widest == 0 else widest
    return row


def _parent(row: dict[str, Any]) -> str | None:
    """A rep's manager (``metrics.hierarchy.manager_of``)."""
    return manager_of(row["rep_id"], row["manager_id"])


# The ForecastRow fields a level's engine row gives (the rest are set by ``_row``).
_FIGURES = frozenset(ForecastRow.model_fields) - {
    "level",
    "id",
    "name",
    "parent",
    "team",
    "region",
    "quota_source",
}


def _row(
    level: Level, row: dict[str, Any], name: str | None, parent: str | None, source: str
) -> ForecastRow:
    values = {k: v for k, v in row.items() if k in _FIGURES}
    if level == "rep":
        values |= {"team": row["team"], "region": row["region"]}
    return ForecastRow(
        **values, level=level, id=row["_key"], name=name, parent=parent, quota_source=source
    )


def _months(run: Runner, first: dt.date, last: dt.date) -> list[CloseMonth]:
    """Every month of [first, last] (zeros for a month without deals); ``last`` is the
    runner's ``months_last``."""

    def build(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
        return close_months(t["deals"], t["fc_lookup"], v["period_first"], v["months_last"]), None

    found = {_day(row["month"]): row for row in run.rows("forecast.months", build)[0]}
    units: dict[str, Unit] = {n: "usd" for n in (*OPEN_CATEGORIES, "open_pipeline")}
    months, day = [], first
    while day <= last:
        row = found.get(day, {})
        values = {n: row.get(n, Decimal(0)) for n in OPEN_CATEGORIES}
        counts = {f"{n}_deals": int(row.get(f"{n}_deals", 0)) for n in OPEN_CATEGORIES}
        values["open_pipeline"] = sum(values.values(), Decimal(0))
        months.append(
            CloseMonth(
                month=day,
                **row_rounder(units)(values),
                **counts,
                open_pipeline_deals=sum(counts.values()),
            )
        )
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
