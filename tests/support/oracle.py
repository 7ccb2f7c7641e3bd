"""Independent plain-Python reference implementation of the reference metrics (the test oracle).

Written only from the contract (docs/metrics.md and docs/decisions.md), with no pipereview
imports, so the engine can be compared with it on random data. It is deliberately literal:
one loop per figure, money summed as exact ``Decimal`` and rounded half-even to cents once
(D7, D13), ratios as exact ``Fraction`` quotients compared with the thresholds as the
decimals the policy spells and rounded half-even once when the output dict is built (D35);
a number is read as the decimal its shortest text spells, and one with more places than
its column keeps is refused (D34). Besides the sections it gives every flag (subject,
order, the values its sentence must show) and every data-quality count. A flag's priority
is the double quotient the engine orders by.

Inputs are canonical rows (dicts whose keys may be missing or None).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

DEFAULT_POLICY: dict[str, Any] = {
    "stalled_deal_days_in_stage": 21,
    "high_probability": 0.7,
    "extreme_days_in_stage": 60,
    "needs_coaching_below": 0.7,
    "top_opportunities": 3,
    "trend_band": 0.02,
    "coaching_attainment_below": 0.9,
    "coaching_risk_velocity": "increasing",
}

CENT = Decimal("0.01")
AS_OF = dt.date(2026, 11, 20)  # the tests' report date (conftest.AS_OF)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def dec(value: Any) -> Decimal:
    """A number as the decimal its shortest text spells (a CRM exports decimals); None = 0."""
    return (
        Decimal(0) if value is None else Decimal(repr(value) if isinstance(value, float) else value)
    )


def cents(value: Decimal | None) -> Decimal | None:
    """Money rounded once, half-even, to cents (D7)."""
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def _num(value: Any) -> float:
    """A deal's numeric field: missing counts as 0 (D2)."""
    return 0 if value is None else value


def fold(value: Any) -> Any:
    """Trimmed and A-Z lower-cased (D16); blank is missing."""
    if not isinstance(value, str):
        return value
    folded = value.strip().translate(_ASCII_LOWER)
    return folded or None


def _status(deal: dict) -> Any:
    return fold(deal.get("status"))


def exact(value: Any) -> Fraction:
    """A number's exact value: a float (a policy value, an input) as its shortest text."""
    return Fraction(dec(value))


def half_even(value: Any, places: int) -> float:
    """The exact value rounded half-even to ``places`` (never -0.0)."""
    quotient = exact(value) if not isinstance(value, Fraction) else value
    whole, rest = divmod(quotient.numerator * 10**places, quotient.denominator)
    if 2 * rest > quotient.denominator or (2 * rest == quotient.denominator and whole % 2):
        whole += 1
    return float(Decimal(whole).scaleb(-places)) + 0.0


def _round_or_none(value: Any, places: int) -> float | None:
    return None if value is None else half_even(value, places)


def double_ratio(numerator: Any, denominator: Any) -> float | None:
    """The double quotient the engine orders flags by (None without a positive one)."""
    if numerator is None or denominator is None or not denominator > 0:
        return None
    return float(dec(numerator)) / float(dec(denominator))


def _deal_flags(deal: dict) -> list:
    flags = deal.get("risk_flags")
    return [] if flags is None else list(flags)


PLACES = {"deal_value_usd": 4, "probability": 6}


def _check_probabilities(deals: list[dict]) -> None:
    """D3: a probability outside [0, 1] stops the run; D34: so does a value with more
    places than its column keeps (money 4, probability 6)."""
    for index, deal in enumerate(deals):
        p = deal.get("probability")
        if p is not None and not 0 <= p <= 1:
            raise ValueError(f"deal row {index}: probability {p!r} is outside [0, 1]")
        for column, places in PLACES.items():
            value = deal.get(column)
            if value is not None and dec(value) != round(dec(value), places):
                raise ValueError(f"deal row {index}: {column} {value!r} has too many places")


def _active(deals: list[dict]) -> list[dict]:
    return [d for d in deals if _status(d) == "active"]


def _weighted(deal: dict) -> Decimal:
    """value x probability, exact (D13)."""
    return dec(deal.get("deal_value_usd")) * dec(deal.get("probability"))


