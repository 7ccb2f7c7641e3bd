"""The executive summary every human format opens with: where the quarter will land, what
moved, where the risk is, who needs help. This module turns the Report into display values
(text, already formatted); the HTML template, the Markdown and the terminal lay them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pipereview.render.glossary import FLOW_STEPS, movement_label
from pipereview.render.numbers import (
    DEFAULT_CURRENCY,
    cell,
    compact_money,
    count,
    exact_money,
    money,
    multiple,
    rate,
    text,
    times,
)
from pipereview.render.reasons import reasons
from pipereview.report.accuracy_model import AccuracyRow
from pipereview.report.executive import (
    AtStake,
    NeedsHelp,
    Pace,
    at_stake,
    needs_help,
    quarter_pace,
)
from pipereview.report.forecast_model import Forecast, ForecastRow
from pipereview.report.model import Report, RollupRow

DEALS_AT_STAKE = 8  # the deals the summary ranks (5 to 10 read in a glance)
REPS_TO_HELP = 5
MANAGERS_SHOWN = 12  # first-line managers in the summary's table (the forecast lists all)
RISK_HEADERS = ["Deal", "Owner", "Stage", "Close date", "Value", "Probability", "Why"]
HELP_HEADERS = ["Rep", "Manager", "Quota", "Closed won", "Gap to quota", "Coverage", "Why"]
HELP_SHOWS = frozenset({"quota", "closed_won", "gap_to_quota", "coverage"})
LAND_HEADERS = [
    "Name",
    "Quota",
    "Closed won",
    "Commit forecast",
    "Best-case forecast",
    "Gap to quota",
    "Coverage",
    "Pace",
]


@dataclass
class Card:
    """One headline figure: compact, exact underneath, and a note (its change, a share)."""

    label: str
    value: str
    exact: str = ""
    note: str = ""
    tone: str = ""  # "good", "bad" or "" (the note's colour)
    direction: str = ""  # "up", "down" or "": how a figure moved since the last snapshot


@dataclass
class Linked:
    """A cell that names a deal or a rep: the id (for a link) and the text shown."""

    id: str
    text: str
    kind: str  # "deal" or "rep"

    def __str__(self) -> str:
        return self.text


@dataclass
class Summary:
    """Everything the executive summary shows, formatted."""

    period: str
    quarter_cards: list[Card] = field(default_factory=list)
    land: list[str] = field(default_factory=list)
    managers: list[list[Any]] = field(default_factory=list)
    managers_more: int = 0
    moved: list[str] = field(default_factory=list)
    risk: list[list[Any]] = field(default_factory=list)
    risk_note: str = ""
    help: list[list[Any]] = field(default_factory=list)
    help_more: int = 0  # flagged reps beyond those listed


def currency_of(report: Any) -> str:
    """The report's currency code (USD until the report carries its own)."""
    return str(getattr(report, "currency", None) or DEFAULT_CURRENCY)


def period_text(f: Forecast) -> str:
    return f"{f.period} ({f.period_start.isoformat()} to {f.period_end.isoformat()})"


def share(part: Decimal | None, whole: Decimal | None) -> str:
    """``part`` as a whole percent of a positive ``whole``."""
    if part is None or whole is None or whole <= 0:
        return "—"
    return rate(float(part / whole))


def pace_text(p: Pace) -> str:
    return "—" if p.pace is None else rate(p.pace)


