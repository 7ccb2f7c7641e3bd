"""The rules commands: every rule a policy runs (`rules list`), and each rule's count and
first flags on data (`rules test`), so a team can try its own rule before relying on it."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pipereview.cli.app import app
from pipereview.cli.common import (
    DealsOpt,
    DealsTableOpt,
    EngineName,
    EngineOpt,
    ListFormat,
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
    progress,
)
from pipereview.errors import PipereviewError

rules_app = typer.Typer(no_args_is_help=True, help="Flag rules: built-in and the policy's own.")
app.add_typer(rules_app, name="rules")
FormatOpt = Annotated[ListFormat, typer.Option("--format", help="table (default) or json.")]


@rules_app.command("list")
def rules_list(policy: PolicyOpt = None, fmt: FormatOpt = ListFormat.table) -> None:
    """Every rule the policy runs, in evaluation order: the built-in ones with the policy
    values they read, then the policy's \\[\\[rules]] with their conditions."""
    from pipereview import api
    from pipereview.report.model import dumps

    try:
        rules = api.list_rules(policy)
    except PipereviewError as exc:
        raise fail(exc) from None
    if fmt is ListFormat.json:
        sys.stdout.write(dumps([r.model_dump() for r in rules]))
        return
    for r in rules:
        state = "" if r.enabled else " (disabled)"
        typer.echo(f"{r.id} [{r.source}, {r.subject_type}, {r.severity}]{state}")
        typer.echo(f"    {'when' if r.source == 'policy' else 'rule'}: {r.when}")
        for key, value in r.thresholds.items():
            typer.echo(f"    {key} = {value}")


@rules_app.command("test")
def rules_test(
    deals: DealsOpt = None,
    reps: RepsOpt = None,
    policy: PolicyOpt = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="DATE", help="YYYY-MM-DD the rules judge at (default: today)."
        ),
    ] = None,
    examples: Annotated[int, typer.Option("--examples", min=0, help="Flags to show per rule.")] = 3,
    fmt: FormatOpt = ListFormat.table,
    preset: PresetOpt = None,
    mapping: MappingOpt = None,
    stages: StagesOpt = None,
    sheet: SheetOpt = None,
    source: SourceOpt = None,
    deals_table: DealsTableOpt = None,
    reps_table: RepsTableOpt = None,
    rates: RatesOpt = None,
    quotas: QuotasOpt = None,
    engine: EngineOpt = EngineName.duckdb,
    memory_limit: MemoryOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
) -> None:
    """Each enabled rule's count on the data and its first flags, without the full report."""
    from pipereview import api
    from pipereview.report.model import dumps

    date = parse_date(as_of)
    deals, reps = inputs_of(
        deals, reps, source, deals_table, reps_table, mapped=bool(preset or mapping)
    )
    try:
        with progress() as step:
            runner = engine_for(engine, memory_limit, spark_master, spark_conf, source)
            results = api.test_rules(
                deals,
                reps,
                as_of=date,
                policy=policy,
                engine=runner,
                examples=examples,
                progress=step,
                **intake_of(preset, mapping, stages, sheet, rates, quotas),
            )
    except PipereviewError as exc:
        raise fail(exc) from None
    if fmt is ListFormat.json:
        sys.stdout.write(dumps([r.model_dump() for r in results]))
        return
    for result in results:
        rule = result.rule
        noun = rule.subject_type if result.total == 1 else f"{rule.subject_type}s"
        typer.echo(f"{rule.id} [{rule.source}, {rule.severity}]: {result.total:,} {noun}")
        for flag in result.examples:
            typer.echo(f"    {flag.subject_id}: {flag.message}")
