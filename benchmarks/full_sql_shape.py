"""Shaping for ``full_sql.duckdb_sql_full``: round once and build the report's JSON sections
from the fetched rows (bounded by reps, levels and flagged deals; never by all deals)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from baselines import (
    EXTREME_DAYS,
    HIGH_PROBABILITY,
    MAX_PER_RULE,
    NEEDS_COACHING_BELOW,
    STALLED_DAYS,
)

# Default policy and the benchmark's as-of date (run.py's AS_OF).
AS_OF = dt.date(2026, 11, 20)
FY_START_MONTH = 1
TREND_BAND = 0.02
COACHING_BELOW = 0.9
COACHING_VELOCITY = "increasing"
LOW_COVERAGE_BELOW = 3.0

# --------------------------------------------------------------------------- shaping

CENT = Decimal("0.01")
LEVELS = ("company", "region", "team", "manager", "rep")
SUMMARY_COUNTS = ("total_deals", "active_deals", "won_deals", "lost_deals")
FORECAST_MONEY = ("closed_won", "commit", "best_case", "pipeline", "omitted", "commit_forecast",
                  "best_case_forecast", "open_pipeline")  # fmt: skip


def _m(value: Any) -> float | None:
    """Money: half-even to the cent from the exact decimal."""
    if value is None:
        return None
    return float(Decimal(str(value)).quantize(CENT, ROUND_HALF_EVEN)) + 0.0


def _q(value: Any, places: int = 2) -> float | None:
    """A ratio, percentage or day count: half-even from the exact value."""
    if value is None:
        return None
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)
    return float(exact) + 0.0


def _div(num: Any, den: Any) -> Decimal | None:
    """The exact quotient (50 digits) of two exact parts; None unless both are known."""
    if num is None or den is None or den == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 50
        return Decimal(str(num)) / Decimal(str(den))


def _exact(reps: list[dict], levels: list[dict], per: dict) -> None:
    """Replace the SQL's double ratios (kept there for ordering) by exact quotients."""
    for r in reps:
        ytd, quota, q3 = r["year_to_date_revenue_usd"], r["quota_usd"], r["quota_3m"]
        cur, prev = r["current_pipeline_value"], r["previous_pipeline_value"]
        positive = quota is not None and quota > 0
        r["close_rate"] = (
            r["close_rate"]
            if r["cr_source"] != "deals"
            else _div(r["won_deals"], r["won_deals"] + r["lost_deals"])
        )
        r["achievement"] = _div(ytd, quota) if positive else None
        r["pace"] = (
            _div(ytd * per["days_in_year"], quota * per["days_elapsed"])
            if positive and ytd is not None
            else None
        )
        r["attainment_pct"] = (
            _div(r["closed_won_3m_current"] * 100, q3)
            if q3 is not None and q3 > 0 and r["closed_won_3m_current"] is not None
            else None
        )
        r["change_pct"] = (
            _div((cur - prev) * 100, prev)
            if prev is not None and prev > 0 and cur is not None
            else None
        )
    for x in levels:
        gap = x["gap"] if x["gap"] is not None and x["gap"] > 0 else None
        x["coverage"], x["w_coverage"] = (
            _div(x["open_pipeline"], gap),
            _div(x["weighted_open_pipeline"], gap),
        )


def _usd(value: Any) -> str:
    return "unknown" if value is None else f"{'-' if value < 0 else ''}${abs(float(value)):,.2f}"


def _num(value: Any, places: int) -> str:
    text = f"{float(value):.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _pc(value: Any, ratio: bool = True) -> str:
    return f"{_num(value * 100, 0)}%" if ratio else f"{_num(value, 1)}%"