def _is_stalled(deal: dict, policy: dict) -> bool:
    return (
        _status(deal) == "active"
        and _num(deal.get("days_in_stage")) >= policy["stalled_deal_days_in_stage"]
    )


def _is_stale_high_probability(deal: dict, policy: dict) -> bool:
    """Active, probability >= high_probability and days in stage >= extreme_days_in_stage."""
    return (
        _status(deal) == "active"
        and dec(deal.get("probability")) >= dec(policy["high_probability"])
        and _num(deal.get("days_in_stage")) >= policy["extreme_days_in_stage"]
    )


def _is_at_risk(deal: dict) -> bool:
    return _status(deal) == "active" and len(_deal_flags(deal)) > 0


def _median(values: list[int]) -> Fraction | None:
    """The middle value, or the mean of the two middle values for an even count."""
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return None
    return Fraction(ordered[(n - 1) // 2] + ordered[n // 2], 2)


def _won_summary(deals: list[dict], reps: list[dict], policy: dict, as_of: dt.date) -> dict:
    """Won revenue (metrics.md "Pipeline summary"): sums to date from close dates, the
    reps' recorded year-to-date revenue, the average won deal and the median cycle."""
    from tests.support.oracle_forecast import fiscal_quarter

    start = policy.get("fiscal_year_start_month", 1)
    quarter_start = fiscal_quarter(as_of, start)[0]
    year_start = dt.date(as_of.year - (as_of.month < start), start, 1)
    won = [d for d in deals if _status(d) == "won"]

    def closed_from(first: dt.date) -> Decimal:
        dated = [d for d in won if d.get("close_date") is not None]
        return sum(
            (dec(d.get("deal_value_usd")) for d in dated if first <= d["close_date"] <= as_of),
            Decimal(0),
        )

    value = sum((dec(d.get("deal_value_usd")) for d in won), Decimal(0))
    cycles = [
        (d["close_date"] - d["created_date"]).days
        for d in won
        if d.get("close_date") is not None
        and d.get("created_date") is not None
        and d["close_date"] >= d["created_date"]
    ]
    recorded = [r.get("year_to_date_revenue_usd") for r in rep_rows(reps)]
    known = [dec(v) for v in recorded if v is not None]
    median = _median(cycles)
    return {
        "won_value": cents(value),
        "won_value_quarter_to_date": cents(closed_from(quarter_start)),
        "won_value_year_to_date": cents(closed_from(year_start)),
        "sales_cycle_deals": len(cycles),
        "recorded_year_to_date_revenue": cents(sum(known, Decimal(0))) if known else None,
        "average_won_deal_size": cents(exact_quotient(value, len(won))),
        "median_sales_cycle_days": None if median is None else half_even(median, 2),
    }


def exact_quotient(value: Decimal, count: int) -> Decimal:
    """value / count to 60 digits (0 when count is 0), as the report divides."""
    from decimal import localcontext

    if not count:
        return Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 60
        return value / count


def _pipeline_summary(deals: list[dict], policy: dict) -> dict:
    active = _active(deals)
    won = sum(1 for d in deals if _status(d) == "won")
    lost = sum(1 for d in deals if _status(d) == "lost")

    total_value = Decimal(0)
    weighted_value = Decimal(0)
    for d in active:
        total_value += dec(d.get("deal_value_usd"))
        weighted_value += _weighted(d)

    average = total_value / len(active) if active else Decimal(0)
    win_rate = Fraction(won, won + lost) if won + lost > 0 else Fraction(0)
    return {
        "total_deals": len(deals),
        "active_deals": len(active),
        "won_deals": won,
        "lost_deals": lost,
        "total_pipeline_value": cents(total_value),
        "weighted_pipeline_value": cents(weighted_value),
        "average_deal_size": cents(average),
        "win_rate": half_even(win_rate, 2),
        "stalled_deals_count": sum(1 for d in deals if _is_stalled(d, policy)),
        "at_risk_deals_count": sum(1 for d in deals if _is_at_risk(d)),
    }


REP_FIELDS = (
    "rep_name",
    "quota_usd",
    "year_to_date_revenue_usd",
    "close_rate",
    "quota_3m",
    "closed_won_3m_current",
    "current_pipeline_value",
    "previous_pipeline_value",
    "risk_velocity_flag",
    "risk_score_current",
    "manager_id",
    "team",
    "region",
)
REP_MONEY = (
    "quota_usd",
    "year_to_date_revenue_usd",
    "quota_3m",
    "closed_won_3m_current",
    "current_pipeline_value",
    "previous_pipeline_value",
)


def _content(rep: dict) -> tuple:
    """D4: the rows of one rep_id are ordered by every field, ascending, missing last."""
    return tuple((rep.get(k) is None, rep.get(k) or 0) for k in REP_FIELDS)


def rep_rows(reps: list[dict]) -> list[dict]:
    """One row per distinct non-null rep_id, the first by content (D4), ordered by rep_id."""
    seen: dict[Any, dict] = {}
    for rep in reps:
        rep_id = rep.get("rep_id")
        if rep_id is None:
            continue
        if rep_id not in seen or _content(rep) < _content(seen[rep_id]):
            seen[rep_id] = rep
    return [seen[k] for k in sorted(seen)]


def _ratio(numerator: Any, denominator: Any) -> Fraction | None:
    """numerator / denominator exactly; None unless the denominator is positive (D18)."""
    if numerator is None or denominator is None or not denominator > 0:
        return None
    return exact(numerator) / exact(denominator)


def _achievement(rep: dict) -> float | None:
    return _ratio(rep.get("year_to_date_revenue_usd"), rep.get("quota_usd"))


def _rep_performance_row(rep: dict, deals: list[dict], policy: dict, as_of: dt.date) -> dict:
    from tests.support.oracle_forecast import pace as pace_of

    rep_id = rep.get("rep_id")
    own = [d for d in deals if d.get("rep_id") == rep_id]
    active = _active(own)
    pipeline_value = sum((dec(d.get("deal_value_usd")) for d in active), Decimal(0))

    if rep.get("close_rate") is not None:
        close_rate, source = exact(rep.get("close_rate")), "record"
    else:
        won = sum(1 for d in own if _status(d) == "won")
        lost = sum(1 for d in own if _status(d) == "lost")
        close_rate = Fraction(won, won + lost) if won + lost > 0 else None
        source = "deals" if won + lost > 0 else "none"

    achievement = _achievement(rep)
    pace = pace_of(rep, as_of)
    basis = pace if policy.get("needs_coaching_basis") == "pace" else achievement
    scored = [
        (_weighted(d), _deal_name(d, row))
        for row, d in enumerate(deals, 1)
        if d.get("rep_id") == rep_id and _status(d) == "active"
    ]
    scored.sort(key=lambda item: (-item[0], str(item[1])))
    return {
        "rep_id": rep_id,
        "rep_name": rep.get("rep_name"),
        "active_deals": len(active),
        "pipeline_value": cents(pipeline_value),
        "close_rate": _round_or_none(close_rate, 2),
        "close_rate_source": source,
        "quota_achievement": _round_or_none(achievement, 2),
        "pace": _round_or_none(pace, 2),
        "needs_coaching": basis is not None and basis < exact(policy["needs_coaching_below"]),
        "top_opportunities": [i for _, i in scored[: policy["top_opportunities"]]],
        "won_deals": sum(1 for d in own if _status(d) == "won"),
        "lost_deals": sum(1 for d in own if _status(d) == "lost"),
        "won_value": cents(
            sum((dec(d.get("deal_value_usd")) for d in own if _status(d) == "won"), Decimal(0))
        ),
    }


def pipeline_change(rep: dict) -> float | None:
    """(current - previous) / previous as a ratio; None without a positive previous (D18)."""
    current, previous = rep.get("current_pipeline_value"), rep.get("previous_pipeline_value")
    if current is None:
        return None
    return _ratio(dec(current) - dec(previous), previous) if previous is not None else None


def _trend(rep: dict, band: float) -> str:
    change, limit = pipeline_change(rep), exact(band)
    if change is None:
        return "stable"
    return "improving" if change > limit else "declining" if change < -limit else "stable"


def _attainment(rep: dict) -> Fraction | None:
    ratio = _ratio(rep.get("closed_won_3m_current"), rep.get("quota_3m"))
    return None if ratio is None else ratio * 100


def _velocity_matches(rep: dict, policy: dict) -> bool:
    return fold(rep.get("risk_velocity_flag")) == policy["coaching_risk_velocity"]


def _below_quota(rep: dict, policy: dict) -> bool:
    quota, closed = rep.get("quota_3m"), rep.get("closed_won_3m_current")
    return (
        quota is not None
        and quota > 0
        and closed is not None
        and exact(closed) < exact(quota) * exact(policy["coaching_attainment_below"])
    )


def _trajectory_row(rep: dict, policy: dict) -> dict:
    score = rep.get("risk_score_current")
    return {
        "rep_id": rep.get("rep_id"),
        "rep_name": rep.get("rep_name"),
        "quota_3m": cents(None if rep.get("quota_3m") is None else dec(rep["quota_3m"])),
        "closed_won_3m_current": cents(
            None if rep.get("closed_won_3m_current") is None else dec(rep["closed_won_3m_current"])
        ),
        "quota_attainment_pct": _round_or_none(_attainment(rep), 1),
        "current_pipeline_value": cents(
            None
            if rep.get("current_pipeline_value") is None
            else dec(rep["current_pipeline_value"])
        ),
        "previous_pipeline_value": cents(
            None
            if rep.get("previous_pipeline_value") is None
            else dec(rep["previous_pipeline_value"])
        ),
        "pipeline_trend": _trend(rep, policy["trend_band"]),
        "risk_velocity_flag": fold(rep.get("risk_velocity_flag")),
        "coaching_candidate": _velocity_matches(rep, policy) or _below_quota(rep, policy),
        "benchmark": False,
        "risk_score_current": None if score is None else int(score),
    }


def benchmark_rep_id(rows: list[dict]) -> Any:
    """Highest unrounded closed / quota among reps with quota_3m > 0; ties -> lowest rep_id."""
    best_id, best_ratio = None, None
    for rep in rows:  # already ordered by rep_id, so a later equal ratio never wins
        ratio = _ratio(rep.get("closed_won_3m_current"), rep.get("quota_3m"))
        if ratio is not None and (best_ratio is None or ratio > best_ratio):
            best_ratio, best_id = ratio, rep.get("rep_id")
    return best_id


# --- flags -----------------------------------------------------------------------------
def money_text(value: Any) -> str:
    """$1,234.50, -$100.00: the money a sentence shows, from the exact value."""
    amount = cents(dec(value))
    assert amount is not None
    return f"{'-' if amount < 0 else ''}${abs(amount):,.2f}"


def days_text(value: Any) -> str:
    """Days without a needless .0 (30.0 -> 30, 20.5 -> 20.5)."""
    text = f"{round(float(value or 0), 2):.2f}".rstrip("0").rstrip(".")
    return text


def _deal_name(deal: dict, row: int) -> str:
    """D10: a deal without a deal_id is named "row N" (N counts input rows from 1)."""
    return deal["deal_id"] if deal.get("deal_id") is not None else f"row {row}"


def _rep_name(rep: dict) -> str:
    rep_id = rep["rep_id"]
    return f"Rep {rep_id} ({rep['rep_name']})" if rep.get("rep_name") else f"Rep {rep_id}"


def _flag(rule: str, subject: str, priority: Any, shows: list[str], **observed: Any) -> dict:
    """One expected flag: its subject, its priority (higher first), the texts its sentence
    must contain and the observed values the report must carry."""
    return {
        "rule": rule,
        "subject_id": subject,
        "priority": priority,
        "shows": shows,
        "observed": observed,
    }


def _deal_flags_expected(deals: list[dict], policy: dict) -> list[dict]:
    out = []
    threshold = policy["stalled_deal_days_in_stage"]
    for row, d in enumerate(deals, 1):
        name, value = _deal_name(d, row), dec(d.get("deal_value_usd"))
        common = {"deal_value_usd": cents(value), "rep_id": d.get("rep_id")}
        if _is_stalled(d, policy):
            shows = [
                f"Deal {name}",
                f" {days_text(d.get('days_in_stage'))} days",
                f"the {threshold}-day threshold",
                f"(value {money_text(value)})",
            ]
            days = round(float(_num(d.get("days_in_stage"))), 2)
            out.append(_flag("stalled_deal", name, value, shows, days_in_stage=days, **common))
        if _is_at_risk(d):
            flags = _deal_flags(d)
            noun = "a risk flag" if len(flags) == 1 else f"{len(flags)} risk flags"
            shows = [f"Deal {name} carries {noun}: {', '.join(flags)} (value {money_text(value)})"]
            out.append(
                _flag(
                    "at_risk_deal",
                    name,
                    value,
                    shows,
                    risk_flag_count=len(flags),
                    risk_flags=flags,
                    **common,
                )
            )
        if _is_stale_high_probability(d, policy):
            chance = float(_num(d.get("probability")))
            shows = [
                f"Deal {name}",
                f" after {days_text(d.get('days_in_stage'))} days in its stage",
                f"at or above both {_percent_text(policy['high_probability'])} and "
                f"{policy['extreme_days_in_stage']} days",
                f"(value {money_text(value)})",
            ]
            days = round(float(_num(d.get("days_in_stage"))), 2)
            out.append(
                _flag(
                    "stale_high_probability",
                    name,
                    value,
                    shows,
                    probability=chance,
                    days_in_stage=days,
                    **common,
                )
            )
        if _is_repeatedly_pushed(d, policy):
            pushes = d["close_date_pushes"]
            shows = [
                f"Deal {name}",
                f"had its close date pushed {'once' if pushes == 1 else f'{pushes} times'}",
                f"{d['days_pushed']} days in all",
                f"at or above {policy.get('repeatedly_pushed_at', 2)} pushes",
            ]
            out.append(
                _flag(
                    "repeatedly_pushed",
                    name,
                    value,
                    shows,
                    close_date_pushes=pushes,
                    days_pushed=d["days_pushed"],
                    **common,
                )
            )
    return out


def _is_repeatedly_pushed(d: dict, policy: dict) -> bool:
    """Active, with known close-date pushes (a history gave them: the deal row carries
    ``close_date_pushes``) at or above pipeline.repeatedly_pushed_at (default 2). Without
    a history the pushes are unknown and nothing is flagged (decisions D49)."""
    pushes = d.get("close_date_pushes")
    at = policy.get("repeatedly_pushed_at", 2)
    return _status(d) == "active" and pushes is not None and pushes >= at


def oracle_pushes(changes: list[tuple[str, dt.date, Any, Any]], as_of: dt.date) -> dict:
    """Each deal's (pushes, days pushed, first close date) from a field history's rows
    (deal_id, changed_at, old close date, new close date; dates or None), in input order:
    changes after ``as_of`` are not history; a change to a later date is a push of the days
    between; the first close date is the old value of the deal's first change (by
    changed_at, then input order)."""
    out: dict[str, list] = {}
    ordered = sorted(enumerate(changes), key=lambda item: (item[1][1], item[0]))
    for _, (deal, at, old, new) in ordered:
        if at > as_of:
            continue
        row = out.setdefault(deal, [0, 0, old])
        if old is not None and new is not None and new > old:
            row[0] += 1
            row[1] += (new - old).days
    return {deal: tuple(row) for deal, row in out.items()}


def _percent_text(ratio: float) -> str:
    """0.7 -> "70%" (a policy ratio as the sentence shows it)."""
    return f"{ratio * 100:.10f}".rstrip("0").rstrip(".") + "%"


def _rep_flags_expected(rows: list[dict], policy: dict) -> list[dict]:
    out = []
    benchmark = benchmark_rep_id(rows)
    band = policy["trend_band"]
    for rep in rows:
        name, rep_id = _rep_name(rep), rep["rep_id"]
        achievement = _achievement(rep)
        if achievement is not None and achievement < exact(policy["needs_coaching_below"]):
            shows = [
                f"{name} has achieved",
                f"({money_text(rep['year_to_date_revenue_usd'])} of "
                f"{money_text(rep['quota_usd'])} year to date)",
                "below the 70% threshold",
            ]
            priority = double_ratio(rep["year_to_date_revenue_usd"], rep["quota_usd"])
            assert priority is not None
            out.append(
                _flag("needs_coaching", rep_id, -priority, shows, quota_achievement=achievement)
            )
        attainment = _attainment(rep)
        closed = None
        if attainment is not None:
            closed = (
                f"closed {money_text(rep['closed_won_3m_current'])} of a "
                f"{money_text(rep['quota_3m'])} 3-month quota"
            )
        velocity, below = _velocity_matches(rep, policy), _below_quota(rep, policy)
        if velocity or below:
            shows = [f"{name} is a coaching candidate: "]
            shows += ["risk velocity is increasing"] if velocity else []
            shows += [closed, "below 90%"] if below and closed else []
            out.append(
                _flag(
                    "coaching_candidate",
                    rep_id,
                    -(_double_attainment(rep) or 0.0),
                    shows,
                    velocity_matches=velocity,
                    attainment_below=below,
                )
            )
        if rep_id == benchmark:
            shows = [f"{name} has the highest 3-month quota attainment: {closed}"]
            out.append(_flag("benchmark", rep_id, _double_attainment(rep), shows))
        change = pipeline_change(rep)
        if change is not None and change < -exact(band):
            shows = [
                f"{name}'s pipeline fell",
                f"({money_text(rep['previous_pipeline_value'])} to "
                f"{money_text(rep['current_pipeline_value'])}), more than the 2% band",
            ]
            out.append(
                _flag(
                    "pipeline_declining",
                    rep_id,
                    -_double_change(rep),
                    shows,
                    pipeline_change_pct=change * 100,
                )
            )
    return out


def _double_attainment(rep: dict) -> float | None:
    """closed / quota_3m x 100 as the engine's double (the benchmark's order)."""
    ratio = double_ratio(rep.get("closed_won_3m_current"), rep.get("quota_3m"))
    return None if ratio is None else ratio * 100


def _double_change(rep: dict) -> float:
    current, previous = dec(rep["current_pipeline_value"]), rep["previous_pipeline_value"]
    ratio = double_ratio(current - dec(previous), previous)
    assert ratio is not None
    return ratio * 100


RULE_ORDER = (
    "stalled_deal",
    "at_risk_deal",
    "stale_high_probability",
    "past_close_date",
    "repeatedly_pushed",
    "needs_coaching",
    "coaching_candidate",
    "benchmark",
    "pipeline_declining",
    "low_coverage",
)


def oracle_flags(
    deals: list[dict], reps: list[dict], policy: dict | None = None, as_of: dt.date = AS_OF
) -> list[dict]:
    """Every flag, uncapped, in report order: by rule, then priority (highest first), then
    subject id; flags of one subject that tie on both keep no particular order."""
    from tests.support.oracle_forecast import forecast_flags

    settings = {**DEFAULT_POLICY, **(policy or {})}
    flags = _deal_flags_expected(deals, settings) + _rep_flags_expected(rep_rows(reps), settings)
    flags += forecast_flags(deals, reps, as_of, policy)
    flags.sort(key=lambda f: f["subject_id"])
    flags.sort(key=lambda f: f["priority"], reverse=True)
    flags.sort(key=lambda f: RULE_ORDER.index(f["rule"]))
    return flags


# --- data quality ----------------------------------------------------------------------
def oracle_quality(deals: list[dict], reps: list[dict]) -> dict[str, int]:
    """Each data-quality check's count (checks that find nothing are left out), from the
    definitions in docs/metrics.md."""
    unique = rep_rows(reps)
    known = {r["rep_id"] for r in unique}
    active = _active(deals)
    deal_ids = Counter(d.get("deal_id") for d in deals if d.get("deal_id") is not None)
    rep_ids = Counter(r.get("rep_id") for r in reps if r.get("rep_id") is not None)
    with_rep = [d for d in deals if d.get("rep_id") is not None]
    names: dict[str, set] = {}
    for r in unique:
        if r.get("rep_name") is not None:
            names.setdefault(r["rep_name"].strip().lower(), set()).add(r["rep_id"])
    own_pipeline = {
        rep_id: cents(
            sum(
                (dec(d.get("deal_value_usd")) for d in active if d.get("rep_id") == rep_id),
                Decimal(0),
            )
        )
        for rep_id in known
    }
    statuses_known = any(_status(d) in ("active", "won", "lost") for d in deals)
    counts = {
        "no_deal_joins_rep": len(with_rep)
        if with_rep and unique and not any(d["rep_id"] in known for d in with_rep)
        else 0,
        "no_known_status": len(deals) if deals and not statuses_known else 0,
        "no_deals": 0 if deals else 1,  # the deals input has no rows (metrics.md)
        "duplicate_deal_id": sum(1 for n in deal_ids.values() if n > 1),
        "missing_deal_id": sum(1 for d in deals if d.get("deal_id") is None),
        "unknown_status": sum(1 for d in deals if _status(d) not in ("active", "won", "lost")),
        "missing_value": sum(1 for d in active if d.get("deal_value_usd") is None),
        "missing_probability": sum(1 for d in active if d.get("probability") is None),
        "negative_value": sum(1 for d in deals if dec(d.get("deal_value_usd")) < 0),
        "orphan_deal": sum(1 for d in with_rep if d["rep_id"] not in known),
        "deal_without_rep": len(deals) - len(with_rep),
        "duplicate_rep_id": sum(1 for n in rep_ids.values() if n > 1),
        "duplicate_rep_name": sum(1 for ids in names.values() if len(ids) > 1),
        "missing_rep_id": sum(1 for r in reps if r.get("rep_id") is None),
        "negative_rep_amount": sum(1 for r in unique if any(dec(r.get(k)) < 0 for k in REP_MONEY)),
        "pipeline_mismatch": sum(
            1
            for r in unique
            if r.get("current_pipeline_value") is not None
            and any(d.get("rep_id") == r["rep_id"] for d in deals)
            and cents(dec(r["current_pipeline_value"])) != own_pipeline[r["rep_id"]]
        ),
        "missing_quota": sum(1 for r in unique if not dec(r.get("quota_usd")) > 0),
        "missing_quota_3m": sum(1 for r in unique if not dec(r.get("quota_3m")) > 0),
        "missing_ytd_revenue": sum(1 for r in unique if r.get("year_to_date_revenue_usd") is None),
        "missing_close_rate": sum(1 for r in unique if r.get("close_rate") is None),
        "missing_previous_pipeline": sum(
            1 for r in unique if r.get("previous_pipeline_value") is None
        ),
        # no history of close dates: the active deals' pushes are unknown (D49)
        "pushes_unknown": 0 if any("close_date_pushes" in d for d in deals) else len(active),
    }
    return {k: v for k, v in counts.items() if v}


def oracle_report(
    deals: list[dict], reps: list[dict], policy: dict | None = None, as_of: dt.date = AS_OF
) -> dict:
    """Compute the report sections from canonical deal and rep rows."""
    from tests.support.oracle_forecast import oracle_forecast

    settings = {**DEFAULT_POLICY, **(policy or {})}
    _check_probabilities(deals)

    summary = _pipeline_summary(deals, settings) | _won_summary(deals, reps, settings, as_of)
    rows = rep_rows(reps)
    performance = [_rep_performance_row(rep, deals, settings, as_of) for rep in rows]
    trajectory = [_trajectory_row(rep, settings) for rep in rows]
    benchmark = benchmark_rep_id(rows)
    for row in trajectory:
        row["benchmark"] = benchmark is not None and row["rep_id"] == benchmark

    flag_counts = dict.fromkeys(RULE_ORDER, 0)
    stages: dict[Any, dict] = {}
    for d in _active(deals):
        row = stages.setdefault(
            d.get("stage"),
            {"stage": d.get("stage"), "active_deals": 0, "pipeline_value": Decimal(0)}
            | {"weighted_pipeline_value": Decimal(0)},
        )
        row["active_deals"] += 1
        row["pipeline_value"] += dec(d.get("deal_value_usd"))
        row["weighted_pipeline_value"] += _weighted(d)
    by_stage = [
        {**row, "pipeline_value": cents(row["pipeline_value"])}
        | {"weighted_pipeline_value": cents(row["weighted_pipeline_value"])}
        for row in stages.values()
    ]
    by_stage.sort(key=lambda r: (-r["pipeline_value"], r["stage"] is None, r["stage"] or ""))
    flag_counts.update(Counter(f["rule"] for f in oracle_flags(deals, reps, settings, as_of)))
    return {
        "pipeline_summary": summary,
        "rep_performance": performance,
        "rep_trajectory": trajectory,
        "flag_counts": flag_counts,
        "pipeline_by_stage": by_stage,
        "forecast": oracle_forecast(deals, reps, as_of, policy),
    }
