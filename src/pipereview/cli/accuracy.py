"""The accuracy command: each snapshot's forecast call for a period against what closed,
by rep, manager, team, region or for the company."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from pipereview.api import DEFAULT_STORE
from pipereview.cli.app import app
from pipereview.cli.common import (
    OutputOpt,
    PolicyOpt,
    check_output,
    emit,
    fail,
    parse_date,
    read_files,
)
from pipereview.cli.history import StoreOpt
from pipereview.cli.preflight import table_width
from pipereview.errors import PipereviewError


class AccuracyFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    md = "md"
    html = "html"


@app.command(short_help="Forecast accuracy: each snapshot's call against what closed.")
def accuracy(
    period: Annotated[
        str,
        typer.Option(
            "--period",
            help="The period called: this-quarter (the fiscal quarter holding --as-of), "
            "last-quarter, FY2026-Q3, this-year, FY2027, FY2027-H1, 2026-11 or a range "
            "2026-07-01..2026-09-30.",
        ),
    ] = "last-quarter",
    store: StoreOpt = DEFAULT_STORE,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            metavar="LEVEL",
            help="The subjects: rep, manager, team, region or company (the company's rows "
            "come with every level).",
        ),
    ] = "rep",
    weeks_before: Annotated[
        int,
        typer.Option(
            "--weeks-before",
            metavar="N",
            help="Also count the snapshots of the N weeks before the period starts.",
        ),
    ] = 0,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="DATE", help="The day --period is named from (default: today)."
        ),
    ] = None,
    policy: PolicyOpt = None,
    fmt: Annotated[
        AccuracyFormat, typer.Option("--format", help="Output format.")
    ] = AccuracyFormat.table,
    output: OutputOpt = None,
) -> None:
    """Forecast accuracy: for every snapshot in the period (and --weeks-before weeks before
    it), each subject's commit and best-case call for the period, as the forecast said it
    that day, against the period's actual closed won, with the bias (call - actual)."""
    from pipereview import api
    from pipereview.render.accuracy import render_accuracy_markdown, render_accuracy_table
    from pipereview.render.html import render_accuracy_html

    date = parse_date(as_of)
    read = read_files(store=store, policy=policy)
    check_output(output, fmt.value, read)  # before any work
    try:
        resolved = api.load_policy(policy)
        result = api.accuracy(
            period,
            store=store,
            as_of=date,
            by=by.strip().lower(),
            weeks_before=weeks_before,
            policy=resolved,
        )
    except PipereviewError as exc:
        raise fail(exc) from None
    cur = result.currency
    renderers = {
        "table": lambda: render_accuracy_table(result, table_width(output), cur),
        "json": result.to_json,
        "markdown": lambda: render_accuracy_markdown(result, cur),
        "md": lambda: render_accuracy_markdown(result, cur),
        "html": lambda: render_accuracy_html(result, resolved.output.page_size, cur),
    }
    emit(renderers[fmt.value](), output, read)
