"""Stage velocity in a terminal table and in Markdown (JSON is ``Velocity.to_json``)."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from pipereview.render import terminal as term
from pipereview.render.markup import md_table
from pipereview.render.numbers import cell, text
from pipereview.report.model import CycleTime, Velocity

STAGE_COLUMNS = [
    term.name("Stage", max_width=24),
    term.num("Deals"),
    term.num("Mean days"),
    term.num("Median days", 3),
    term.num("In it now", 3),
    term.num("Reached", 2),
    term.num("Went on", 2),
    term.name("Conversion", 1, max_width=30),
    term.num("Won", 4),
    term.num("Lost", 4),
    term.num("Win rate", 1),
]
STAGE_HEADERS = [c.header for c in STAGE_COLUMNS]
CYCLE_COLUMNS = [
    term.name("Close month"),
    term.num("Won deals"),
    term.num("Mean days"),
    term.num("Median days"),
]
CYCLE_HEADERS = [c.header for c in CYCLE_COLUMNS]


def velocity_title(v: Velocity) -> str:
    order = {
        "policy": "policy order",
        "probability": "stages by their deals' probability",
        "first_seen": "order first seen",
    }[v.stage_order_source]
    source = "snapshots" if v.source == "snapshots" else "the " + v.source.replace("_", " ")
    return f"Stage velocity as of {v.as_of.isoformat()} (from {source}, {order})"


def stage_rows(v: Velocity) -> list[list[str]]:
    return [
        [
            text(s.stage, 30),
            cell(s.deals),
            cell(s.mean_days, "days"),
            cell(s.median_days, "days"),
            cell(s.open_deals),
            cell(s.reached),
            cell(s.advanced),
            f"{cell(s.conversion_rate, 'rate')} → {text(s.next_stage, 24)}",
            cell(s.won),
            cell(s.lost),
            cell(s.win_rate, "rate"),
        ]
        for s in v.stages
    ]


def cycle_rows(v: Velocity) -> list[list[str]]:
    def row(c: CycleTime) -> list[str]:
        return [
            c.month or "all",
            cell(c.won_deals),
            cell(c.mean_days, "days"),
            cell(c.median_days, "days"),
        ]

    return [row(c) for c in v.cycle_time_by_month] + [row(v.cycle_time)]


def velocity_notes(v: Velocity) -> list[str]:
    notes = []
    if v.other_stages:
        notes.append(
            "Stages in the history but not in velocity.stage_order (left out): "
            + ", ".join(text(s, 30) for s in v.other_stages)
        )
    unknown = [text(s.stage, 30) for s in v.stages if s.deals_with_days < s.deals]
    if unknown:
        notes.append(
            "Some deals' start in these stages is unknown (no created_date), so their days "
            "are not in the mean and median: " + ", ".join(unknown)
        )
    return notes


def velocity_renderables(v: Velocity, width: int) -> list[Any]:
    """Rich renderables for ``width`` columns: the stage table, the cycle times by close
    month, any notes."""
    out: list[Any] = [
        term.fit(velocity_title(v), STAGE_COLUMNS, stage_rows(v), width),
        term.fit("Cycle time, created to won, by close month", CYCLE_COLUMNS, cycle_rows(v), width),
    ]
    out += [Text(note) for note in velocity_notes(v)]
    return out


def render_velocity_table(v: Velocity, width: int | None = None) -> str:
    """The velocity renderables as plain text (``width``: default ``COLUMNS``)."""
    size = term.width_of(width)
    return term.plain(velocity_renderables(v, size), size)


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
