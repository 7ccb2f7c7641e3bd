"""Deal details: the few deals a report names (flags, top opportunities), with what a
reader needs beside the id: owner, stage, status, value, probability, age and close date."""

from __future__ import annotations

import ibis.expr.types as ir

from pipereview.inputs.canonical import deal_label
from pipereview.metrics.base import (
    Metric,
    days_in_stage,
    deal_value,
    expected_value,
    probability,
)

DEAL_DETAIL_METRICS: tuple[Metric, ...] = (
    Metric("deal_value_usd", "usd", "Deal value (missing = 0).", deal_value),
    Metric("probability", "ratio", "Win probability (missing = 0).", probability),
    Metric("expected_value", "usd", "deal_value_usd x probability.", expected_value),
    Metric("days_in_stage", "days", "Days in the current stage (missing = 0).", days_in_stage),
)


def deal_details(deals: ir.Table, wanted: ir.Table) -> ir.Table:
    """The deal rows whose label (deal_id, or "row N") is a ``_label`` of ``wanted``:
    deal_id, rep_id, stage, status, close_date, risk_flags and the ``DEAL_DETAIL_METRICS``,
    unrounded. A repeated id gives one row per deal row."""
    labelled = deals.mutate(_label=deal_label(deals))
    found = labelled.semi_join(wanted, "_label")
    return found.select(
        deal_id=found._label,
        rep_id=found.rep_id,
        stage=found.stage,
        status=found.status,
        close_date=found.close_date,
        risk_flags=found.risk_flags,
        **{m.name: m.expr(found) for m in DEAL_DETAIL_METRICS},
    )
