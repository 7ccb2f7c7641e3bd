"""The history commands: snapshot, history list|show|delete, and flow."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pipereview.api import DEFAULT_STORE, DEFAULT_WAIT
from pipereview.cli.app import app
from pipereview.cli.common import (
    AllowEmptyOpt,
    DealsOpt,
    DealsTableOpt,
    EngineName,
    EngineOpt,
    Format,
    MappingOpt,
    MemoryOpt,
    OutputOpt,
    PageSize,
    PolicyOpt,
    PresetOpt,
    QuotasOpt,
    RatesOpt,
    ReportFormat,
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
    err_console,
    fail,
    inputs_of,
    intake_of,
    parse_date,
    progress,
    read_files,
)
from pipereview.cli.preflight import preflight, table_width
from pipereview.errors import PipereviewError

history_app = typer.Typer(no_args_is_help=True, help="Snapshots in the store.")
app.add_typer(history_app, name="history")

StoreOpt = Annotated[
    str,
    typer.Option(
        "--store",
        help="Snapshot store: a DuckDB file (created on first write), a duckdb:// URL, a "
        "SQLite file (sqlite:///abs/path or sqlite://rel/path), a MySQL/MariaDB database "
        "(mysql://user:password@host:port/db), or a PostgreSQL database "
        "(postgresql://user@host:port/db; schema pipereview).",
    ),
]
DateArg = Annotated[
    str, typer.Argument(metavar="DATE", help="The snapshot's as-of date, YYYY-MM-DD.")
]


@app.command(short_help="Store the inputs and the report of one date (or backfill many).")
def snapshot(
    as_of: Annotated[
        str,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="The snapshot's date (with --backfill: the day of the export).",
        ),
    ],
    deals: DealsOpt = None,
    reps: RepsOpt = None,
    store: StoreOpt = DEFAULT_STORE,
    policy: PolicyOpt = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite a snapshot for the same date.")
    ] = False,
    allow_empty: AllowEmptyOpt = False,
    engine: EngineOpt = EngineName.duckdb,
    memory_limit: MemoryOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
    wait: Annotated[
        float,
        typer.Option("--wait", min=0, help="Seconds to wait while another process writes."),
    ] = DEFAULT_WAIT,
    backfill: Annotated[
        bool,
        typer.Option(
            "--backfill", help="Replay --field-history to store past dates --from .. --to."
        ),
    ] = False,
    field_history: Annotated[
        Path | None,
        typer.Option(
            "--field-history",
            help="With --backfill: deal_id, field, old_value, new_value, changed_at.",
        ),
    ] = None,
    from_date: Annotated[
        str | None, typer.Option("--from", help="With --backfill: the first date.")
    ] = None,
    to_date: Annotated[
        str | None, typer.Option("--to", help="With --backfill: the last date (at most).")
    ] = None,
    every_step: Annotated[
        str, typer.Option("--every", help="With --backfill: day, week or month.")
    ] = "week",
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
    """Store the canonical inputs and the report for one date (one transaction), or with
    --backfill one snapshot per date replayed from a field history."""
    from pipereview import api

    date = parse_date(as_of)
    if not backfill:
        if field_history or from_date or to_date:
            raise typer.BadParameter(
                "--field-history, --from and --to go with --backfill", param_hint="--backfill"
            )
    elif preset or mapping or stages or rates or quotas or source or deals_table or reps_table:
        raise typer.BadParameter(
            "--backfill reads canonical files; --preset, --mapping, --stages, --rates, "
            "--quotas and tables (--source) go with a plain snapshot",
            param_hint="--backfill",
        )
    elif field_history is None or from_date is None or to_date is None:
        raise typer.BadParameter(
            "--backfill needs --field-history, --from and --to", param_hint="--backfill"
        )
    elif every_step not in api.STEPS:
        raise typer.BadParameter(
            f"{every_step!r} is not a step; use one of: {', '.join(api.STEPS)}",
            param_hint="--every",
        )
    deals, reps = inputs_of(
        deals, reps, source, deals_table, reps_table, mapped=bool(preset or mapping)
    )
    dates = []
    if backfill:
        first, last = parse_date(from_date, "--from"), parse_date(to_date, "--to")
        dates = api.every(first, last, every_step)  # type: ignore[arg-type]
        if not dates:
            raise typer.BadParameter(
                f"--from {first.isoformat()} is after --to {last.isoformat()}", param_hint="--from"
            )
    try:
        with progress() as step:
            runner = engine_for(engine, memory_limit, spark_master, spark_conf, source, store)
            if backfill:
                infos = api.backfill(
                    deals,
                    reps,
                    field_history=field_history,
                    dates=dates,
                    as_of=date,
                    store=store,
                    policy=policy,
                    replace=replace,
                    engine=runner,
                    progress=step,
                    wait=wait,
                )
            else:
                infos = [
                    api.snapshot(
                        deals,
                        reps,
                        as_of=date,
                        store=store,
                        policy=policy,
                        replace=replace,
                        engine=runner,
                        progress=step,
                        wait=wait,
                        allow_empty=allow_empty,
                        **intake_of(preset, mapping, stages, sheet, rates, quotas),
                    )
                ]
    except PipereviewError as exc:
        raise fail(exc) from None
    for info in infos:
        kind = "backfilled snapshot" if backfill else "stored snapshot"
        err_console.print(
            f"{kind} {info.as_of.isoformat()} in {api.store_label(store)}: "
            f"{info.deals:,} deals, {info.reps:,} reps",
            highlight=False,
            soft_wrap=True,
        )


@history_app.command("list")
def history_list(
    store: StoreOpt = DEFAULT_STORE,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the snapshots, oldest first."""
    from pipereview import api
    from pipereview.report.model import dumps

    try:
        found = [api.describe_snapshot(info) for info in api.history(store)]
    except PipereviewError as exc:
        raise fail(exc) from None
    if as_json:
        sys.stdout.write(dumps(found))
        return
    if not found:
        typer.echo(f"{api.store_label(store)}: no snapshots yet")
    for item in found:
        typer.echo(
            f"{item['as_of']}  {item['deals']:>10,} deals  {item['reps']:>6,} reps  "
            f"input {item['input_fingerprint'][:19]}  policy {item['policy_fingerprint'][:19]}"
        )


