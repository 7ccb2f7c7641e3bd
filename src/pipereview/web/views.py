"""What the rep and deal pages show, gathered from a report and its explanations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pipereview.errors import NotFoundError
from pipereview.render import charts
from pipereview.render.glossary import rule_label, severity_label
from pipereview.render.numbers import SENTENCE_LIMIT, cell, compact_money, text
from pipereview.render.reasons import evidence_rows
from pipereview.render.sections import deal_lists, rep_rows
from pipereview.report.model import Verdict
from pipereview.web.levels import rep_quarter
from pipereview.web.source import Point, Source


def history_chart(points: list[Point]) -> str:
    """Total and weighted pipeline at every snapshot date."""
    return charts.history_chart(
        [(p.as_of, p.total_pipeline, p.weighted_pipeline) for p in points], _currency(points)
    )


def rep_history_chart(points: list[Point], rep_id: str) -> str | None:
    """One rep's open pipeline at every snapshot that has the rep (None with fewer than 2)."""
    return charts.line_chart(
        [(p.as_of, p.reps[rep_id]["pipeline"]) for p in points if rep_id in p.reps],
        "Open pipeline at each snapshot",
        "Open pipeline",
        _currency(points),
    )


def _currency(points: list[Point]) -> str:
    """The latest snapshot's currency (a store written in one policy has one)."""
    return points[-1].currency if points else "USD"


def verdict_rows(verdicts: list[Verdict]) -> list[dict[str, Any]]:
    """Each verdict with its rule's label and its values and thresholds as labelled text."""
    return [
        {
            "rule": rule_label(v.rule),
            "fired": v.fired,
            "severity": severity_label(v.severity).lower(),
            "message": text(v.message, SENTENCE_LIMIT),
            "observed": evidence_rows(v.rule, v.observed),
            "thresholds": evidence_rows(v.rule, v.thresholds),
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
        listed.rows = [row for row in listed.rows if row[0].id in owned]
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
        "flag_rows": [
            (rule_label(f.rule), f.severity, text(f.message, SENTENCE_LIMIT)) for f in flags
        ],
        "verdicts": verdicts,
        "verdict_rows": verdict_rows(verdicts),
        "deal_lists": lists,
        "history": rep_history_chart(source.history(), rep_id) if len(source.dates()) > 1 else None,
        "quarter": rep_quarter(report, rep_id),
        "pipeline_compact": compact_money(performance.pipeline_value, report.currency),
    }


def deal_view(source: Source, when: dt.date, deal_id: str) -> dict[str, Any]:
    """The deal's details (every row with that id) and every rule's verdict; 404 if none.
    ``repeated`` says when more than one row has the id (each row is judged by each rule)."""
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
        "repeated": len(verdicts) > len({v.rule for v in verdicts}),
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
                ("Days in stage", cell(d.days_in_stage, "days")),
                ("Close date", cell(d.close_date.isoformat() if d.close_date else None)),
                ("Risk flags", cell(d.risk_flags) or "none"),
            )
        ],
        "rep_link": first.get("rep_id"),
        "verdicts": verdicts,
        "verdict_rows": verdict_rows(verdicts),
    }