def _deal_flag(row: dict) -> dict:
    rule, did = row["rule"], row["deal_id"]
    base = {"status": "active", "rep_id": row["rep_id"], "stage": row["stage"]}
    where = f"Deal {did} in stage {row['stage']}"
    tail = f"(value {_usd(row['v'])})."
    if rule == "stalled_deal":
        obs = {"days_in_stage": float(row["days"])}
        thr: dict = {"stalled_deal_days_in_stage": int(STALLED_DAYS)}
        msg = f"{where} has been in its stage {row['days']:.0f} days, at or above the 21-day "
        msg += f"threshold {tail}"
    elif rule == "at_risk_deal":
        flags = list(row["risk_flags"])
        obs, thr = {"risk_flags": flags, "risk_flag_count": len(flags)}, {"min_risk_flags": 1}
        some = "a risk flag" if len(flags) == 1 else f"{len(flags)} risk flags"
        msg = f"Deal {did} carries {some}: {', '.join(flags)} {tail}"
    elif rule == "stale_high_probability":
        obs = {"probability": _q(row["p"]), "days_in_stage": float(row["days"])}
        thr = {"high_probability": HIGH_PROBABILITY, "extreme_days_in_stage": int(EXTREME_DAYS)}
        msg = f"{where} is at {_pc(row['p'])} probability after {row['days']:.0f} days in its "
        msg += f"stage, at or above both 70% and 60 days {tail}"
    else:
        late = (AS_OF - row["close_date"]).days
        obs = {"close_date": str(row["close_date"]), "days_past_close_date": late}
        thr = {"as_of": str(AS_OF)}
        days = f"{late} day{'s' * (late != 1)}"
        msg = f"{where} is still active {days} after its close date {row['close_date']} "
        msg += tail
    observed = {**base, **obs, "deal_value_usd": _m(row["v"])}
    return _flag(rule, "deal", did, "warning", observed, thr, msg)


def _flag(rule: str, kind: str, sid: Any, sev: str, obs: dict, thr: dict, msg: str) -> dict:
    return {"rule": rule, "subject_type": kind, "subject_id": sid, "severity": sev,
            "observed": obs, "thresholds": thr, "message": msg}  # fmt: skip


