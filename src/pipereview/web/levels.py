"""The dashboard's drill-down: company → manager (recursively, as the forecast rolls up) →
rep → deal, and by team and region. Every page is read from the report's forecast rows
(a rep row names its manager, team and region), so a stored day's pages show what that
day's report said.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pipereview.errors import NotFoundError
from pipereview.render.executive import Linked
from pipereview.render.forecast import HEADERS, report_level, row_cells
from pipereview.render.glossary import rule_label
from pipereview.render.numbers import SENTENCE_LIMIT, cell, multiple, text
from pipereview.render.sections import DEAL_HEADERS, currency_of, deal_lists
from pipereview.report.forecast_model import Forecast, ForecastRow, Level
from pipereview.report.model import Report

# The levels a page exists for, and the word a page's title uses.
PAGES: dict[str, Level] = {"managers": "manager", "teams": "team", "regions": "region"}
TITLES = {"manager": "Manager", "team": "Team", "region": "Region"}


def forecast_of(report: Report, when: dt.date) -> Forecast:
    """The report's forecast; NotFoundError when it has none."""
    if report.forecast is None:
        raise NotFoundError(
            f"the report of {when.isoformat()} has no forecast section, so no manager, team "
            "or region pages",
            hint="take the snapshot again with this version of pipereview",
        )
    return report.forecast


def period_text(f: Forecast) -> str:
    """The forecast's period and its dates."""
    return f"{f.period} ({f.period_start.isoformat()} to {f.period_end.isoformat()})"


def linked_row(row: ForecastRow) -> Linked | str:
    """A forecast row's name, linked to its page (the company and "(no team)" are not)."""
    name = row.name or row.id
    if row.level == "company" or row.id is None:
        return "Company" if row.level == "company" else f"(no {row.level})"
    return Linked(row.id, text(name or "", 40), row.level)


def chain(f: Forecast, manager: str | None) -> list[Linked]:
    """The managers above (the top first), ending with ``manager``; stops at a repeat."""
    managers = {m.id: m for m in f.by_manager}
    out: list[Linked] = []
    seen: set[str] = set()
    while manager is not None and manager in managers and manager not in seen:
        seen.add(manager)
        row = managers[manager]
        out.append(Linked(manager, text(row.name or manager, 40), "manager"))
        manager = row.parent
    return out[::-1]


def reports_of(f: Forecast, level: Level, subject: str) -> list[ForecastRow]:
    """The rows that add up to a subject's row: under a manager, the manager's own deals
    (the manager's rep row), each direct report who manages others as a manager row and
    each other direct report as a rep row; in a team or region, its reps."""
    if level != "manager":
        return [r for r in f.by_rep if getattr(r, level) == subject]
    managers = {m.id: m for m in f.by_manager}
    own = [r for r in f.by_rep if r.id == subject]
    direct = [r for r in f.by_rep if r.parent == subject and r.id != subject]
    return own + [managers.get(r.id, r) if r.id in managers else r for r in direct]


def scope(f: Forecast, level: Level, subject: str) -> set[str]:
    """Every rep id whose deals a subject's row counts (a manager's: the whole subtree)."""
    if level != "manager":
        return {r.id for r in f.by_rep if getattr(r, level) == subject and r.id is not None}
    children: dict[str | None, list[str]] = {}
    for r in f.by_rep:
        if r.id is not None:
            children.setdefault(r.parent, []).append(r.id)
    found, todo = {subject}, [subject]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def figures(row: ForecastRow, cur: str) -> list[tuple[str, str, str]]:
    """A subject's headline cards: label, value, and a note."""
    low = " — below the threshold" if row.low_coverage else ""
    return [
        ("Closed won", cell(row.closed_won, "compact", cur), f"{row.closed_won_deals:,} deals"),
        ("Commit forecast", cell(row.commit_forecast, "compact", cur), "closed won + commit"),
        (
            "Best-case forecast",
            cell(row.best_case_forecast, "compact", cur),
            "commit forecast + best case",
        ),
        ("Quota", cell(row.quota, "compact", cur), _quota_note(row)),
        ("Gap to quota", cell(row.gap_to_quota, "compact", cur), "quota less closed won"),
        ("Coverage", multiple(row.coverage), "open pipeline / gap" + low),
        (
            "Open pipeline",
            cell(row.open_pipeline, "compact", cur),
            f"{row.open_pipeline_deals:,} deals closing in the period",
        ),
    ]


