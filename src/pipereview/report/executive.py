"""The executive summary's figures, computed from a Report (no engine, no clock): the deals
that put the most of the quarter at stake, the reps who need help most, and the quarter's
pace. Definitions in docs/metrics.md ("Executive summary"); every ranking has explicit
tie-breaks, so the same report gives the same lists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from pipereview.report.forecast_model import Forecast, ForecastRow
from pipereview.report.model import DealDetail, Flag, Report

SEVERITY_WEIGHT = {"info": 1, "warning": 2, "critical": 3}
CENT = Decimal("0.01")
POSITIVE_RULES = frozenset({"benchmark"})  # a rep flag that is praise, not a problem


@dataclass(frozen=True)
class DealRow:
    """One deal row a flag judged: from the flag's own evidence first, else from the deal's
    detail row that matches it (a repeated deal id has several)."""

    deal_id: str
    rep_id: str | None
    stage: str | None
    value: Decimal | None
    probability: float | None
    days_in_stage: float | None
    close_date: dt.date | None
    weighted: Decimal | None  # value x probability, to the cent

    def key(self) -> tuple[Any, ...]:
        return (self.deal_id, self.rep_id, self.stage, self.value)


def _matching(flag: Flag, rows: list[DealDetail]) -> DealDetail | None:
    """The detail row the flag judged: the only one, or the only one that agrees with the
    flag's evidence (owner, stage, value)."""
    o = flag.observed
    fits = [
        d
        for d in rows
        if all(
            o[name] == getattr(d, attr)
            for name, attr in (
                ("rep_id", "rep_id"),
                ("stage", "stage"),
                ("deal_value_usd", "deal_value_usd"),
            )
            if name in o
        )
    ]
    return fits[0] if len(fits) == 1 else None


def deal_row(flag: Flag, details: dict[str, list[DealDetail]]) -> DealRow:
    """The deal row ``flag`` judged (``details``: the report's deal details by deal id)."""
    o = flag.observed
    detail = _matching(flag, details.get(flag.subject_id, []))

    def fact(name: str, attr: str | None = None) -> Any:
        if name in o:
            return o[name]
        return getattr(detail, attr or name) if detail is not None else None

    value = fact("deal_value_usd")
    probability = fact("probability")
    weighted = None
    if detail is not None and value == detail.deal_value_usd:
        weighted = detail.expected_value
    elif value is not None and probability is not None:
        exact = Decimal(value) * Decimal(repr(float(probability)))
        weighted = exact.quantize(CENT, ROUND_HALF_EVEN)
    return DealRow(
        deal_id=flag.subject_id,
        rep_id=fact("rep_id"),
        stage=fact("stage"),
        value=value,
        probability=probability,
        days_in_stage=fact("days_in_stage"),
        close_date=detail.close_date if detail is not None else _date(o.get("close_date")),
        weighted=weighted,
    )


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value is not None else None
    except ValueError:
        return None


def details_by_id(report: Report) -> dict[str, list[DealDetail]]:
    """The report's deal details grouped by deal id (a repeated id has several rows)."""
    grouped: dict[str, list[DealDetail]] = {}
    for d in report.deal_details:
        grouped.setdefault(d.deal_id, []).append(d)
    return grouped


@dataclass(frozen=True)
class AtStake:
    """A flagged deal row with its weighted value in the period and what is wrong."""

    deal: DealRow
    flags: tuple[Flag, ...]
    weight: int  # the severity weights of its flags, added up
    score: Decimal  # weighted value x weight: the ranking


def in_period(close: dt.date | None, forecast: Forecast | None) -> bool:
    """Whether a deal closing on ``close`` can land in the report's quarter: its close date
    is in the quarter, or already passed (a slipped deal closes now or not at all), or
    unknown. Only a deal planned for a later quarter cannot (every deal can when the report
    has no forecast section)."""
    return forecast is None or close is None or close <= forecast.period_end