def quarter_cards(f: Forecast, cur: str) -> list[Card]:
    """Attainment, commit and best-case forecasts, gap, coverage and pace of the quarter."""
    c = f.company
    p = quarter_pace(f)
    low = c.low_coverage
    return [
        Card(
            "Quota attainment",
            share(c.closed_won, c.quota),
            "",
            f"{compact_money(c.closed_won, cur)} closed of {compact_money(c.quota, cur)}",
        ),
        Card(
            "Commit forecast",
            compact_money(c.commit_forecast, cur),
            money(c.commit_forecast, cur),
            f"{share(c.commit_forecast, c.quota)} of quota",
        ),
        Card(
            "Best-case forecast",
            compact_money(c.best_case_forecast, cur),
            money(c.best_case_forecast, cur),
            f"{share(c.best_case_forecast, c.quota)} of quota",
        ),
        Card("Gap to quota", compact_money(c.gap_to_quota, cur), money(c.gap_to_quota, cur)),
        Card(
            "Coverage",
            multiple(c.coverage),
            "",
            f"low: below {times(f.low_coverage_below)}" if low else "open pipeline / gap",
            "bad" if low else "",
        ),
        Card("Pace", pace_text(p), "", f"day {p.day} of {p.days}"),
    ]


def first_line(f: Forecast) -> list[ForecastRow]:
    """The managers that reps report to directly (all managers when none does)."""
    direct = {r.parent for r in f.by_rep if r.parent is not None}
    managers = [m for m in f.by_manager if m.id in direct]
    return managers or list(f.by_manager)


def row_name(row: ForecastRow | RollupRow | AccuracyRow) -> str:
    """A forecast or roll-up row's name: the person's name and id, or the team, region or
    company."""
    if row.level == "company":
        return "Company"
    if row.id is None:
        return f"(no {row.level})"
    if row.name:
        return f"{text(row.name, 40)} ({text(row.id, 20)})"
    return text(row.id)


def land_row(f: Forecast, row: ForecastRow, cur: str) -> list[str]:
    return [
        row_name(row),
        compact_money(row.quota, cur),
        compact_money(row.closed_won, cur),
        compact_money(row.commit_forecast, cur),
        compact_money(row.best_case_forecast, cur),
        compact_money(row.gap_to_quota, cur),
        multiple(row.coverage) + (" low" if row.low_coverage else ""),
        pace_text(quarter_pace(f, row)),
    ]


def land_sentences(f: Forecast, cur: str) -> list[str]:
    c = f.company
    p = quarter_pace(f)
    if c.quota is None:
        out = [
            f"No rep has a quota for {f.period}: closed won {money(c.closed_won, cur)}; the "
            f"commit forecast is {money(c.commit_forecast, cur)} and the best case "
            f"{money(c.best_case_forecast, cur)}."
        ]
    else:
        out = [
            f"Closed won {money(c.closed_won, cur)} of a {money(c.quota, cur)} quota "
            f"({share(c.closed_won, c.quota)}); the commit forecast is "
            f"{money(c.commit_forecast, cur)} ({share(c.commit_forecast, c.quota)} of quota) "
            f"and the best case {money(c.best_case_forecast, cur)} "
            f"({share(c.best_case_forecast, c.quota)})."
        ]
    if c.gap_to_quota is not None and c.gap_to_quota > 0:
        low = f", low: below {times(f.low_coverage_below)}" if c.low_coverage else ""
        out.append(
            f"The {money(c.gap_to_quota, cur)} gap has {money(c.open_pipeline, cur)} of open "
            f"pipeline closing in the quarter against it: coverage {multiple(c.coverage)}{low}."
        )
    if p.pace is not None:
        out.append(
            f"On day {p.day} of {p.days}, closed won is {pace_text(p)} of an even pace "
            f"({money(p.due, cur)} due by today)."
        )
    return out


