"""What every command shares: the common options, progress and error output.

This package is the only place that reads the clock (the default ``--as-of`` is today). The
library (Ibis, DuckDB, pyarrow, Spark) is imported inside the commands that use it, so
``pipereview --help`` starts fast.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from pipereview.errors import PipereviewError, UsageError

if TYPE_CHECKING:
    from pipereview.api import Progress as ProgressFn

err_console = Console(stderr=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    md = "md"


class ListFormat(StrEnum):
    table = "table"
    json = "json"


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    md = "md"
    html = "html"
    pdf = "pdf"


class PageSize(StrEnum):
    A4 = "A4"
    Letter = "Letter"


PageSizeOpt = Annotated[
    PageSize | None,
    typer.Option(
        "--page-size", help="Paper for html/pdf (default: the policy's output.page_size)."
    ),
]


class EngineName(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


DealsOpt = Annotated[
    Path | None,
    typer.Option(
        "--deals",
        metavar="FILE",
        help="Deals file (CSV, Parquet, JSON, JSONL, Excel). Required, unless --source.",
    ),
]
RepsOpt = Annotated[
    Path | None,
    typer.Option(
        "--reps",
        metavar="FILE",
        help="Reps file (CSV, Parquet, JSON, JSONL, Excel). Required, unless --source (or "
        "--preset/--mapping, which take the deals' owners).",
    ),
]
SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source",
        metavar="URL",
        help="Read --deals-table/--reps-table in place: a DuckDB database "
        "(duckdb:///path.duckdb), a PostgreSQL database (postgresql://user@host:port/db; the "
        "report is computed in that server) or, with --engine spark, the Spark catalog (spark).",
    ),
]
DealsTableOpt = Annotated[
    str | None, typer.Option("--deals-table", metavar="TABLE", help="The deals table in --source.")
]
RepsTableOpt = Annotated[
    str | None, typer.Option("--reps-table", metavar="TABLE", help="The reps table in --source.")
]
PolicyOpt = Annotated[
    Path | None, typer.Option("--policy", metavar="FILE", help="Policy TOML (default: built-in).")
]
PresetOpt = Annotated[
    str | None,
    typer.Option(
        "--preset",
        metavar="NAME",
        help="Read CRM exports through a shipped mapping: salesforce, salesforce-report or "
        "hubspot.",
    ),
]
MappingOpt = Annotated[
    Path | None,
    typer.Option("--mapping", metavar="FILE", help="Read the inputs through this mapping TOML."),
]
StagesOpt = Annotated[
    Path | None,
    typer.Option(
        "--stages",
        metavar="FILE",
        help="Stage table (stage, probability, closed, won, order) for deals that lack them.",
    ),
]
RatesOpt = Annotated[
    Path | None,
    typer.Option(
        "--rates",
        metavar="FILE",
        help="Exchange rates (currency, rate, optional date) into the policy's base currency.",
    ),
]
QuotasOpt = Annotated[
    Path | None,
    typer.Option(
        "--quotas",
        metavar="FILE",
        help="Quota table (rep_id, period_start, quota) for reps without quota_usd/quota_3m.",
    ),
]
SheetOpt = Annotated[
    str | None,
    typer.Option(
        "--sheet",
        metavar="SHEET",
        help="The sheet of Excel inputs to read (default: the first); or name it per file, "
        "as book.xlsx#Sheet.",
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", metavar="DATE", help="The report date, YYYY-MM-DD (default: today)."),
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", metavar="FILE", help="Write here, not stdout.")
]
EngineOpt = Annotated[EngineName, typer.Option("--engine", help="Compute engine.")]
MemoryOpt = Annotated[
    str | None,
    typer.Option(
        "--memory-limit",
        metavar="SIZE",
        help="DuckDB memory limit, e.g. 4GB; work beyond it spills to a temp directory.",
    ),
]
SparkMasterOpt = Annotated[
    str | None,
    typer.Option(
        "--spark-master", metavar="URL", help="Spark master URL, e.g. spark://host:7077 (spark)."
    ),
]
SparkConfOpt = Annotated[
    list[str] | None,
    typer.Option("--spark-conf", metavar="KEY=VALUE", help="Spark setting KEY=VALUE (repeatable)."),
]


def engine_for(
    name: EngineName,
    memory_limit: str | None,
    master: str | None,
    conf: list[str] | None,
    source: str | None = None,
    store: str | Path | None = None,
) -> Any:
    """The Engine the options describe (``api.choose_engine``; the engine is imported only
    now). Options that do not go together are a usage error (exit 2)."""
    from pipereview import api

    try:
        return api.choose_engine(
            name.value,
            source=source,
            store=store,
            memory_limit=memory_limit,
            spark_master=master,
            spark_conf=conf,
        )
    except UsageError as exc:
        raise typer.BadParameter(exc.message, param_hint=exc.option) from None


def inputs_of(
    deals: Path | None,
    reps: Path | None,
    source: str | None,
    deals_table: str | None,
    reps_table: str | None,
    mapped: bool = False,
) -> tuple[Any, Any]:
    """The deals and reps a command reads: two files, or two tables of ``--source``. With a
    mapping (``mapped``) the reps may be left out: they are then the deals' owners."""
    from pipereview import api

    if source is None and deals_table is None and reps_table is None:
        for given, flag in ((deals, "--deals"), (reps, "--reps")):
            if given is None and not (mapped and flag == "--reps"):
                raise typer.BadParameter(
                    f"{flag} is required (or --source with --deals-table and --reps-table"
                    + (
                        "; --reps may be left out with --preset or --mapping)"
                        if flag == "--reps"
                        else ")"
                    ),
                    param_hint=flag,
                )
        return deals, reps
    if deals is not None or reps is not None:
        raise typer.BadParameter(
            "give files (--deals, --reps) or tables (--source, --deals-table, --reps-table)",
            param_hint="--source",
        )
    if source is None or deals_table is None or (reps_table is None and not mapped):
        raise typer.BadParameter(
            "--source, --deals-table and --reps-table go together", param_hint="--source"
        )
    try:
        reps_in = api.table(reps_table, source) if reps_table is not None else None
        return api.table(deals_table, source), reps_in
    except PipereviewError as exc:
        raise fail(exc) from None