@history_app.command("show")
def history_show(
    as_of: DateArg,
    store: StoreOpt = DEFAULT_STORE,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="Output format.")
    ] = ReportFormat.table,
    output: OutputOpt = None,
    page_size: Annotated[
        PageSize | None, typer.Option("--page-size", help="Paper for html/pdf (default: A4).")
    ] = None,
) -> None:
    """Print the report stored with one snapshot."""
    from pipereview import api
    from pipereview.render import render
    from pipereview.render.table import render_table

    date = parse_date(as_of, "AS_OF")
    preflight(fmt.value, output)
    read = read_files(store=store)
    check_output(output, fmt.value, read)  # before any work
    try:
        result = api.stored_report(date, store)
    except PipereviewError as exc:
        raise fail(exc) from None
    if fmt is ReportFormat.table:
        emit(render_table(result, table_width(output)), output, read)
        return
    emit(render(result, fmt.value, (page_size or PageSize.A4).value), output, read)


@history_app.command("delete")
def history_delete(as_of: DateArg, store: StoreOpt = DEFAULT_STORE) -> None:
    """Remove one snapshot."""
    from pipereview import api

    date = parse_date(as_of, "AS_OF")
    try:
        api.delete_snapshot(date, store)
    except PipereviewError as exc:
        raise fail(exc) from None
    err_console.print(
        f"deleted snapshot {date.isoformat()} from {api.store_label(store)}",
        highlight=False,
        soft_wrap=True,
    )


@app.command(short_help="The open pipeline's waterfall between two snapshots.")
def flow(
    from_date: Annotated[
        str, typer.Option("--from", metavar="DATE", help="Earlier snapshot date, YYYY-MM-DD.")
    ],
    to_date: Annotated[
        str, typer.Option("--to", metavar="DATE", help="Later snapshot date, YYYY-MM-DD.")
    ],
    period: Annotated[
        str,
        typer.Option(
            "--period",
            help="Close dates counted: this-quarter (the fiscal quarter holding --to), "
            "last-quarter, FY2027-Q1, this-year, FY2027, FY2027-H1, 2026-11, "
            "2026-07-01..2026-09-30 or all.",
        ),
    ] = "this-quarter",
    store: StoreOpt = DEFAULT_STORE,
    policy: PolicyOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
    output: OutputOpt = None,
) -> None:
    """The pipeline waterfall between two snapshots: won, lost, removed, moved out, moved in,
    new, increased, decreased, unchanged. Reconciles exactly."""
    from pipereview import api
    from pipereview.render import ALIASES
    from pipereview.render.flow import FLOW_RENDERERS, render_flow_table

    start, end = parse_date(from_date, "--from"), parse_date(to_date, "--to")
    read = read_files(store=store, policy=policy)
    check_output(output, fmt.value, read)  # before any work
    try:
        result = api.flow(start, end, store=store, period=period, policy=policy)
    except PipereviewError as exc:
        raise fail(exc) from None
    if fmt is Format.table:
        emit(render_flow_table(result, table_width(output)), output, read)
        return
    emit(FLOW_RENDERERS[ALIASES.get(fmt.value, fmt.value)](result), output, read)
