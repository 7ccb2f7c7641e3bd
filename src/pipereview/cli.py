"""Command line: parse, call ``api``, render, and map errors to one line and exit code 1.

This is the only module that reads the clock (the default ``--as-of`` is today). The
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

from pipereview.errors import PipereviewError

if TYPE_CHECKING:
    from pipereview.report import Progress as ProgressFn

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Rule-based pipeline review: CRM deals and reps in, explained numbers out.",
)
policy_app = typer.Typer(no_args_is_help=True, help="Policy files.")
app.add_typer(policy_app, name="policy")
err_console = Console(stderr=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


class EngineName(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


DealsOpt = Annotated[Path, typer.Option("--deals", help="Deals file (CSV, Parquet, JSON, JSONL).")]
RepsOpt = Annotated[Path, typer.Option("--reps", help="Reps file (CSV, Parquet, JSON, JSONL).")]
PolicyOpt = Annotated[
    Path | None, typer.Option("--policy", help="Policy TOML (default: built-in).")
]
EngineOpt = Annotated[EngineName, typer.Option("--engine", help="Compute engine.")]
MemoryOpt = Annotated[
    str | None,
    typer.Option(
        "--memory-limit",
        help="DuckDB memory limit, e.g. 4GB; work beyond it spills to a temp directory.",
    ),
]
SparkMasterOpt = Annotated[
    str | None,
    typer.Option("--spark-master", help="Spark master URL, e.g. spark://host:7077 (spark)."),
]
SparkConfOpt = Annotated[
    list[str] | None,
    typer.Option("--spark-conf", help="Spark setting KEY=VALUE (repeatable)."),
]


def _engine(
    name: EngineName, memory_limit: str | None, master: str | None, conf: list[str] | None
) -> Any:
    """The Engine the options describe (imports the engine only now)."""
    from pipereview.sources.engine import Engine

    settings = {}
    for item in conf or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--spark-conf")
        settings[key.strip()] = value.strip()
    if name is EngineName.duckdb and (master or settings):
        raise typer.BadParameter(
            "--spark-master and --spark-conf need --engine spark", param_hint="--engine"
        )
    if name is EngineName.spark and memory_limit:
        raise typer.BadParameter(
            "--memory-limit is for --engine duckdb; use --spark-conf for Spark memory",
            param_hint="--memory-limit",
        )
    return Engine(name.value, memory_limit=memory_limit, spark_master=master, spark_conf=settings)


def _as_of(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD", param_hint="--as-of"
        ) from None


@contextmanager
def _progress() -> Iterator[ProgressFn | None]:
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


def _fail(exc: PipereviewError) -> typer.Exit:
    err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(1)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(PipereviewError(f"{output}: cannot write ({exc.strerror})")) from None
    err_console.print(f"wrote {output}", highlight=False)


@app.command()
def report(
    deals: DealsOpt,
    reps: RepsOpt,
    policy: PolicyOpt = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: today).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
    output: Annotated[Path | None, typer.Option("--output", help="Write here, not stdout.")] = None,
    engine: EngineOpt = EngineName.duckdb,
    memory_limit: MemoryOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
) -> None:
    """Build the pipeline review from a deals file and a reps file."""
    from pipereview import api
    from pipereview.render import RENDERERS
    from pipereview.render.table import report_renderables

    date = _as_of(as_of)
    try:
        with _progress() as step:
            if step:
                step("starting the engine")
            runner = _engine(engine, memory_limit, spark_master, spark_conf)
            result = api.build_report(
                deals, reps, as_of=date, policy=policy, engine=runner, progress=step
            )
    except PipereviewError as exc:
        raise _fail(exc) from None
    if fmt is Format.table and output is None and sys.stdout.isatty():
        Console().print(report_renderables(result))
        return
    _emit(RENDERERS[fmt.value](result), output)


@app.command()
def validate(
    deals: DealsOpt,
    reps: RepsOpt,
    engine: EngineOpt = EngineName.duckdb,
    memory_limit: MemoryOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
) -> None:
    """Check both inputs and list the data-quality findings. Exit 1 on unusable data, or when
    a finding makes the report meaningless (no deal joins a rep, no known status)."""
    from pipereview import api

    try:
        runner = _engine(engine, memory_limit, spark_master, spark_conf)
        items = api.validate(deals, reps, engine=runner)
    except PipereviewError as exc:
        raise _fail(exc) from None
    if not items:
        typer.echo("ok: no data-quality findings")
    for item in items:
        examples = f" (e.g. {', '.join(item.examples)})" if item.examples else ""
        typer.echo(f"{item.severity}: {item.table}.{item.check}: {item.message}{examples}")
    errors = [item.check for item in items if item.severity == "error"]
    if errors:
        typer.echo(
            f"error: the report would be meaningless ({', '.join(errors)}); fix the mapping "
            "above and validate again",
            err=True,
        )
        raise typer.Exit(1)


@app.command()
def explain(
    subject_id: Annotated[str, typer.Argument(help="A deal_id or rep_id.")],
    deals: DealsOpt,
    reps: RepsOpt,
    policy: PolicyOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the flags as JSON.")] = False,
    engine: EngineOpt = EngineName.duckdb,
    memory_limit: MemoryOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
) -> None:
    """Print every rule's verdict on one deal or rep: fired or not, with values and thresholds."""
    from pipereview import api
    from pipereview.report import dumps

    try:
        runner = _engine(engine, memory_limit, spark_master, spark_conf)
        verdicts = api.explain(subject_id, deals, reps, policy=policy, engine=runner)
    except PipereviewError as exc:
        raise _fail(exc) from None
    if as_json:
        sys.stdout.write(dumps([v.model_dump() for v in verdicts]))
        return
    fired = sum(v.fired for v in verdicts)
    typer.echo(f"{subject_id}: {fired} of {len(verdicts)} rule verdicts raise a flag")
    for verdict in verdicts:
        mark = f"FLAG {verdict.severity}" if verdict.fired else "ok"
        typer.echo(f"[{mark}] {verdict.rule}: {verdict.message}")
        typer.echo(f"    observed: {dumps(verdict.observed, indent=None).rstrip()}")
        typer.echo(f"    thresholds: {dumps(verdict.thresholds, indent=None).rstrip()}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the data and reports.")] = Path(
        "pipereview-demo"
    ),
    deals: Annotated[int, typer.Option("--deals", min=1, help="How many deals.")] = 5000,
    reps: Annotated[int, typer.Option("--reps", min=1, help="How many reps.")] = 40,
) -> None:
    """Generate a realistic synthetic dataset (fixed seed), then report on it."""
    from pipereview import api
    from pipereview.render import RENDERERS
    from pipereview.render.table import report_renderables

    try:
        with _progress() as step:
            if step:
                step("generating data")
            deals_path, reps_path = api.generate_demo(out, n_deals=deals, n_reps=reps)
            result = api.build_report(deals_path, reps_path, as_of=api.DEMO_AS_OF, progress=step)
    except PipereviewError as exc:
        raise _fail(exc) from None
    (out / "report.json").write_text(result.to_json(), encoding="utf-8")
    (out / "report.md").write_text(RENDERERS["markdown"](result), encoding="utf-8")
    if sys.stdout.isatty():
        Console().print(report_renderables(result))
    else:
        sys.stdout.write(RENDERERS["table"](result))
    err_console.print(
        f"wrote {deals_path}, {reps_path}, {out / 'report.json'}, "
        f"{out / 'report.md'} (as of {api.DEMO_AS_OF.isoformat()})",
        highlight=False,
    )


@policy_app.command("init")
def policy_init(
    output: Annotated[Path, typer.Option("--output", help="Where to write.")] = Path(
        "pipereview.toml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the default policy, every key commented."""
    from pipereview.policy import default_policy_toml

    if output.exists() and not force:
        raise _fail(PipereviewError(f"{output}: already exists", hint="use --force to overwrite"))
    _emit(default_policy_toml(), output)


def main() -> None:
    """Console-script entry point."""
    app()