def _rep_flags(reps: list[dict], cover: dict[str, dict], per: dict) -> dict[str, list[dict]]:
    """The five rep rules over the (bounded) rep rows, each in its documented order."""
    out: dict[str, list[dict]] = {}
    sort_key = lambda v: (v is not None, float(v or 0))  # noqa: E731  (nulls first)

    def name(r: dict) -> str:
        return f"Rep {r['rep_id']} ({r['rep_name']})"

    def closed(r: dict) -> str:
        return (f"closed {_usd(r['closed_won_3m_current'])} of a {_usd(r['quota_3m'])} 3-month "
                f"quota ({_pc(_q(r['attainment_pct'], 1), False)})")  # fmt: skip

    sel = sorted((r for r in reps if r["needs_coaching"]), key=lambda r: sort_key(r["achievement"]))
    out["needs_coaching"] = [
        _flag("needs_coaching", "rep", r["rep_id"], "warning",
              {"rep_name": r["rep_name"], "quota_achievement": _q(r["achievement"]),
               "pace": _q(r["pace"]), "days_elapsed": per["days_elapsed"],
               "days_in_year": per["days_in_year"],
               "year_to_date_revenue_usd": _m(r["year_to_date_revenue_usd"]),
               "quota_usd": _m(r["quota_usd"])},
              {"needs_coaching_below": NEEDS_COACHING_BELOW, "needs_coaching_basis": "annual"},
              f"{name(r)} has achieved {_pc(r['achievement'])} of quota "
              f"({_usd(r['year_to_date_revenue_usd'])} of {_usd(r['quota_usd'])} year to date),"
              f" below the 70% threshold.")
        for r in sel
    ]  # fmt: skip
    sel = [r for r in reps if r["velocity_matches"] or r["attainment_below"]]
    out["coaching_candidate"] = [
        _flag("coaching_candidate", "rep", r["rep_id"], "info",
              {"rep_name": r["rep_name"], "velocity_matches": r["velocity_matches"],
               "attainment_below": r["attainment_below"],
               "risk_velocity_flag": r["risk_velocity_flag"],
               "risk_velocity_source": "none" if r["risk_velocity_flag"] is None else "record",
               "quota_attainment_pct": _q(r["attainment_pct"], 1),
               "closed_won_3m_current": _m(r["closed_won_3m_current"]),
               "quota_3m": _m(r["quota_3m"])},
              {"coaching_risk_velocity": COACHING_VELOCITY,
               "coaching_attainment_below": COACHING_BELOW},
              f"{name(r)} is a coaching candidate: " + "; ".join(
                  (["risk velocity is increasing"] if r["velocity_matches"] else [])
                  + ([f"{closed(r)}, below 90%"] if r["attainment_below"] else [])) + ".")
        for r in sorted(sel, key=lambda r: sort_key(r["attainment_pct"]))
    ]  # fmt: skip
    out["benchmark"] = [
        _flag("benchmark", "rep", r["rep_id"], "info",
              {"rep_name": r["rep_name"], "quota_attainment_pct": _q(r["attainment_pct"], 1),
               "closed_won_3m_current": _m(r["closed_won_3m_current"]),
               "quota_3m": _m(r["quota_3m"])}, {},
              f"{name(r)} has the highest 3-month quota attainment: {closed(r)}.")
        for r in reps if r["benchmark"]
    ]  # fmt: skip
    sel = sorted((r for r in reps if r["trend"] == "declining"), key=lambda r: r["change_pct"])
    out["pipeline_declining"] = [
        _flag("pipeline_declining", "rep", r["rep_id"], "warning",
              {"rep_name": r["rep_name"], "pipeline_change_pct": _q(r["change_pct"], 1),
               "current_pipeline_value": _m(r["current_pipeline_value"]),
               "previous_pipeline_value": _m(r["previous_pipeline_value"]),
               "previous_pipeline_source": "record"}, {"trend_band": TREND_BAND},
              f"{name(r)}'s pipeline fell {_pc(-_q(r['change_pct'], 1), False)} "
              f"({_usd(r['previous_pipeline_value'])} to {_usd(r['current_pipeline_value'])}),"
              f" more than the 2% band.")
        for r in sel
    ]  # fmt: skip
    sel = sorted((r for r in reps if cover[r["rep_id"]]["low_coverage"]),
                 key=lambda r: cover[r["rep_id"]]["coverage"])  # fmt: skip
    out["low_coverage"] = [
        _flag("low_coverage", "rep", r["rep_id"], "warning",
              {"rep_name": r["rep_name"], "period": per["label"], "coverage": _q(c["coverage"]),
               "open_pipeline": _m(c["open_pipeline"]), "gap_to_quota": _m(c["gap"]),
               "quota": _m(c["fq"]), "closed_won": _m(c["closed_won"])},
              {"low_coverage_below": LOW_COVERAGE_BELOW},
              f"{name(r)} has {_usd(c['open_pipeline'])} of open pipeline closing in "
              f"{per['label']} against a {_usd(c['gap'])} gap to quota ({_usd(c['fq'])} quota, "
              f"{_usd(c['closed_won'])} closed won): coverage {_num(c['coverage'], 2)}x, below 3x.")
        for r in sel for c in [cover[r["rep_id"]]]
    ]  # fmt: skip
    return {rule: rows[: MAX_PER_RULE or None] for rule, rows in out.items()} | {
        f"{rule}#total": len(rows) for rule, rows in out.items()
    }