def intake_of(
    preset: str | None,
    mapping: Path | None,
    stages: Path | None,
    sheet: str | None = None,
    rates: Path | None = None,
    quotas: Path | None = None,
) -> dict[str, Any]:
    """The ``api.Intake`` options of a command, from its CRM-input options."""
    given = {
        "preset": preset,
        "mapping": mapping,
        "stages": stages,
        "sheet": sheet,
        "rates": rates,
        "quotas": quotas,
    }
    return {key: value for key, value in given.items() if value is not None}


def parse_date(value: str | None, param: str = "--as-of") -> dt.date:
    """A YYYY-MM-DD option or argument (None: today, the one place the clock is read)."""
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD", param_hint=param
        ) from None


@contextmanager
def progress() -> Iterator[ProgressFn | None]:
    """A Rich spinner on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting")
        yield lambda step: bar.update(task, description=step)


def fail(exc: PipereviewError) -> typer.Exit:
    err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(1)


def read_files(**given: object) -> dict[str, object]:
    """The inputs a run reads, by their option (``stage_history`` is ``--stage-history``):
    what ``--output`` must never overwrite."""
    return {f"--{key.replace('_', '-')}": v for key, v in given.items() if v is not None}


def check_output(
    output: Path | None, fmt: str, inputs: dict[str, object] | None = None, force: bool = False
) -> None:
    """Refuse an ``--output`` at once, before any work, when the output could not be
    written there: a missing directory, a name for another format, one of the run's
    ``inputs`` (option name -> value), a file of another kind (see ``cli/output.py``)."""
    from pipereview.cli.output import FORMAT_KINDS, refusal

    if output is not None:
        refused = refusal(output, FORMAT_KINDS.get(fmt, "text"), inputs, force)
        if refused is not None:
            raise fail(refused)


def emit(
    content: str | bytes,
    output: Path | None,
    inputs: dict[str, object] | None = None,
    force: bool = False,
) -> None:
    """Write a command's output to stdout or ``--output`` (see ``cli/output.py``): the same
    checks as ``check_output``, now with the content."""
    from pipereview.cli.output import write_output

    try:
        written = write_output(content, output, inputs, force)
    except PipereviewError as exc:
        raise fail(exc) from None
    if written is not None:
        err_console.print(f"wrote {written}", highlight=False)


AllowEmptyOpt = Annotated[
    bool,
    typer.Option(
        "--allow-empty",
        help="Go on when the deals leave nothing to review (every row deleted, no known "
        "status); by default that exits 1 as validate does.",
    ),
]
LevelsOpt = Annotated[
    str | None,
    typer.Option(
        "--by",
        metavar="LEVELS",
        help="The roll-up levels the human formats show, comma-separated, from company, "
        "region, team, manager, rep (default: all but rep; JSON has every level).",
    ),
]


def rollup_levels(by: str | None) -> tuple[str, ...] | None:
    """The roll-up levels ``--by`` names (None: the default); a usage error for any other."""
    from pipereview.report.model import ROLLUP_LEVELS

    if by is None:
        return None
    named = tuple(part.strip().lower() for part in by.split(","))
    unknown = [part for part in named if part not in ROLLUP_LEVELS]
    if unknown or not by.strip():
        raise typer.BadParameter(
            f"unknown level {', '.join(map(repr, unknown)) or repr(by)}; use one or more of "
            f"{', '.join(ROLLUP_LEVELS)}, comma-separated (e.g. --by region,manager)",
            param_hint="--by",
        )
    return named