def _quota_note(row: ForecastRow) -> str:
    if row.reps_without_quota:
        return f"{row.reps_without_quota:,} reps without a quota"
    return "the period's quota"


def level_view(report: Report, when: dt.date, level: Level, subject: str) -> dict[str, Any]:
    """A manager's, team's or region's page: its forecast, coverage and gap, its reports
    (or reps), its reps' flags and its flagged deals; 404 if the report has no such row."""
    f = forecast_of(report, when)
    row = next((r for r in f.rows(level) if r.id == subject), None)
    if row is None:
        raise NotFoundError(f"no {level} {subject!r} in the report of {when.isoformat()}")
    cur = currency_of(report)
    members = scope(f, level, subject)
    lists = []
    owned = {d.deal_id for d in report.deal_details if d.rep_id in members}
    for listed in deal_lists(report):
        listed.rows = [r for r in listed.rows if r[0].id in owned]
        if listed.rows:
            lists.append(listed)
    names = {r.id: r.name for r in f.by_rep}
    flags = [
        [
            Linked(fl.subject_id, text(names.get(fl.subject_id) or fl.subject_id, 30), "rep"),
            rule_label(fl.rule),
            text(fl.message, SENTENCE_LIMIT),
        ]
        for fl in report.flags
        if fl.subject_type == "rep" and fl.subject_id in members
    ]
    reports = reports_of(f, level, subject)
    rows = [[linked_row(r), *row_cells(r, cur)[1:]] for r in reports]
    name = row.name or subject
    return {
        "as_of_date": when,
        "level": level,
        "subject": subject,
        "row": row,
        "title": f"{TITLES[level]}: {name}",
        "period": period_text(f),
        "above": chain(f, row.parent) if level == "manager" else [],
        "cards": figures(row, cur),
        "headers": HEADERS,
        "rows": rows,
        "total": ["Total", *row_cells(row, cur)[1:]],
        "deal_headers": DEAL_HEADERS,
        "reports": reports,
        "members": members,
        "flag_rows": flags,
        "deal_lists": lists,
    }


def rep_quarter(report: Report, rep_id: str) -> dict[str, Any] | None:
    """A rep page's forecast: the rep's row in the period and the managers above."""
    f = report.forecast
    if f is None:
        return None
    row = next((r for r in f.by_rep if r.id == rep_id), None)
    if row is None:
        return None
    cur = currency_of(report)
    return {
        "period": period_text(f),
        "cards": figures(row, cur),
        "managers": chain(f, row.parent),
        "team": None if row.team is None else Linked(row.team, text(row.team, 40), "team"),
        "region": None
        if row.region is None
        else Linked(row.region, text(row.region, 40), "region"),
    }


# The rep table's cells a sort reads, and which of them are figures.
_REP_CELLS = ("rep", "active", "pipeline", "close_rate", "achievement", "attainment", "trend")
_REP_FIGURES = (1, 2, 3, 4, 5, 7)


def drillable(values: dict[str, Any], report: Report, sorting: Any) -> dict[str, Any]:
    """The overview's context with the forecast's names linked to their pages, the
    forecast and rep tables in the order asked for, and the teams and regions to drill
    into."""
    f = report.forecast
    shown = values.get("forecast")
    out = dict(values)
    if f is not None and shown is not None:
        level = report_level(f)
        rows = f.rows(level)
        body = [[linked_row(r), *cells[1:]] for r, cells in zip(rows, shown["rows"], strict=False)]
        total = shown["rows"][len(rows) :]
        ordered = sorting.rows("forecast", body, range(1, len(HEADERS)))
        out["forecast"] = {**shown, "rows": ordered + total}
    reps = [
        {**r, "cells": [*(r[k] for k in _REP_CELLS), r["change"], " ".join(r["marks"]), ""]}
        for r in values["reps"]
    ]
    out["reps"] = sorting.rows("reps", reps, _REP_FIGURES)
    out["drill"] = [] if f is None else drill_links(f)
    return out


def drill_links(f: Forecast) -> list[tuple[str, list[Linked]]]:
    """The teams and regions a page links to (none when no rep has one)."""
    out = []
    for level, title in (("team", "Teams"), ("region", "Regions")):
        linked = [linked_row(r) for r in f.rows(level) if r.id is not None]  # type: ignore[arg-type]
        if linked:
            out.append((title, [x for x in linked if isinstance(x, Linked)]))
    return out
