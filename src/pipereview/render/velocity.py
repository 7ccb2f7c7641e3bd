"""Stage velocity in a terminal table and in Markdown (JSON is ``Velocity.to_json``)."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.text import Text

from pipereview.render.text import cell, md_table, rich_table
from pipereview.report.model import CycleTime, Velocity

STAGE_HEADERS = [
    "Stage",
    "Deals",
    "Mean days",
    "Median days",
    "In it now",
    "Reached",
    "Went on",
    "Conversion",
    "Won",
    "Lost",
    "Win rate",
]
CYCLE_HEADERS = ["Close month", "Won deals", "Mean days", "Median days"]


def velocity_title(v: Velocity) -> str:
    order = "policy order" if v.stage_order_source == "policy" else "order first seen"
    source = "snapshots" if v.source == "snapshots" else "the " + v.source.replace("_", " ")
    return f"Stage velocity as of {v.as_of.isoformat()} (from {source}, {order})"


def stage_rows(v: Velocity) -> list[list[str]]:
    return [
        [
            s.stage,
            cell(s.deals),
            cell(s.mean_days),
            cell(s.median_days),
            cell(s.open_deals),
            cell(s.reached),
            cell(s.advanced),
            f"{cell(s.conversion_rate, 'rate')} → {s.next_stage}",
            cell(s.won),
            cell(s.lost),
            cell(s.win_rate, "rate"),
        ]
        for s in v.stages
    ]


def cycle_rows(v: Velocity) -> list[list[str]]:
    def row(c: CycleTime) -> list[str]:
        return [c.month or "all", cell(c.won_deals), cell(c.mean_days), cell(c.median_days)]

    return [row(c) for c in v.cycle_time_by_month] + [row(v.cycle_time)]


def velocity_notes(v: Velocity) -> list[str]:
    notes = []
    if v.other_stages:
        notes.append(
            "Stages in the history but not in velocity.stage_order (left out): "
            + ", ".join(v.other_stages)
        )
    unknown = [s.stage for s in v.stages if s.deals_with_days < s.deals]
    if unknown:
        notes.append(
            "Some deals' start in these stages is unknown (no created_date), so their days "
            "are not in the mean and median: " + ", ".join(unknown)
        )
    return notes


def velocity_renderables(v: Velocity) -> list[Any]:
    """Rich renderables: the stage table, the cycle times by close month, any notes."""
    out: list[Any] = []
    out.append(rich_table(velocity_title(v), STAGE_HEADERS, stage_rows(v)))
    out.append(
        rich_table("Cycle time, created to won, by close month", CYCLE_HEADERS, cycle_rows(v))
    )
    out += [Text(note) for note in velocity_notes(v)]
    return out


def render_velocity_table(v: Velocity, width: int = 140) -> str:
    """The velocity renderables as plain text."""
    buffer = io.StringIO()
    console = Console(width=width, file=buffer, color_system=None)
    for part in velocity_renderables(v):
        console.print(part)
    return buffer.getvalue()


def render_velocity_markdown(v: Velocity) -> str:
    """The same as Markdown."""
    out = [f"# {velocity_title(v)}", ""]
    out += md_table(STAGE_HEADERS, stage_rows(v), right_from=1)
    out += ["", "## Cycle time, created to won, by close month", ""]
    out += md_table(CYCLE_HEADERS, cycle_rows(v), right_from=1)
    notes = velocity_notes(v)
    if notes:
        out += [""] + [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"


VELOCITY_RENDERERS = {
    "table": render_velocity_table,
    "markdown": render_velocity_markdown,
    "json": Velocity.to_json,
}