def _level_rows(levels: list[dict]) -> tuple[list[dict], dict[str, list[dict]]]:
    rollups, forecast = [], {lv: [] for lv in LEVELS}
    for x in levels:
        level = LEVELS[x["lo"]]
        names = {"rep": (x["rep_name"], x["parent"]), "manager": (x["m_name"], x["m_parent"])}
        name, parent = names.get(level, (None, None))
        won, lost = x["won_deals"], x["lost_deals"]
        head = {"level": level, "id": x["id"], "name": name, "parent": parent}
        rollups.append({
            **head, "reps": x["reps"], "active_deals": x["active_deals"],
            "pipeline_value": _m(x["pipeline_value"]),
            "weighted_pipeline_value": _m(x["weighted_pipeline_value"]), "won_deals": won,
            "lost_deals": lost, "won_value": _m(x["won_value"]),
            "win_rate": _q(_div(won, won + lost)),
            "quota": _m(x["quota"]), "quota_revenue": _m(x["quota_revenue"] or 0),
            "quota_achievement": _q(_div(x["quota_revenue"], x["quota"])),
            "reps_without_quota": x["reps_without_quota"], "stalled_deals": x["stalled_deals"],
            "at_risk_deals": x["at_risk_deals"]})  # fmt: skip
        rep = level == "rep"
        row = {**head, "team": x["team"] if rep else None, "region": x["region"] if rep else None,
               "reps": x["reps"]}  # fmt: skip
        for key in FORECAST_MONEY:
            row[key] = _m(x[key])
            row[f"{key}_deals"] = x[f"{key}_deals"]
        source = ("record" if x["fq"] is not None else "none") if rep else "reps"
        row |= {"weighted_open_pipeline": _m(x["weighted_open_pipeline"]), "quota": _m(x["fq"]),
                "quota_source": source, "reps_without_quota": x["reps_without_quota"],
                "gap_to_quota": _m(x["gap"]), "coverage": _q(x["coverage"]),
                "weighted_coverage": _q(x["w_coverage"]), "low_coverage": x["low_coverage"],
                "slipped_deals": x["slipped_deals"], "slipped_value": _m(x["slipped_value"]),
                "deals_without_close_date": x["deals_without_close_date"],
                "categorized_by_stage": 0,
                "categorized_by_default": x["categorized_by_default"]}  # fmt: skip
        forecast[level].append(row)
    return rollups, forecast


