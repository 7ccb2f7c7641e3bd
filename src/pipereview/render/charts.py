"""Charts for the HTML and PDF report and the dashboard: Altair (Vega-Lite) specs rendered
offline to inline SVG by vl-convert, so the page needs no script and no network. Chart
data are display values (floats); the exact figures are in the tables beside each chart.

One colour meaning everywhere: green is good for the number (won, new, moved in), red is
bad (lost, removed, moved out, decreased), blues are neutral measures. Each chart is drawn
``WIDTH`` pixels wide, labels included (the page scales it to its content width), in a
font with the metrics of Arial, which the browser and the PDF printer resolve alike (so a
label measured here is the width it is drawn); text from the input is cut before it is
measured (a 50,000-character stage name once took minutes).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import altair as alt

from pipereview.render.numbers import DEFAULT_CURRENCY, compact_money, text
from pipereview.report.forecast_model import Forecast, ForecastRow
from pipereview.report.model import StagePipeline, Velocity

WIDTH = 900  # pixels, labels included
FONT = "Arial, Liberation Sans, Helvetica, sans-serif"
INK, MUTED = "#1d2433", "#5b6475"
GOOD, BAD = "#2e7d4f", "#b8483a"
NEUTRAL, NEUTRAL_MID, NEUTRAL_LIGHT = "#1f4e8c", "#5b82b8", "#a9bedb"
LABEL_CHARS = 28  # a label from the input is cut to this many characters
STAGES_CHARTED = 12  # the biggest stages by pipeline; the rest are summed as "other stages"
TOTAL, WEIGHTED = "Total pipeline", "Weighted pipeline"
COLORS = alt.Scale(domain=[TOTAL, WEIGHTED], range=[NEUTRAL_LIGHT, NEUTRAL])
TONE_COLORS = alt.Scale(domain=["total", "good", "bad"], range=[NEUTRAL, GOOD, BAD])
BAND = 22  # pixels per bar row


# Altair checks a spec against Vega-Lite's JSON Schema when asked: the first check in a
# process compiles the schema (about a second, more than the charts take to draw). The specs
# here are fixed code, checked by the tests (``VALIDATE = True``), not at every report.
VALIDATE = False


def svg(chart: alt.TopLevelMixin) -> str:
    """The chart as an SVG element (rendered offline, no script, no remote font)."""
    import vl_convert

    rendered: str = vl_convert.vegalite_to_svg(chart.to_dict(validate=VALIDATE))
    return rendered[rendered.index("<svg") :]


def theme(chart: Any, title: str) -> Any:
    """The house style: the font, no frame, the legend below, fit to ``WIDTH``."""
    return (
        chart.properties(
            width=WIDTH,
            title=alt.TitleParams(title, anchor="start", font=FONT, fontSize=13, color=INK),
            autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
            padding={"left": 4, "right": 12, "top": 4, "bottom": 4},
        )
        .configure_view(stroke=None)
        .configure_axis(
            labelFont=FONT,
            titleFont=FONT,
            labelFontSize=11,
            titleFontSize=11,
            labelColor=INK,
            titleColor=MUTED,
            grid=False,
            labelLimit=220,
        )
        .configure_legend(labelFont=FONT, labelFontSize=11, orient="bottom", title=None)
        .configure_text(font=FONT, fontSize=11)
    )


def money_axis(
    title: str | None = None, currency: str = DEFAULT_CURRENCY, **extra: Any
) -> alt.Axis:
    """A money axis labelled with the currency: ``$`` ticks for USD; for any other
    currency plain ticks (1.2M) and its code in the title ("Open pipeline (EUR)")."""
    code = (currency or DEFAULT_CURRENCY).strip().upper()
    label = code if title is None else f"{title} ({code})"
    ticks = "$~s" if code == "USD" else "~s"
    return alt.Axis(format=ticks, title=label, tickCount=8, labelOverlap=True, **extra)


def stage_rows(stages: list[StagePipeline]) -> list[dict[str, Any]]:
    """Long-form rows (stage, measure, value) for the biggest stages, the rest summed."""
    shown, rest = stages[:STAGES_CHARTED], stages[STAGES_CHARTED:]
    named = [
        (text(s.stage, LABEL_CHARS) if s.stage else "(no stage)", s.pipeline_value,
         s.weighted_pipeline_value)
        for s in shown
    ]  # fmt: skip
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


def stage_chart(stages: list[StagePipeline], currency: str = DEFAULT_CURRENCY) -> str | None:
    """Total and weighted pipeline by stage, biggest stage first (None without stages)."""
    rows = stage_rows(stages)
    if not rows:
        return None
    order = list(dict.fromkeys(r["stage"] for r in rows))
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("stage:N", sort=order, title=None),
            yOffset=alt.YOffset("measure:N", sort=[TOTAL, WEIGHTED]),
            x=alt.X("value:Q", axis=money_axis(currency=currency)),
            color=alt.Color("measure:N", scale=COLORS),
        )
        .properties(height=alt.Step(BAND // 2 + 2))
    )
    return svg(theme(chart, "Pipeline by stage"))


def _segments(row: ForecastRow, name: str) -> list[dict[str, Any]]:
    parts = (
        ("Closed won", row.closed_won),
        ("Commit", row.commit),
        ("Best case", row.best_case),
        ("Pipeline", row.pipeline),
    )
    out, start = [], 0.0
    for i, (part, value) in enumerate(parts):
        end = start + float(value)
        out.append({"name": name, "part": part, "order": i, "x": start, "x2": end})
        start = end
    return out


def forecast_chart(
    f: Forecast, rows: list[ForecastRow], names: list[str], currency: str = DEFAULT_CURRENCY
) -> str | None:
    """Each row's quarter as a stacked bar (closed won, commit, best case, pipeline closing
    in the quarter) with its quota marked: how far the forecast reaches toward quota."""
    if not rows:
        return None
    data = [seg for row, name in zip(rows, names, strict=True) for seg in _segments(row, name)]
    quotas = [
        {"name": name, "quota": float(row.quota)}
        for row, name in zip(rows, names, strict=True)
        if row.quota is not None
    ]
    parts = ["Closed won", "Commit", "Best case", "Pipeline"]
    colors = alt.Scale(domain=parts, range=[GOOD, NEUTRAL, NEUTRAL_MID, NEUTRAL_LIGHT])
    y = alt.Y("name:N", sort=names, title=None)
    bars = (
        alt.Chart(alt.Data(values=data))
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("x:Q", axis=money_axis(f"{f.period}: closed won and open pipeline", currency)),
            x2="x2:Q",
            color=alt.Color("part:N", scale=colors, sort=parts),
            order=alt.Order("order:Q"),
        )
    )
    layers: list[Any] = [bars]
    if quotas:
        ticks = (
            alt.Chart(alt.Data(values=quotas))
            .mark_tick(color=INK, thickness=3, size=BAND + 12)
            .encode(y=y, x="quota:Q")
        )
        layers.append(ticks)
    chart = alt.layer(*layers).properties(height=alt.Step(BAND + 6))
    return svg(theme(chart, "Where the quarter stands against quota (the black mark)"))


def waterfall_rows(
    start: float, steps: list[tuple[str, float, str]], end: float, currency: str = DEFAULT_CURRENCY
) -> tuple[list[dict[str, Any]], list[float]]:
    """The bars (low, high, tone, label) and the axis's domain: the levels the pipeline went
    through, with room around them, so the movements are not slivers of a bar from $0."""
    levels, level = [start], start
    for _, change, _ in steps:
        level += change
        levels.append(level)
    lo, hi = min([*levels, end]), max([*levels, end])
    pad = (hi - lo) * 0.25 or abs(hi) * 0.05 or 1.0
    floor = lo - pad if lo - pad > 0 or lo < 0 else 0.0
    rows = [
        {
            "step": "Start",
            "low": floor,
            "high": start,
            "tone": "total",
            "label": _c(start, currency),
        }
    ]
    level = start
    for name, change, tone in steps:
        rows.append(
            {
                "step": name,
                "low": min(level, level + change),
                "high": max(level, level + change),
                "tone": tone,
                "label": ("+" if change > 0 else "") + _c(change, currency),
            }
        )
        level += change
    rows.append(
        {"step": "End", "low": floor, "high": end, "tone": "total", "label": _c(end, currency)}
    )
    return rows, [floor, hi + pad]


def _c(value: float, currency: str) -> str:
    return compact_money(Decimal(repr(value)), currency)


def waterfall_chart(
    start: float, steps: list[tuple[str, float, str]], end: float, currency: str = DEFAULT_CURRENCY
) -> str:
    """The open pipeline's waterfall, top to bottom: the start, each step's signed change
    (coloured by what it means for the quarter), the end; each bar labelled."""
    rows, domain = waterfall_rows(start, steps, end, currency)
    order = [r["step"] for r in rows]
    x = alt.X(
        "low:Q",
        scale=alt.Scale(domain=domain, nice=False, zero=False),
        axis=money_axis(currency=currency),
    )
    y = alt.Y("step:N", sort=order, title=None)
    base = alt.Chart(alt.Data(values=rows))
    bars = base.mark_bar(clip=True).encode(
        y=y, x=x, x2="high:Q", color=alt.Color("tone:N", scale=TONE_COLORS, legend=None)
    )
    labels = base.mark_text(align="left", dx=4, color=INK).encode(
        y=y, x=alt.X("high:Q", scale=alt.Scale(domain=domain)), text="label:N"
    )
    chart = alt.layer(bars, labels).properties(height=alt.Step(BAND + 4))
    return svg(theme(chart, "Open pipeline flow (green: good for the quarter, red: bad)"))


def velocity_chart(velocity: Velocity) -> str | None:
    """Mean days in each stage of the order (None when no stage has days)."""
    timed = [s for s in velocity.stages if s.mean_days is not None]
    if not timed:
        return None
    stages = [text(s.stage, LABEL_CHARS) for s in timed]
    rows = [{"stage": name, "days": s.mean_days} for name, s in zip(stages, timed, strict=True)]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(color=NEUTRAL)
        .encode(
            y=alt.Y("stage:N", sort=stages, title=None),
            x=alt.X("days:Q", title="Mean days in stage", axis=alt.Axis(format="d")),
        )
        .properties(height=alt.Step(BAND))
    )
    return svg(theme(chart, "Days in stage"))


def _dates_axis(dates: list[dt.date]) -> alt.Axis:
    """A time axis with a tick at every snapshot date (and no other)."""
    values = [alt.DateTime(year=d.year, month=d.month, date=d.day) for d in dates]
    return alt.Axis(values=values, format="%Y-%m-%d", labelAngle=-30, title=None, grid=False)


def history_chart(
    points: list[tuple[dt.date, float, float]], currency: str = DEFAULT_CURRENCY
) -> str:
    """Total and weighted pipeline at every snapshot date (date, total, weighted)."""
    rows = [
        row
        for when, total, weighted in points
        for row in (
            {"date": when.isoformat(), "measure": TOTAL, "value": total},
            {"date": when.isoformat(), "measure": WEIGHTED, "value": weighted},
        )
    ]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", axis=_dates_axis([p[0] for p in points])),
            y=alt.Y("value:Q", axis=money_axis(currency=currency)),
            color=alt.Color("measure:N", scale=COLORS),
        )
        .properties(height=220)
    )
    return svg(theme(chart, "Pipeline at each snapshot"))


def line_chart(
    points: list[tuple[dt.date, float]], title: str, measure: str, currency: str = DEFAULT_CURRENCY
) -> str | None:
    """One money figure at every snapshot date (None with fewer than 2 points)."""
    if len(points) < 2:
        return None
    rows = [{"date": when.isoformat(), "value": value} for when, value in points]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(point=True, color=NEUTRAL)
        .encode(
            x=alt.X("date:T", axis=_dates_axis([p[0] for p in points])),
            y=alt.Y("value:Q", axis=money_axis(measure, currency)),
        )
        .properties(height=200)
    )
    return svg(theme(chart, title))
