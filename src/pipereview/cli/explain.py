"""The explain command: every rule's verdict on one deal or rep, with its values."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pipereview.cli.app import app
from pipereview.cli.common import (
    AsOfOpt,
    DealsOpt,
    DealsTableOpt,
    EngineName,
    EngineOpt,
    MappingOpt,
    MemoryOpt,
    PolicyOpt,
    PresetOpt,
    QuotasOpt,
    RatesOpt,
    RepsOpt,
    RepsTableOpt,
    SheetOpt,
    SourceOpt,
    SparkConfOpt,
    SparkMasterOpt,
    StagesOpt,
    engine_for,
    fail,
    inputs_of,
    intake_of,
    parse_date,
)
from pipereview.errors import PipereviewError


@app.command(short_help="Every rule's verdict on one deal or rep, with values and thresholds.")
def explain(
    subject_id: Annotated[str, typer.Argument(metavar="ID", help="A deal_id or rep_id.")],
    deals: DealsOpt = None,
    reps: RepsOpt = None,
    policy: PolicyOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the flags as JSON.")] = False,
    preset: PresetOpt = None,
    mapping: MappingOpt = None,
    stages: StagesOpt = None,
    sheet: SheetOpt = None,
    source: SourceOpt = None,
    deals_table: DealsTableOpt = None,
    reps_table: RepsTableOpt = None,
    rates: RatesOpt = None,
    quotas: QuotasOpt = None,
    as_of: AsOfOpt = None,
    engine: EngineOpt = EngineName.duckdb,
    memory_limit: MemoryOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
) -> None:
    """Print every rule's verdict on one deal or rep: fired or not, with values and thresholds."""
    from pipereview import api
    from pipereview.render.glossary import rule_label
    from pipereview.render.reasons import evidence_rows
    from pipereview.report.model import dumps

    deals, reps = inputs_of(
        deals, reps, source, deals_table, reps_table, mapped=bool(preset or mapping)
    )

    try:
        runner = engine_for(engine, memory_limit, spark_master, spark_conf, source)
        verdicts = api.explain(
            subject_id,
            deals,
            reps,
            policy=policy,
            engine=runner,
            as_of=parse_date(as_of),
            **intake_of(preset, mapping, stages, sheet, rates, quotas),
        )
    except PipereviewError as exc:
        raise fail(exc) from None
    if as_json:
        sys.stdout.write(dumps([v.model_dump() for v in verdicts]))
        return
    fired = sum(v.fired for v in verdicts)
    typer.echo(f"{subject_id}: {fired} of {len(verdicts)} rule verdicts raise a flag")
    for verdict in verdicts:
        mark = f"FLAG {verdict.severity}" if verdict.fired else "ok"
        typer.echo(f"[{mark}] {rule_label(verdict.rule)} ({verdict.rule}): {verdict.message}")
        for name, values in (("observed", verdict.observed), ("thresholds", verdict.thresholds)):
            shown = evidence_rows(verdict.rule, values)
            if shown:
                typer.echo(f"    {name}: " + " · ".join(f"{k} {v}" for k, v in shown))