def moved_sentences(report: Report, cur: str) -> list[str]:
    """What moved since the compared snapshot (nothing without one)."""
    changes, flow = report.changes, report.flow
    if changes is None:
        return []
    out = []
    if flow is not None:
        steps = sorted(
            (s for s in flow.steps if s.change and s.category != "unchanged"),
            key=lambda s: (-abs(s.change), s.category),
        )[:3]
        moves = ", ".join(
            f"{FLOW_STEPS[s.category].lower()} {'+' if s.change > 0 else ''}"
            f"{compact_money(s.change, cur)}"
            for s in steps
        )
        start, end = flow.start_open_pipeline, flow.end_open_pipeline
        if moves:
            out.append(
                f"Open pipeline closing in the quarter went from {exact_money(start, cur)} to "
                f"{exact_money(end, cur)}; the biggest moves: {moves}."
            )
        else:
            out.append(
                f"Open pipeline closing in the quarter is unchanged at {exact_money(end, cur)}."
            )
    moved = [m for m in changes.deals if m.deals]
    if moved:
        out.append(
            "; ".join(
                f"{movement_label(m.movement)}: {count(m.deals)} ({compact_money(m.value, cur)})"
                for m in moved
            )
            + "."
        )
    return out


def risk_rows(ranked: list[AtStake], names: dict[str, str | None], cur: str) -> list[list[Any]]:
    return [
        [
            Linked(s.deal.deal_id, text(s.deal.deal_id, 30), "deal"),
            _owner(s.deal.rep_id, names),
            text(s.deal.stage, 30) if s.deal.stage else "—",
            cell(s.deal.close_date.isoformat() if s.deal.close_date else None),
            compact_money(s.deal.value, cur),
            cell(s.deal.probability, "rate"),
            reasons(s.flags, cur),
        ]
        for s in ranked
    ]


def _owner(rep_id: str | None, names: dict[str, str | None]) -> Any:
    """The rep's name, linked to its page when it has one (it is in the reps input)."""
    if rep_id is None:
        return "—"
    if rep_id not in names:
        return text(rep_id, 30)
    return Linked(rep_id, text(names.get(rep_id) or rep_id, 30), "rep")


def help_rows(helped: list[NeedsHelp], names: dict[str, str | None], cur: str) -> list[list[Any]]:
    rows = []
    for h in helped:
        q = h.quarter
        manager = _owner(h.manager_id, names)
        rows.append(
            [
                Linked(h.rep_id, text(h.name or h.rep_id, 30), "rep"),
                manager,
                compact_money(q.quota, cur) if q else "—",
                compact_money(q.closed_won, cur) if q else "—",
                compact_money(q.gap_to_quota, cur) if q else "—",
                multiple(q.coverage) if q else "—",
                reasons(h.flags, cur, HELP_SHOWS),
            ]
        )
    return rows


def summary(report: Report, deals: int = DEALS_AT_STAKE, reps: int = REPS_TO_HELP) -> Summary:
    """The executive summary of ``report``: ``deals`` at stake and ``reps`` to help."""
    cur = currency_of(report)
    f = report.forecast
    out = Summary(period=period_text(f) if f else "all close dates")
    if f is not None:
        out.quarter_cards = quarter_cards(f, cur)
        out.land = land_sentences(f, cur)
        managers = first_line(f)
        out.managers = [land_row(f, m, cur) for m in managers[:MANAGERS_SHOWN]]
        out.managers_more = max(0, len(managers) - MANAGERS_SHOWN)
        out.managers.append(land_row(f, f.company, cur))
    out.moved = moved_sentences(report, cur)
    names = {r.rep_id: r.rep_name for r in report.rep_performance}
    ranked = at_stake(report)
    out.risk = risk_rows(ranked[:deals], names, cur)
    if ranked:
        total = sum((s.deal.weighted or Decimal(0) for s in ranked), Decimal(0))
        where = f"that can close in {f.period}" if f else "flagged"
        out.risk_note = (
            f"{count(len(ranked))} flagged {'deal' if len(ranked) == 1 else 'deals'} {where} "
            f"carry {money(total, cur)} of weighted value; the "
            f"{min(deals, len(ranked))} with the most at stake (by weighted value and how "
            "much is wrong) are listed."
        )
    helped = needs_help(report)
    out.help = help_rows(helped[:reps], names, cur)
    out.help_more = max(0, len(helped) - reps)
    return out