def at_stake(report: Report) -> list[AtStake]:
    """Every flagged deal row that can land in the report's quarter (``in_period``) with a
    positive weighted value, the most at stake first: by weighted value x the severity
    weights of its flags, then weighted value, then the earlier close date, then deal id,
    owner and stage."""
    details = details_by_id(report)
    grouped: dict[tuple[Any, ...], tuple[DealRow, list[Flag]]] = {}
    for flag in report.flags:
        if flag.subject_type != "deal":
            continue
        row = deal_row(flag, details)
        grouped.setdefault(row.key(), (row, []))[1].append(flag)
    out = []
    for row, flags in grouped.values():
        if row.weighted is None or row.weighted <= 0:
            continue
        if not in_period(row.close_date, report.forecast):
            continue
        weight = sum(SEVERITY_WEIGHT[f.severity] for f in flags)
        out.append(AtStake(row, tuple(flags), weight, row.weighted * weight))
    out.sort(
        key=lambda s: (
            -s.score,
            -(s.deal.weighted or 0),
            s.deal.close_date or dt.date.max,
            s.deal.deal_id,
            s.deal.rep_id or "",
            s.deal.stage or "",
        )
    )
    return out


@dataclass(frozen=True)
class NeedsHelp:
    """A rep with a problem flag, the rep's quarter and the manager it reports to."""

    rep_id: str
    name: str | None
    manager_id: str | None
    manager_name: str | None
    quarter: ForecastRow | None
    flags: tuple[Flag, ...]
    shortfall: Decimal | None  # gap to quota - weighted open pipeline


def needs_help(report: Report) -> list[NeedsHelp]:
    """Reps with at least one flag other than ``benchmark``, the one expected to miss the
    quarter's quota by the most first: by shortfall (gap to quota minus weighted open
    pipeline; unknown last), then the severity weights of its flags, then rep id."""
    f = report.forecast
    quarters = {r.id: r for r in f.by_rep} if f else {}
    names = {r.rep_id: r.rep_name for r in report.rep_performance}
    names.update({m.id: m.name for m in (f.by_manager if f else []) if m.id and m.name})
    flagged: dict[str, list[Flag]] = {}
    for flag in report.flags:
        if flag.subject_type == "rep" and flag.rule not in POSITIVE_RULES:
            flagged.setdefault(flag.subject_id, []).append(flag)
    out = []
    for rep_id, flags in flagged.items():
        q = quarters.get(rep_id)
        manager = q.parent if q else None
        shortfall = None
        if q is not None and q.gap_to_quota is not None:
            shortfall = q.gap_to_quota - q.weighted_open_pipeline
        out.append(
            NeedsHelp(
                rep_id=rep_id,
                name=names.get(rep_id) or (q.name if q else None),
                manager_id=manager,
                manager_name=names.get(manager) if manager else None,
                quarter=q,
                flags=tuple(flags),
                shortfall=shortfall,
            )
        )
    out.sort(
        key=lambda h: (
            h.shortfall is None,
            -(h.shortfall or 0),
            -sum(SEVERITY_WEIGHT[x.severity] for x in h.flags),
            h.rep_id,
        )
    )
    return out


@dataclass(frozen=True)
class Pace:
    """Where closed won stands against an even pace through the quarter."""

    day: int  # the quarter's day that ``as_of`` is (1 = its first), at most ``days``
    days: int
    due: Decimal | None  # quota x day / days, to the cent
    pace: float | None  # closed won / due (None without a quota or before the quarter)


def quarter_pace(f: Forecast, row: ForecastRow | None = None) -> Pace:
    """The company's (or ``row``'s) pace through ``f``'s quarter as of ``f.as_of``."""
    row = row or f.company
    length = (f.period_end - f.period_start).days + 1
    day = max(0, min(length, (f.as_of - f.period_start).days + 1))
    if row.quota is None or row.quota <= 0 or day == 0:
        return Pace(day, length, None, None)
    exact = row.quota * day / length
    due = exact.quantize(CENT, ROUND_HALF_EVEN)
    return Pace(day, length, due, round(float(row.closed_won / exact), 4))
