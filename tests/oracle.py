"""Independent plain-Python reference implementation of the reference metrics (the test oracle).

Written only from DESIGN.md ("Reference metric semantics") and docs/decisions.md, with no
pipereview imports, so the engine can be compared with it on random data. It is deliberately
literal: one loop per figure, double-precision sums in input order, thresholds compared on
unrounded values, and Python ``round`` applied once when the output dict is built.

Inputs are canonical rows (dicts whose keys may be missing or None).
"""

from __future__ import annotations

from typing import Any

DEFAULT_POLICY: dict[str, Any] = {
    "stalled_deal_days_in_stage": 21,
    "needs_coaching_below": 0.7,
    "top_opportunities": 3,
    "trend_band": 0.02,
    "coaching_attainment_below": 0.9,
}


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _num(value: Any) -> float:
    """A deal's numeric field: missing counts as 0 (DESIGN.md, decisions D2)."""
    return 0 if value is None else value


def _status(deal: dict) -> Any:
    """Statuses are trimmed and A-Z lower-cased (DESIGN.md, decisions D16/D19)."""
    status = deal.get("status")
    if not isinstance(status, str):
        return status
    folded = status.strip().translate(_ASCII_LOWER)
    return folded or None


def _round_or_none(value: Any, places: int) -> float | None:
    return None if value is None else round(float(value), places)


def _deal_flags(deal: dict) -> list:
    flags = deal.get("risk_flags")
    return [] if flags is None else list(flags)


def _check_probabilities(deals: list[dict]) -> None:
    """Decision D3: a probability outside [0, 1] stops the run."""
    for index, deal in enumerate(deals):
        p = deal.get("probability")
        if p is not None and not 0 <= p <= 1:
            raise ValueError(f"deal row {index}: probability {p!r} is outside [0, 1]")


