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

from pipereview.engines import count_if
from pipereview.inputs.loaded import Finding, run_checked
from pipereview.metrics.history import (
    DAYS_PUSHED,
    FIRST_CLOSE,
    PUSHES,
    days_since,
    stage_entered,
)
from pipereview.report.inputs import Inputs
from pipereview.report.model import DataQualityItem

HistorySource = Literal["stage_history", "field_history", "snapshots"]
SOURCE_NAMES: dict[HistorySource, str] = {
    "stage_history": "the stage history (--stage-history)",
    "field_history": "the field history (--field-history)",
    "snapshots": "the store's snapshots (--store)",
}
DAYS_SOURCE_CHECK = "days_in_stage_source"
PUSHES_UNKNOWN_CHECK = "pushes_unknown"
HISTORY_CHECKS = (DAYS_SOURCE_CHECK,)  # data-quality findings a history adds


@dataclass(frozen=True)
class DealHistory:
    """One history of the deals: where it came from, its stage intervals (deal_id, stage,
    entered_at, exited_at) and, when it shows close dates, each deal's pushes (``_pid`` and
    the ``metrics.history`` push columns; None when unknown)."""

    source: HistorySource
    intervals: ir.Table
    pushes: ir.Table | None


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
    deals = dataclasses.replace(loaded, table=kept.drop("_from_history"), findings=findings)
    return dataclasses.replace(inputs, loaded_deals=deals)


def _days_finding(source: HistorySource, counts: dict[str, int], as_of: dt.date) -> Finding:
    given, found, unknown = (int(counts[k]) for k in ("given", "found", "unknown"))
    return Finding(
        DAYS_SOURCE_CHECK,
        "info",
        found,
        f"Days in stage: {given} deal rows from the input's days_in_stage column, {found} "
        f"from {SOURCE_NAMES[source]} (days from the deal's last stage change to "
        f"{as_of.isoformat()}), {unknown} unknown (counted as 0).",
    )


def pushes_unknown(deals: ir.Table, active: int) -> list[DataQualityItem]:
    """The data-quality item saying the close-date pushes are unknown (no history with
    close dates), so ``repeatedly_pushed`` raises nothing; none when they are known or no
    deal is active."""
    if has_pushes(deals) or not active:
        return []
    return [
        DataQualityItem(
            check=PUSHES_UNKNOWN_CHECK,
            table="deals",
            severity="info",
            count=active,
            message=f"Close-date pushes are unknown for the {active} active deals (not zero): "
            "repeatedly_pushed raises nothing and the slip rate is not computed without a "
            "history of close dates (--field-history with CloseDate changes, or --store).",
            examples=[],
        )
    ]
