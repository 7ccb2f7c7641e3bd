"""The velocity command: days in stage, conversion, win rate by furthest stage, cycle time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipereview.cli.app import app
from pipereview.cli.common import (
    EngineName,
    Format,
    MappingOpt,
    MemoryOpt,
    OutputOpt,
    PolicyOpt,
    PresetOpt,
    StagesOpt,
    check_output,
    emit,
    engine_for,
    fail,
    intake_of,
    parse_date,
    read_files,
)
from pipereview.cli.preflight import table_width
from pipereview.errors import PipereviewError


@app.command(short_help="Days in stage, conversion, win rate by furthest stage, cycle time.")
def velocity(
    deals: Annotated[
        Path | None,
        typer.Option(
            "--deals",
            help="Deals file: outcomes and dates (with --store: default the latest snapshot).",
        ),
    ] = None,
    stage_history: Annotated[
        Path | None,
        typer.Option(
            "--stage-history", help="Stage history: deal_id, stage, entered_at[, exited_at]."
        ),
    ] = None,
    field_history: Annotated[
        Path | None,
        typer.Option(
            "--field-history",
            help="Field history: deal_id, field, old_value, new_value, changed_at.",
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option("--store", help="Snapshot store: velocity from consecutive snapshots."),
    ] = None,
    policy: PolicyOpt = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", metavar="DATE", help="YYYY-MM-DD (default: today).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
    output: OutputOpt = None,
    memory_limit: MemoryOpt = None,
    preset: PresetOpt = None,
    mapping: MappingOpt = None,
    stages: StagesOpt = None,
) -> None:
    """Stage velocity from a stage history, a field history or a snapshot store: mean and
    median days in each stage, conversion to the next, win rate by furthest stage reached,
    cycle time by close month."""
    from pipereview import api
    from pipereview.render import ALIASES
    from pipereview.render.velocity import VELOCITY_RENDERERS, render_velocity_table

    date = parse_date(as_of)
    read = read_files(
        deals=deals,
        stage_history=stage_history,
        field_history=field_history,
        store=store,
        policy=policy,
        mapping=mapping,
        stages=stages,
    )
    check_output(output, fmt.value, read)  # before any work
    try:
        runner = engine_for(EngineName.duckdb, memory_limit, None, None, None, store)
        result = api.velocity(
            deals,
            as_of=date,
            stage_history=stage_history,
            field_history=field_history,
            store=store,
            policy=policy,
            engine=runner,
            **intake_of(preset, mapping, stages),
        )
    except PipereviewError as exc:
        raise fail(exc) from None
    if fmt is Format.table:
        emit(render_velocity_table(result, table_width(output)), output, read)
        return
    emit(VELOCITY_RENDERERS[ALIASES.get(fmt.value, fmt.value)](result), output, read)