def _pipeline_summary(deals: list[dict], policy: dict) -> dict:
    total = len(deals)
    active = [d for d in deals if _status(d) == "active"]
    won = sum(1 for d in deals if _status(d) == "won")
    lost = sum(1 for d in deals if _status(d) == "lost")

    total_value = 0.0
    weighted_value = 0.0
    for d in active:
        total_value += _num(d.get("deal_value_usd"))
        weighted_value += _num(d.get("deal_value_usd")) * _num(d.get("probability"))

    average = total_value / len(active) if active else 0.0
    win_rate = won / (won + lost) if won + lost > 0 else 0.0

    stalled_days = policy["stalled_deal_days_in_stage"]
    stalled = sum(1 for d in active if _num(d.get("days_in_stage")) >= stalled_days)
    at_risk = sum(1 for d in active if len(_deal_flags(d)) > 0)

    return {
        "total_deals": total,
        "active_deals": len(active),
        "won_deals": won,
        "lost_deals": lost,
        "total_pipeline_value": round(float(total_value), 2),
        "weighted_pipeline_value": round(float(weighted_value), 2),
        "average_deal_size": round(float(average), 2),
        "win_rate": round(float(win_rate), 2),
        "stalled_deals_count": stalled,
        "at_risk_deals_count": at_risk,
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


def _content(rep: dict) -> tuple:
    """D4: the rows of one rep_id are ordered by every field, ascending, missing last."""
    return tuple((rep.get(k) is None, rep.get(k) or 0) for k in REP_FIELDS)


def _rep_rows(reps: list[dict]) -> list[dict]:
    """One row per distinct non-null rep_id, the first by content (D4), ordered by rep_id."""
    seen: dict[Any, dict] = {}
    for rep in reps:
        rep_id = rep.get("rep_id")
        if rep_id is None:
            continue
        if rep_id not in seen or _content(rep) < _content(seen[rep_id]):
            seen[rep_id] = rep
    return [seen[k] for k in sorted(seen)]


def _rep_performance_row(rep: dict, deals: list[dict], policy: dict) -> dict:
    rep_id = rep.get("rep_id")
    own = [d for d in deals if d.get("rep_id") == rep_id]
    active = [d for d in own if _status(d) == "active"]

    pipeline_value = 0.0
    for d in active:
        pipeline_value += _num(d.get("deal_value_usd"))

    if rep.get("close_rate") is not None:
        close_rate = rep.get("close_rate")
        source = "record"
    else:
        won = sum(1 for d in own if _status(d) == "won")
        lost = sum(1 for d in own if _status(d) == "lost")
        if won + lost > 0:
            close_rate = won / (won + lost)
            source = "deals"
        else:
            close_rate = None
            source = "none"

    quota = rep.get("quota_usd")
    ytd = rep.get("year_to_date_revenue_usd")
    achievement = None
    if quota is not None and quota > 0 and ytd is not None:
        achievement = ytd / quota
    needs_coaching = achievement is not None and achievement < policy["needs_coaching_below"]

    scored = [
        (_num(d.get("deal_value_usd")) * _num(d.get("probability")), d.get("deal_id"))
        for d in active
    ]
    scored.sort(key=lambda item: (-item[0], str(item[1])))
    top = [deal_id for _, deal_id in scored[: policy["top_opportunities"]]]

    return {
        "rep_id": rep_id,
        "rep_name": rep.get("rep_name"),
        "active_deals": len(active),
        "pipeline_value": round(float(pipeline_value), 2),
        "close_rate": _round_or_none(close_rate, 2),
        "close_rate_source": source,
        "quota_achievement": _round_or_none(achievement, 2),
        "needs_coaching": needs_coaching,
        "top_opportunities": top,
    }


def _trend(current: Any, previous: Any, band: float) -> str:
    """Band and change are ratios; no trend without a positive previous pipeline."""
    if previous is None or not previous > 0 or current is None:
        return "stable"
    change = (current - previous) / previous
    if change > band:
        return "improving"
    if change < -band:
        return "declining"
    return "stable"


def _trajectory_row(rep: dict, policy: dict) -> dict:
    quota = rep.get("quota_3m")
    closed = rep.get("closed_won_3m_current")
    attainment = None
    if quota is not None and quota > 0 and closed is not None:
        attainment = closed / quota * 100

    velocity = rep.get("risk_velocity_flag")
    if velocity is not None:
        # case folding is A-Z only (decisions D16)
        velocity = velocity.strip().translate(_ASCII_LOWER)

    below_quota = (
        quota is not None
        and quota > 0
        and closed is not None
        and closed < quota * policy["coaching_attainment_below"]
    )
    score = rep.get("risk_score_current")
    current = rep.get("current_pipeline_value")
    previous = rep.get("previous_pipeline_value")

    return {
        "rep_id": rep.get("rep_id"),
        "rep_name": rep.get("rep_name"),
        "quota_3m": _round_or_none(quota, 2),
        "closed_won_3m_current": _round_or_none(closed, 2),
        "quota_attainment_pct": _round_or_none(attainment, 1),
        "current_pipeline_value": _round_or_none(current, 2),
        "previous_pipeline_value": _round_or_none(previous, 2),
        "pipeline_trend": _trend(current, previous, policy["trend_band"]),
        "risk_velocity_flag": velocity,
        "coaching_candidate": velocity == "increasing" or below_quota,
        "benchmark": False,
        "risk_score_current": None if score is None else int(score),
    }


def _benchmark_rep_id(rep_rows: list[dict]) -> Any:
    """Highest unrounded closed / quota among reps with quota_3m > 0; ties -> lowest rep_id."""
    best_id = None
    best_ratio = None
    for rep in rep_rows:  # already ordered by rep_id, so a later equal ratio never wins
        quota = rep.get("quota_3m")
        closed = rep.get("closed_won_3m_current")
        if quota is None or not quota > 0 or closed is None:
            continue
        ratio = closed / quota
        if best_ratio is None or ratio > best_ratio:
            best_ratio = ratio
            best_id = rep.get("rep_id")
    return best_id


def oracle_report(deals: list[dict], reps: list[dict], policy: dict | None = None) -> dict:
    """Compute the reference report sections from canonical deal and rep rows."""
    settings = dict(DEFAULT_POLICY)
    settings.update(policy or {})
    _check_probabilities(deals)

    summary = _pipeline_summary(deals, settings)
    rep_rows = _rep_rows(reps)
    performance = [_rep_performance_row(rep, deals, settings) for rep in rep_rows]
    trajectory = [_trajectory_row(rep, settings) for rep in rep_rows]

    benchmark_id = _benchmark_rep_id(rep_rows)
    for row in trajectory:
        row["benchmark"] = benchmark_id is not None and row["rep_id"] == benchmark_id

    flag_counts = {
        "stalled_deal": summary["stalled_deals_count"],
        "at_risk_deal": summary["at_risk_deals_count"],
        "needs_coaching": sum(1 for row in performance if row["needs_coaching"]),
        "coaching_candidate": sum(1 for row in trajectory if row["coaching_candidate"]),
        "benchmark": sum(1 for row in trajectory if row["benchmark"]),
        "pipeline_declining": sum(1 for row in trajectory if row["pipeline_trend"] == "declining"),
    }
    return {
        "pipeline_summary": summary,
        "rep_performance": performance,
        "rep_trajectory": trajectory,
        "flag_counts": flag_counts,
    }
