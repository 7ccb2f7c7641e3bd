"""The forecast command: the quarter's forecast categories, roll-ups, quota, gap and
coverage, by rep, manager, team, region or for the company."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, cast

import typer

from pipereview.cli.app import app
from pipereview.cli.common import (
    AllowEmptyOpt,
    DealsOpt,
    DealsTableOpt,
    EngineName,
    EngineOpt,
    MappingOpt,
    MemoryOpt,
    OutputOpt,
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
    check_output,
    emit,
    engine_for,
    fail,
    inputs_of,
    intake_of,
    parse_date,
    progress,
    read_files,
)
from pipereview.cli.preflight import table_width
from pipereview.errors import PipereviewError


class ForecastFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    md = "md"
    html = "html"


class By(StrEnum):
    rep = "rep"
    manager = "manager"
    team = "team"
    region = "region"
    company = "company"


@app.command(
    short_help="The quarter's forecast call: categories, quota, gap and coverage by level."
)
def forecast(
    deals: DealsOpt = None,
    reps: RepsOpt = None,
    policy: PolicyOpt = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", metavar="DATE", help="YYYY-MM-DD (default: today).")
    ] = None,
    period: Annotated[
        str,
        typer.Option(
            "--period",
            help="this-quarter (the fiscal quarter holding --as-of), next-quarter, "
            "last-quarter, FY2026-Q3, this-year, FY2027, this-half, FY2027-H1, this-month, "
            "2026-11 or a range 2026-07-01..2026-09-30.",
        ),
    ] = "this-quarter",
    by: Annotated[By, typer.Option("--by", help="The level the table shows.")] = By.rep,
    allow_empty: AllowEmptyOpt = False,
    fmt: Annotated[
        ForecastFormat, typer.Option("--format", help="Output format (JSON has every level).")
    ] = ForecastFormat.table,
    output: OutputOpt = None,
    engine: EngineOpt = EngineName.duckdb,
    memory_limit: MemoryOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
    preset: PresetOpt = None,
    mapping: MappingOpt = None,
    stages: StagesOpt = None,
    sheet: SheetOpt = None,
    source: SourceOpt = None,
    deals_table: DealsTableOpt = None,
    reps_table: RepsTableOpt = None,
    rates: RatesOpt = None,
    quotas: QuotasOpt = None,
) -> None:
    """The forecast call: closed won, commit, best case, pipeline and the cumulative
    forecasts for a fiscal quarter, with quota, gap and coverage, rolled up by manager
    (recursively), team and region."""
    from pipereview import api
    from pipereview.render.forecast import render_forecast_markdown, render_forecast_table
    from pipereview.render.html import render_forecast_html
    from pipereview.report.forecast_model import Level

    date = parse_date(as_of)
    read = read_files(deals=deals, reps=reps, policy=policy, mapping=mapping, stages=stages)
    read |= read_files(rates=rates, quotas=quotas, source=source)
    check_output(output, fmt.value, read)  # before any work
    deals, reps = inputs_of(
        deals, reps, source, deals_table, reps_table, mapped=bool(preset or mapping)
    )
    try:
        resolved = api.load_policy(policy)  # read once: the forecast and the page layout
        with progress() as step:
            runner = engine_for(engine, memory_limit, spark_master, spark_conf, source)
            result = api.forecast(
                deals,
                reps,
                as_of=date,
                period=period,
                policy=resolved,
                engine=runner,
                progress=step,
                allow_empty=allow_empty,
                **intake_of(preset, mapping, stages, sheet, rates, quotas),
            )
    except PipereviewError as exc:
        raise fail(exc) from None
    level = cast(Level, by.value)
    cur = resolved.currency.base.strip().upper()  # the report's currency (D42)
    renderers = {
        "table": lambda: render_forecast_table(result, level, table_width(output), cur),
        "json": result.to_json,
        "markdown": lambda: render_forecast_markdown(result, level, cur),
        "md": lambda: render_forecast_markdown(result, level, cur),
        "html": lambda: render_forecast_html(result, level, resolved.output.page_size, cur),
    }
    emit(renderers[fmt.value](), output, read)