def _shape(rows: dict[str, list[dict]], per: dict) -> dict:
    """Round once and shape the fetched rows like pipereview's report JSON."""
    s = rows["summary"][0]
    summary = {k: s[k] for k in SUMMARY_COUNTS} | {
        "total_pipeline_value": _m(s["total_pipeline_value"]),
        "weighted_pipeline_value": _m(s["weighted_pipeline_value"]),
        "average_deal_size": _m(_div(s["total_pipeline_value"], s["active_deals"]))
        if s["active_deals"] else 0.0,
        "win_rate": _q(_div(s["won_deals"], s["won_deals"] + s["lost_deals"]))
        if s["won_deals"] + s["lost_deals"] else 0.0,
        "stalled_deals_count": s["stalled_deals_count"],
        "at_risk_deals_count": s["at_risk_deals_count"],
        **{k: _m(s[k]) for k in ("won_value", "won_value_quarter_to_date",
                                 "won_value_year_to_date")},
        "sales_cycle_deals": s["sales_cycle_deals"],
        "recorded_year_to_date_revenue": _m(s["recorded_year_to_date_revenue"]),
        "average_won_deal_size": _m(_div(s["won_value"], s["won_deals"]) or 0),
        "median_sales_cycle_days": _q(s["median_sales_cycle_days"]),
    }  # fmt: skip
    reps = rows["reps"]
    _exact(reps, rows["levels"], per)
    performance = [
        {"rep_id": r["rep_id"], "rep_name": r["rep_name"], "active_deals": r["active_deals"],
         "pipeline_value": _m(r["pipeline_value"]), "close_rate": _q(r["close_rate"]),
         "close_rate_source": r["cr_source"], "quota_achievement": _q(r["achievement"]),
         "pace": _q(r["pace"]), "needs_coaching": r["needs_coaching"],
         "top_opportunities": list(r["top"] or []), "won_deals": r["won_deals"],
         "lost_deals": r["lost_deals"], "won_value": _m(r["won_value"])}
        for r in reps
    ]  # fmt: skip
    trajectory = [
        {"rep_id": r["rep_id"], "rep_name": r["rep_name"], "quota_3m": _m(r["quota_3m"]),
         "closed_won_3m_current": _m(r["closed_won_3m_current"]),
         "quota_attainment_pct": _q(r["attainment_pct"], 1),
         "current_pipeline_value": _m(r["current_pipeline_value"]),
         "previous_pipeline_value": _m(r["previous_pipeline_value"]),
         "previous_pipeline_source": "none" if r["previous_pipeline_value"] is None else "record",
         "pipeline_change_pct": _q(r["change_pct"], 1), "pipeline_trend": r["trend"],
         "risk_velocity_flag": r["risk_velocity_flag"],
         "risk_velocity_source": "none" if r["risk_velocity_flag"] is None else "record",
         "coaching_candidate": r["velocity_matches"] or r["attainment_below"],
         "benchmark": bool(r["benchmark"]),
         "risk_score_current": None if r["risk_score_current"] is None
         else int(r["risk_score_current"])}
        for r in reps
    ]  # fmt: skip
    rollups, forecast = _level_rows(rows["levels"])
    cover = {x["id"]: x for x in rows["levels"] if x["lo"] == 4 and x["reps"]}
    rep_flags = _rep_flags(reps, cover, per)
    deal_totals = {r["rule"]: r["total"] for r in rows["deal_flags"]}
    flags, counts = [], []
    rules = ("stalled_deal", "at_risk_deal", "stale_high_probability", "past_close_date",
             "repeatedly_pushed", "needs_coaching", "coaching_candidate", "benchmark",
             "pipeline_declining", "low_coverage")  # fmt: skip
    for rule in rules:
        if rule in rep_flags:
            listed, total = rep_flags[rule], rep_flags[f"{rule}#total"]
        else:
            listed = [_deal_flag(x) for x in rows["deal_flags"] if x["rule"] == rule]
            total = deal_totals.get(rule, 0)
        flags.extend(listed)
        sev = "info" if rule in ("coaching_candidate", "benchmark") else "warning"
        kind = "deal" if rule not in rep_flags else "rep"
        counts.append({"rule": rule, "subject_type": kind, "severity": sev, "total": total,
                       "shown": len(listed)})  # fmt: skip
    quality = [
        {"check": q["check"], "table": q["tbl"], "severity": q["severity"], "count": q["n"],
         "message": f"{q['n']} {q['tbl'][:-1]} row(s) found by {q['check']}.",
         "examples": [str(e) for e in q["examples"]]}
        for q in sorted(rows["quality"], key=lambda q: (q["tbl"], q["check"])) if q["n"]
    ]  # fmt: skip
    by_month = [
        {"month": str(x["month"])} | {k: (_m(v) if not k.endswith("deals") else v)
                                      for k, v in x.items() if k != "month"}
        for x in rows["by_month"]
    ]  # fmt: skip
    return {
        "as_of": str(AS_OF),
        "currency": "USD",
        "pipeline_summary": summary,
        "rep_performance": performance,
        "rep_trajectory": trajectory,
        "flags": flags,
        "flag_counts": counts,
        "data_quality": quality,
        "pipeline_by_stage": [
            {
                "stage": x["stage"],
                "active_deals": x["active_deals"],
                "pipeline_value": _m(x["pipeline_value"]),
                "weighted_pipeline_value": _m(x["weighted_pipeline_value"]),
            }
            for x in rows["by_stage"]
        ],
        "deal_details": [
            {
                "deal_id": x["deal_id"],
                "rep_id": x["rep_id"],
                "rep_name": x["rep_name"],
                "stage": x["stage"],
                "status": x["status"],
                "deal_value_usd": _m(x["v"]),
                "probability": _q(x["p"], 6),
                "expected_value": _m(x["ev"]),
                "days_in_stage": float(x["days"]),
                "close_date": None if x["close_date"] is None else str(x["close_date"]),
                "risk_flags": list(x["risk_flags"]),
            }
            for x in rows["details"]
        ],
        "forecast": {
            "period": per["label"],
            "period_start": str(per["q_start"]),
            "period_end": str(per["q_end"]),
            "as_of": str(AS_OF),
            "low_coverage_below": LOW_COVERAGE_BELOW,
            "company": forecast["company"][0],
            **{f"by_{lv}": forecast[lv] for lv in LEVELS[1:]},
            "by_close_month": by_month,
        },
        "rollups": rollups,
    }
