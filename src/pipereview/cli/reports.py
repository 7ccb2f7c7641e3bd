"""The report commands: report, validate, demo, policy init and the presets."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.table import Column, Table

from pipereview.cli.app import app, policy_app, preset_app
from pipereview.cli.common import (
    AllowEmptyOpt,
    AsOfOpt,
    DealsOpt,
    DealsTableOpt,
    EngineName,
    EngineOpt,
    LevelsOpt,
    ListFormat,
    MappingOpt,
    MemoryOpt,
    OutputOpt,
    PageSizeOpt,
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
    rollup_levels,
)
from pipereview.cli.preflight import preflight, table_width
from pipereview.errors import PipereviewError

DEMO_FILES = ("deals.csv", "reps.csv", "report.json", "report.md", "report.html")


def _history_option(kind: str) -> Any:
    return typer.Option(
        f"--{kind}-history",
        metavar="FILE",
        help=f"Add a velocity section from this {kind} history.",
    )


@app.command()
def report(
    deals: DealsOpt = None,
    reps: RepsOpt = None,
    policy: PolicyOpt = None,
    as_of: AsOfOpt = None,
    fmt: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            help="table: the executive summary (with --full, every section); json: everything; "
            "markdown: a summary for chat or email; html, pdf: the full report.",
        ),
    ] = ReportFormat.table,
    output: OutputOpt = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="With --format table: every section and every list."),
    ] = False,
    by: LevelsOpt = None,
    allow_empty: AllowEmptyOpt = False,
    page_size: PageSizeOpt = None,
    engine: EngineOpt = EngineName.duckdb,
    memory_limit: MemoryOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            metavar="STORE",
            help="Snapshot store: add a changes section against the latest snapshot before "
            "--as-of, and fill a missing trajectory from it.",
        ),
    ] = None,
    compare_to: Annotated[
        str | None,
        typer.Option(
            "--compare-to", metavar="DATE", help="Compare with this snapshot (YYYY-MM-DD) instead."
        ),
    ] = None,
    stage_history: Annotated[Path | None, _history_option("stage")] = None,
    field_history: Annotated[Path | None, _history_option("field")] = None,
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
    """Build the pipeline review from a deals file and a reps file."""
    from pipereview import api
    from pipereview.render import render
    from pipereview.render.table import render_table, report_renderables

    date = parse_date(as_of)
    read = read_files(deals=deals, reps=reps, policy=policy, mapping=mapping, stages=stages)
    read |= read_files(rates=rates, quotas=quotas, store=store, source=source)
    read |= read_files(stage_history=stage_history, field_history=field_history)
    check_output(output, fmt.value, read)  # before any work
    preflight(fmt.value, output)
    levels = rollup_levels(by)
    if full and fmt is not ReportFormat.table:
        raise typer.BadParameter(
            "is for --format table (html, pdf and json always have every section)",
            param_hint="--full",
        )
    deals, reps = inputs_of(
        deals, reps, source, deals_table, reps_table, mapped=bool(preset or mapping)
    )
    earlier = parse_date(compare_to, "--compare-to") if compare_to else None
    try:
        resolved = api.load_policy(policy)  # read once: the report and the page layout
        output_policy = resolved.output
        paper = page_size.value if page_size else output_policy.page_size
        with progress() as step:
            if step:
                step("starting the engine")
            runner = engine_for(engine, memory_limit, spark_master, spark_conf, source, store)
            result = api.build_report(
                deals,
                reps,
                as_of=date,
                policy=resolved,
                engine=runner,
                progress=step,
                store=store,
                compare_to=earlier,
                stage_history=stage_history,
                field_history=field_history,
                allow_empty=allow_empty,
                **intake_of(preset, mapping, stages, sheet, rates, quotas),
            )
    except PipereviewError as exc:
        raise fail(exc) from None
    if store is not None and result.changes is None:
        typer.echo(
            f"note: {store} has no snapshot before {date.isoformat()}; the report has no "
            "changes section",
            err=True,
        )
    if levels is not None:
        result = result.showing(levels)
    if fmt is ReportFormat.table:
        width = table_width(output)
        if output is None and sys.stdout.isatty():
            shown = report_renderables(result, width, full, levels is not None)
            Console(width=width).print(Group(*shown))
            return
        emit(render_table(result, width, full, levels is not None), output, read)
        return
    try:
        with progress() as step:
            if step and fmt in (ReportFormat.html, ReportFormat.pdf):
                step(f"rendering {fmt.value}")
            content = render(result, fmt.value, paper, output_policy.pdf_rows)
    except PipereviewError as exc:
        raise fail(exc) from None
    emit(content, output, read)


@app.command(short_help="Check the inputs and list the data-quality findings.")
def validate(
    deals: DealsOpt = None,
    reps: RepsOpt = None,
    preset: PresetOpt = None,
    mapping: MappingOpt = None,
    stages: StagesOpt = None,
    sheet: SheetOpt = None,
    source: SourceOpt = None,
    deals_table: DealsTableOpt = None,
    reps_table: RepsTableOpt = None,
    rates: RatesOpt = None,
    quotas: QuotasOpt = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="DATE", help="YYYY-MM-DD for a mapping's dates (default: today)."
        ),
    ] = None,
    policy: PolicyOpt = None,
    fmt: Annotated[
        ListFormat, typer.Option("--format", help="table (default) or json.")
    ] = ListFormat.table,
    engine: EngineOpt = EngineName.duckdb,
    memory_limit: MemoryOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
) -> None:
    """Check both inputs (through the mapping, if any) and list the data-quality findings.
    Exit 1 on unusable data, or when a finding makes the report meaningless (no deal joins a
    rep, no known status)."""
    from pipereview import api

    date = parse_date(as_of)
    deals, reps = inputs_of(
        deals, reps, source, deals_table, reps_table, mapped=bool(preset or mapping)
    )
    try:
        runner = engine_for(engine, memory_limit, spark_master, spark_conf, source)
        items = api.validate(
            deals,
            reps,
            engine=runner,
            as_of=date,
            policy=policy,
            **intake_of(preset, mapping, stages, sheet, rates, quotas),
        )
    except PipereviewError as exc:
        raise fail(exc) from None
    _print_findings(items, fmt)
    errors = [item.check for item in items if item.severity == "error"]
    if errors:
        typer.echo(
            f"error: the report would be meaningless ({', '.join(errors)}); fix the mapping "
            "above and validate again",
            err=True,
        )
        raise typer.Exit(1)


def _print_findings(items: list[Any], fmt: ListFormat) -> None:
    """validate's findings: code, severity, count, examples and the fix, as JSON, a Rich
    table on a terminal, or one line each (and its fix) otherwise."""
    from pipereview import api
    from pipereview.report.model import dumps

    rows = [item.model_dump() | {"fix": api.fix_for(item.check)} for item in items]
    if fmt is ListFormat.json:
        sys.stdout.write(dumps(rows))
        return
    if not rows:
        typer.echo("ok: no data-quality findings")
        return
    if sys.stdout.isatty():
        table = Table("severity", "count", "finding", "examples", "fix")
        table.columns.insert(0, Column("code", no_wrap=True))
        for row in rows:
            table.add_row(
                f"{row['table']}.{row['check']}",
                row["severity"],
                f"{row['count']:,}",
                row["message"],
                ", ".join(row["examples"]),
                row["fix"],
            )
        Console().print(table)
        return
    for row in rows:
        examples = f" (e.g. {', '.join(row['examples'])})" if row["examples"] else ""
        typer.echo(f"{row['severity']}: {row['table']}.{row['check']}: {row['message']}{examples}")
        if row["fix"]:
            typer.echo(f"    fix: {row['fix']}")


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Folder for the data and reports.")
    ] = Path("pipereview-demo"),
    deals: Annotated[
        int, typer.Option("--deals", min=1, metavar="N", help="How many deals.")
    ] = 5000,
    reps: Annotated[int, typer.Option("--reps", min=1, metavar="N", help="How many reps.")] = 40,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write into a folder that is not empty (replacing the demo's files there).",
        ),
    ] = False,
) -> None:
    """Generate a realistic synthetic dataset (fixed seed), then report on it."""
    from pipereview import api
    from pipereview.cli.output import folder_refusal, write_output
    from pipereview.render.html import render_html
    from pipereview.render.markdown import render_markdown
    from pipereview.render.table import render_table, report_renderables

    refused = folder_refusal(out, DEMO_FILES, force)  # before any work
    if refused is not None:
        raise fail(refused)
    try:
        with progress() as step:
            if step:
                step("generating data")
            deals_path, reps_path = api.generate_demo(out, n_deals=deals, n_reps=reps)
            result = api.build_report(deals_path, reps_path, as_of=api.DEMO_AS_OF, progress=step)
    except PipereviewError as exc:
        raise fail(exc) from None
    try:
        with progress() as step:
            if step:
                step("rendering the HTML report")
            page = render_html(result)
    except PipereviewError as exc:
        raise fail(exc) from None
    try:
        for name, content in (
            ("report.json", result.to_json()),
            ("report.md", render_markdown(result)),
            ("report.html", page),
        ):
            write_output(content, out / name, force=True)
    except PipereviewError as exc:
        raise fail(exc) from None
    width = table_width(None)
    if sys.stdout.isatty():
        Console(width=width).print(Group(*report_renderables(result, width)))
    else:
        sys.stdout.write(render_table(result, width))
    err_console.print(
        f"wrote {deals_path}, {reps_path}, {out / 'report.json'}, "
        f"{out / 'report.md'} (as of {api.DEMO_AS_OF.isoformat()})",
        highlight=False,
    )
    err_console.print(f"HTML report: {(out / 'report.html').resolve()}", highlight=False)


@policy_app.command("init")
def policy_init(
    output: Annotated[
        Path, typer.Option("--output", metavar="FILE", help="Where to write.")
    ] = Path("pipereview.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the default policy, every key commented."""
    from pipereview import api

    if output.exists() and not force:
        raise fail(PipereviewError(f"{output}: already exists", hint="use --force to overwrite"))
    emit(api.default_policy_toml(), output, force=force)


@preset_app.command("list")
def preset_list() -> None:
    """List the shipped mappings, each with what it reads."""
    from pipereview import api

    for name in api.PRESETS:
        header = []
        for line in api.preset_text(name).splitlines():
            if not line.startswith("#"):
                break
            header.append(line.removeprefix("#").strip())
        about = " ".join(header).removeprefix("pipereview mapping:").strip()
        first = about.split(". ")[0].rstrip(".")
        typer.echo(f"{name:<18} {first if len(first) <= 90 else first[:89] + '…'}")


@preset_app.command("show")
def preset_show(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME", help="salesforce, salesforce-report or hubspot (see preset list)."
        ),
    ],
    output: OutputOpt = None,
) -> None:
    """Print a shipped mapping, to copy, edit and pass with --mapping."""
    from pipereview import api

    try:
        text = api.preset_text(name)
    except PipereviewError as exc:
        raise fail(exc) from None
    emit(text, output)
