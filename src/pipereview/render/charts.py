"""Charts for the HTML and PDF report: Altair (Vega-Lite) specs rendered offline to inline
SVG by vl-convert, so the page needs no script and no network. Chart data are display
values (floats); the exact figures are in the tables beside each chart."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import altair as alt

from pipereview.report.model import Report, StagePipeline, Velocity

STAGES_CHARTED = 12  # the biggest stages by pipeline; the rest are summed as "other stages"
TOTAL, WEIGHTED = "Total pipeline", "Weighted pipeline"
COLORS = alt.Scale(domain=[TOTAL, WEIGHTED], range=["#9db4d3", "#1f4e8c"])
WIDTH = 440


def svg(chart: alt.TopLevelMixin) -> str:
    """The chart as an SVG element (rendered offline, no script, no remote font)."""
    import vl_convert

    text: str = vl_convert.vegalite_to_svg(chart.to_dict())
    return text[text.index("<svg") :]


def theme(chart: Any) -> Any:
    return (
        chart.configure_view(stroke=None)
        .configure_axis(
            labelFont="sans-serif", titleFont="sans-serif", labelFontSize=11, grid=False
        )
        .configure_legend(labelFont="sans-serif", orient="bottom", title=None)
    )


def stage_rows(stages: list[StagePipeline]) -> list[dict[str, Any]]:
    """Long-form rows (stage, measure, value) for the biggest stages, the rest summed."""
    shown, rest = stages[:STAGES_CHARTED], stages[STAGES_CHARTED:]
    named = [(s.stage or "(no stage)", s.pipeline_value, s.weighted_pipeline_value) for s in shown]
    if rest:
        named.append(
            (
                f"{len(rest)} other stages",
                sum((s.pipeline_value for s in rest), Decimal(0)),
                sum((s.weighted_pipeline_value for s in rest), Decimal(0)),
            )
        )
    return [
        row
        for stage, total, weighted in named
        for row in (
            {"stage": stage, "measure": TOTAL, "value": float(total)},
            {"stage": stage, "measure": WEIGHTED, "value": float(weighted)},
        )
    ]


def stage_chart(report: Report) -> str | None:
    """Total and weighted pipeline by stage, biggest stage first (None without stages)."""
    rows = stage_rows(report.pipeline_by_stage)
    if not rows:
        return None
    order = list(dict.fromkeys(r["stage"] for r in rows))
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("stage:N", sort=order, title=None),
            yOffset=alt.YOffset("measure:N", sort=[TOTAL, WEIGHTED]),
            x=alt.X("value:Q", title="USD", axis=alt.Axis(format="$~s")),
            color=alt.Color("measure:N", scale=COLORS),
        )
        .properties(width=WIDTH, title="Pipeline by stage")
    )
    return svg(theme(chart))


def weighted_chart(report: Report) -> str:
    """Total against weighted pipeline: two bars."""
    s = report.pipeline_summary
    rows = [
        {"measure": TOTAL, "value": float(s.total_pipeline_value)},
        {"measure": WEIGHTED, "value": float(s.weighted_pipeline_value)},
    ]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("measure:N", sort=[TOTAL, WEIGHTED], title=None),
            x=alt.X("value:Q", title="USD", axis=alt.Axis(format="$~s")),
            color=alt.Color("measure:N", scale=COLORS, legend=None),
        )
        .properties(width=WIDTH, title="Weighted vs total pipeline")
    )
    return svg(theme(chart))


def velocity_chart(velocity: Velocity) -> str | None:
    """Mean days in each stage of the order (None when no stage has days)."""
    timed = [s for s in velocity.stages if s.mean_days is not None]
    if not timed:
        return None
    rows = [{"stage": s.stage, "days": s.mean_days} for s in timed]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(color="#1f4e8c")
        .encode(
            y=alt.Y("stage:N", sort=[s.stage for s in timed], title=None),
            x=alt.X("days:Q", title="Mean days in stage"),
        )
        .properties(width=WIDTH, title="Days in stage")
    )
    return svg(theme(chart))


def waterfall_chart(start: float, steps: list[tuple[str, float]], end: float) -> str:
    """The pipeline waterfall: the start, each category's signed change, the end."""
    rows: list[dict[str, Any]] = [{"step": "Start", "low": 0.0, "high": start, "kind": "total"}]
    level = start
    for name, change in steps:
        rows.append(
            {
                "step": name,
                "low": min(level, level + change),
                "high": max(level, level + change),
                "kind": "up" if change >= 0 else "down",
            }
        )
        level += change
    rows.append({"step": "End", "low": 0.0, "high": end, "kind": "total"})
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("step:N", sort=[r["step"] for r in rows], title=None),
            y=alt.Y("low:Q", title="USD", axis=alt.Axis(format="$~s")),
            y2="high:Q",
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=["total", "up", "down"], range=["#1f4e8c", "#3a8f5c", "#b8483a"]
                ),
                legend=None,
            ),
        )
        .properties(width=WIDTH, title="Open pipeline flow")
    )
    return svg(theme(chart))
