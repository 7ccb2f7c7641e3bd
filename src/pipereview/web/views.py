"""What the rep and deal pages show, gathered from a report and its explanations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt

from pipereview.errors import NotFoundError
from pipereview.render.charts import COLORS, TOTAL, WEIGHTED, WIDTH, svg, theme
from pipereview.render.html import deal_lists, rep_rows
from pipereview.render.text import cell
from pipereview.report.model import Verdict
from pipereview.web.source import Point, Source


def history_chart(points: list[Point]) -> str:
    """Total and weighted pipeline at every snapshot date."""
    rows = [
        row
        for p in points
        for row in (
            {"date": p.as_of.isoformat(), "measure": TOTAL, "value": p.total_pipeline},
            {"date": p.as_of.isoformat(), "measure": WEIGHTED, "value": p.weighted_pipeline},
        )
    ]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("value:Q", title="USD", axis=alt.Axis(format="$~s")),
            color=alt.Color("measure:N", scale=COLORS),
        )
        .properties(width=WIDTH, title="Pipeline at each snapshot")
    )
    return svg(theme(chart))


def rep_history_chart(points: list[Point], rep_id: str) -> str | None:
    """One rep's open pipeline at every snapshot that has the rep (None with fewer than 2)."""
    rows = [
        {"date": p.as_of.isoformat(), "value": p.reps[rep_id]["pipeline"]}
        for p in points
        if rep_id in p.reps
    ]
    if len(rows) < 2:
        return None
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(point=True, color="#1f4e8c")
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("value:Q", title="Open pipeline", axis=alt.Axis(format="$~s")),
        )
        .properties(width=WIDTH, title="Open pipeline at each snapshot")
    )
    return svg(theme(chart))


def verdict_rows(verdicts: list[Verdict]) -> list[dict[str, Any]]:
    """Each verdict with its observed values and thresholds as readable text."""
    return [
        {
            "rule": v.rule,
            "fired": v.fired,
            "severity": v.severity,
            "message": v.message,
            "observed": [(k, cell(x)) for k, x in v.observed.items()],
            "thresholds": [(k, cell(x)) for k, x in v.thresholds.items()],
        }
        for v in verdicts
    ]


def _plain(subject_id: str, kind: str, when: dt.date) -> None:
    """NotFoundError for an id no input can hold (a NUL character: the engine refuses it)."""
    if "\x00" in subject_id:
        raise NotFoundError(f"no {kind} {subject_id!r} in the report of {when.isoformat()}")


def rep_view(source: Source, when: dt.date, rep_id: str) -> dict[str, Any]:
    """The rep's figures, trajectory, flags, verdicts and flagged deals; 404 if unknown."""
    report = source.report(when)
    _plain(rep_id, "rep", when)
    performance = next((r for r in report.rep_performance if r.rep_id == rep_id), None)
    if performance is None:
        raise NotFoundError(f"no rep {rep_id!r} in the report of {when.isoformat()}")
    trajectory = next((t for t in report.rep_trajectory if t.rep_id == rep_id), None)
    flags = [f for f in report.flags if f.subject_type == "rep" and f.subject_id == rep_id]
    verdicts = [v for v in source.explain(rep_id, when) if v.subject_type == "rep"]
    owned = {d.deal_id for d in report.deal_details if d.rep_id == rep_id}
    lists = []
    for listed in deal_lists(report):
        listed.rows = [row for row in listed.rows if row[0] in owned]
        if listed.rows:
            lists.append(listed)
    row = next(r for r in rep_rows(report) if r["rep_id"] == rep_id)
    return {
        "as_of_date": when,
        "rep_id": rep_id,
        "rep": row,
        "performance": performance,
        "trajectory": trajectory,
        "flags": flags,
        "verdicts": verdicts,
        "verdict_rows": verdict_rows(verdicts),
        "deal_lists": lists,
        "history": rep_history_chart(source.history(), rep_id) if len(source.dates()) > 1 else None,
    }


def deal_view(source: Source, when: dt.date, deal_id: str) -> dict[str, Any]:
    """The deal's details (every row with that id) and every rule's verdict; 404 if none."""
    report = source.report(when)
    _plain(deal_id, "deal", when)
    verdicts = [v for v in source.explain(deal_id, when) if v.subject_type == "deal"]
    if not verdicts:
        raise NotFoundError(f"no deal {deal_id!r} in the report of {when.isoformat()}")
    details = [d for d in report.deal_details if d.deal_id == deal_id]
    first = verdicts[0].observed
    owner = details[0].rep_name if details else None
    return {
        "as_of_date": when,
        "deal_id": deal_id,
        "details": details,
        "facts": [
            ("Owner", owner or cell(first.get("rep_id"))),
            ("Rep id", cell(first.get("rep_id"))),
            ("Stage", cell(first.get("stage"))),
            ("Status", cell(first.get("status"))),
            ("Value", cell(first.get("deal_value_usd"), "usd")),
        ]
        + [
            (label, value)
            for d in details[:1]
            for label, value in (
                ("Probability", cell(d.probability, "rate")),
                ("Weighted value", cell(d.expected_value, "usd")),
                ("Days in stage", cell(d.days_in_stage)),
                ("Close date", cell(d.close_date)),
                ("Risk flags", cell(d.risk_flags) or "none"),
            )
        ],
        "rep_link": first.get("rep_id"),
        "verdicts": verdicts,
        "verdict_rows": verdict_rows(verdicts),
    }
