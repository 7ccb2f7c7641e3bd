"""A deal history applied to the report's deals: days in stage for the deals without them
(from each deal's last stage change) and each deal's close-date pushes (decisions D48, D49).

The history is read once (``api``) into a ``DealHistory``; ``with_history`` gives the
report's inputs whose deals carry it, and says in the data quality where every deal's days
in stage came from. Without a history (or one with no close-date change) the pushes are
unknown: the deals have no push columns and ``pushes_unknown`` says so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir

from pipereview.engines import Engine, count_if
from pipereview.inputs.loaded import Finding, run_checked
from pipereview.metrics.base import is_active
from pipereview.metrics.history import (
    DAYS_PUSHED,
    FIRST_CLOSE,
    PUSHES,
    close_date_pushes,
    days_pushed,
    days_since,
    slip_from_fields,
    slip_from_snapshot,
    stage_entered,
)
from pipereview.report.forecast_model import Forecast
from pipereview.report.inputs import Inputs
from pipereview.report.model import DataQualityItem, Slippage
from pipereview.report.rounding import rounded

HistorySource = Literal["stage_history", "field_history", "snapshots"]
SOURCE_NAMES: dict[HistorySource, str] = {
    "stage_history": "the stage history (--stage-history)",
    "field_history": "the field history (--field-history)",
    "snapshots": "the store's snapshots (--store)",
}
DAYS_SOURCE_CHECK = "days_in_stage_source"
PUSHES_UNKNOWN_CHECK = "pushes_unknown"
HISTORY_CHECKS = (DAYS_SOURCE_CHECK, PUSHES_UNKNOWN_CHECK)  # data-quality findings a history adds


@dataclass(frozen=True)
class DealHistory:
    """One history of the deals: where it came from, its stage intervals (deal_id, stage,
    entered_at, exited_at) and, when it shows close dates, each deal's pushes (``_pid`` and
    the ``metrics.history`` push columns; None when unknown)."""

    source: HistorySource
    intervals: ir.Table
    pushes: ir.Table | None
    changes: ir.Table | None = None  # a field history's close-date changes
    snapshots: ir.Table | None = None  # the store's snapshots and the deals now (as_of ...)
    dates: tuple[dt.date, ...] = ()  # the snapshots' dates


def has_pushes(deals: ir.Table) -> bool:
    """Whether the deals carry close-date pushes (a history with close dates was given)."""
    return PUSHES in deals.columns


def with_history(inputs: Inputs, history: DealHistory, as_of: dt.date) -> Inputs:
    """``inputs`` whose deals have days_in_stage from the history where the input has none
    (days from the deal's last stage change on or before ``as_of`` to ``as_of``) and, when
    the history shows close dates, the push columns (0 pushes for a deal it never moved;
    its first close date is then its current one). The filled deals are kept once; the data
    quality gains ``days_in_stage_source`` when a deal lacked days in stage."""
    engine, d = inputs.engine, inputs.deals
    entered = stage_entered(history.intervals, as_of)
    j = d.left_join(entered, d.deal_id == entered._hid)
    if history.pushes is not None:
        j = j.left_join(history.pushes, j.deal_id == history.pushes._pid)
    from_history = j.days_in_stage.isnull() & j._entered.notnull()
    columns = {name: j[name] for name in d.columns}
    columns["days_in_stage"] = ibis.ifelse(
        from_history, days_since(j._entered, as_of), j.days_in_stage
    )
    if history.pushes is not None:
        known = j.deal_id.notnull()
        columns[PUSHES] = ibis.ifelse(known, j[PUSHES].fill_null(0), ibis.null("int64"))
        columns[DAYS_PUSHED] = ibis.ifelse(known, j[DAYS_PUSHED].fill_null(0), ibis.null("int64"))
        columns[FIRST_CLOSE] = j[FIRST_CLOSE].coalesce(j.close_date)
    extra = {"_from_history": from_history}
    loaded = inputs.loaded_deals
    kept = run_checked(loaded, lambda: engine.cache(j.select(**columns, **extra)))
    counts = engine.one(
        kept.aggregate(
            given=count_if(kept, kept.days_in_stage.notnull() & ~kept._from_history),
            found=count_if(kept, kept._from_history),
            unknown=count_if(kept, kept.days_in_stage.isnull()),
        )
    )
    findings = loaded.findings
    if counts["found"] or counts["unknown"]:
        findings = (*findings, _days_finding(history.source, counts, as_of))
    table = engine.named(kept.drop("_from_history"))  # a table the report's plans can bind
    deals = dataclasses.replace(loaded, table=table, findings=findings)
    return dataclasses.replace(inputs, loaded_deals=deals)


def _days_finding(source: HistorySource, counts: dict[str, int], as_of: dt.date) -> Finding:
    given, found, unknown = (int(counts[k]) for k in ("given", "found", "unknown"))
    return Finding(
        DAYS_SOURCE_CHECK,
        "info",
        found,
        f"Days in stage: {given} deal rows from the input's days-in-stage column, {found} "
        f"from {SOURCE_NAMES[source]} (days from the deal's last stage change to "
        f"{as_of.isoformat()}), {unknown} unknown (counted as 0).",
    )


def with_pushes_note(
    quality: list[DataQualityItem], deals: ir.Table, active: int
) -> list[DataQualityItem]:
    """``quality`` with ``pushes_unknown`` when the close-date pushes are unknown (no
    history of close dates), so ``repeatedly_pushed`` raises nothing: counts the ``active``
    deals. Unchanged when the pushes are known or no deal is active."""
    if has_pushes(deals) or not active:
        return quality
    note = DataQualityItem(
        check=PUSHES_UNKNOWN_CHECK,
        table="deals",
        severity="info",
        count=active,
        message=f"Close-date pushes are unknown for the {active} active deals (not zero): "
        "no deal is flagged as pushed repeatedly without a history of close dates "
        "(--field-history with CloseDate changes, or --store with earlier snapshots).",
        examples=[],
    )
    return sorted([*quality, note], key=lambda item: (item.table, item.check))


def build_slippage(
    engine: Engine, history: DealHistory, deals: ir.Table, forecast: Forecast
) -> Slippage | None:
    """The active deals' pushes and the slip rate of the forecast's quarter, from the
    ``deals`` ``with_history`` filled; None when the pushes are unknown. The slip rate needs
    the deals as they stood at the quarter's start: a field history's close-date changes, or
    a snapshot taken on or before that day (else the slip figures are null)."""
    if not has_pushes(deals):
        return None
    active = deals.filter(is_active(deals))
    pushes = close_date_pushes(active)
    row = engine.one(
        active.aggregate(
            pushed_deals=count_if(active, pushes > 0),
            pushes=pushes.sum().cast("int64").fill_null(0),
            days_pushed=days_pushed(active).sum().cast("int64").fill_null(0),
        )
    )
    start, end = forecast.period_start, forecast.period_end
    slip = None
    if history.changes is not None:
        slip = slip_from_fields(deals, history.changes, start, end)
    elif history.snapshots is not None and any(day <= start for day in history.dates):
        day = max(day for day in history.dates if day <= start)
        then = history.snapshots.filter(history.snapshots.as_of == day)
        slip = slip_from_snapshot(then, deals, start, end)
    figures = {k: None for k in ("due_deals", "due_value", "moved_out_deals", "moved_out_value")}
    rate = None
    if slip is not None:
        figures = engine.one(slip)
        due, moved = figures["due_value"], figures["moved_out_value"]
        rate = moved / due if due else None
    values = rounded(
        {**figures, "slip_rate": rate},
        {"due_value": "usd", "moved_out_value": "usd", "slip_rate": "ratio"},
    )
    return Slippage(
        source=history.source,
        **{k: int(v) for k, v in row.items()},
        period=forecast.period,
        period_start=start,
        period_end=end,
        **values,
    )
