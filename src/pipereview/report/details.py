"""The report's reading aids: pipeline by stage, and the details of the deals it names.

Both are small: one row per stage, and one row per deal that a flag or a top opportunity
names (at most ``flags.max_per_rule`` per deal rule plus ``reps.top_opportunities`` per rep).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import groupby
from typing import Any

from pipereview.engines import Engine
from pipereview.engines.plan import Built, Runner
from pipereview.metrics.details import DEAL_DETAIL_METRICS, deal_details
from pipereview.metrics.pipeline import STAGE_PIPELINE_METRICS, pipeline_by_stage
from pipereview.report.model import (
    DealDetail,
    Flag,
    RepPerformance,
    StagePipeline,
)
from pipereview.report.rounding import rounded_rows


def stage_pipeline(engine: Engine, deals: Any, run: Runner | None = None) -> list[StagePipeline]:
    """Pipeline by stage, biggest pipeline first, then by stage (missing last); ``run``: a
    report's named queries (its ``deals`` slot), to run it by."""
    units = {m.name: m.unit for m in STAGE_PIPELINE_METRICS}
    if run is None:
        table = engine.arrow(pipeline_by_stage(deals))
    else:
        table = run.arrow("deals.stages", lambda t, v: (pipeline_by_stage(t["deals"]), None))[0]
    rows = [StagePipeline(**row) for row in rounded_rows(table, units)]
    return sorted(rows, key=lambda s: (-s.pipeline_value, s.stage is None, s.stage or ""))


def named_deals(flags: list[Flag], performance: list[RepPerformance]) -> list[str]:
    """Every deal id the report names: deal flags' subjects and top opportunities."""
    ids = {f.subject_id for f in flags if f.subject_type == "deal"}
    ids.update(i for rep in performance for i in rep.top_opportunities)
    return sorted(ids)


def details(
    engine: Engine,
    deals: Any,
    flags: list[Flag],
    performance: list[RepPerformance],
    run: Runner | None = None,
) -> list[DealDetail]:
    """The details of every deal the report names, ordered by deal_id then content; ``run``:
    a report's named queries (its ``deals`` slot), to run it by."""
    ids = named_deals(flags, performance)
    if not ids:
        return []
    wanted = engine.small({"_label": ids}, {"_label": "string"})
    if run is None:
        table = engine.arrow(deal_details(deals, wanted))
    else:  # the ids are bound to a slot of their own
        run.bind("detail_ids", wanted)
        table = run.arrow("deals.details", _details)[0]
    names = {r.rep_id: r.rep_name for r in performance}
    units = {m.name: m.unit for m in DEAL_DETAIL_METRICS}
    found = [
        DealDetail(
            rep_name=names.get(row["rep_id"]),
            **{**row, "risk_flags": row["risk_flags"] or []},
        )
        for row in rounded_rows(table, units)
    ]
    found.sort(key=lambda d: d.deal_id)
    return _content_ordered(found)


def _details(t: Mapping[str, Any], v: Mapping[str, Any]) -> Built:
    return deal_details(t["deals"], t["detail_ids"]), None


def _content_ordered(found: list[DealDetail]) -> list[DealDetail]:
    """``found`` (sorted by deal_id) with the rows of a repeated deal_id in content order,
    so that the input's row order never shows: only those rows pay for their JSON."""
    out: list[DealDetail] = []
    for _, group in groupby(found, key=lambda d: d.deal_id):
        same = list(group)
        out += same if len(same) == 1 else sorted(same, key=lambda d: d.model_dump_json())
    return out
