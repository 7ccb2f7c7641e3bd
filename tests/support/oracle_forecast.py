"""Plain-Python reference for the forecast call, pace and the two flags that come with it
(`past_close_date`, `low_coverage`), written from docs/metrics.md ("Forecast", "Rep
performance", "Flag rules") and D28, with no pipereview imports.

Literal on purpose: one pass over the deals per rep, exact ``Decimal`` sums rounded half-even
to cents once, ratios as exact ``Fraction`` quotients compared with the thresholds as the
decimals the policy spells, rounded half-even once at the end (D35).
Quarters are worked out from the month arithmetic, not from the product's calendar module.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

from tests.support.oracle import (
    _deal_name,
    _flag,
    _ratio,
    _rep_name,
    _status,
    _weighted,
    cents,
    dec,
    double_ratio,
    exact,
    fold,
    half_even,
    money_text,
    rep_rows,
)

# Salesforce and HubSpot spellings, folded and without spaces, underscores and hyphens.
WORDS = {
    "closed": "closed",
    "commit": "commit",
    "forecast": "commit",
    "mostlikely": "best_case",
    "bestcase": "best_case",
    "pipeline": "pipeline",
    "omitted": "omitted",
    "omit": "omitted",
    "notforecasted": "omitted",
}
OPEN = ("commit", "best_case", "pipeline")
CATEGORIES = (*OPEN, "omitted")
MONEY = ("closed_won", *CATEGORIES, "weighted_open_pipeline", "slipped_value")
COUNTS = (
    "closed_won_deals",
    *(f"{c}_deals" for c in CATEGORIES),
    "slipped_deals",
    "deals_without_close_date",
    "categorized_by_stage",
    "categorized_by_default",
    "reps",
    "reps_without_quota",
)
FORECAST_POLICY: dict[str, Any] = {
    "low_coverage_below": 3.0,
    "default_category": "pipeline",
    "category_by_stage": {},
    "fiscal_year_start_month": 1,
}


def _month_start(year: int, month: int) -> dt.date:
    """The first day of month ``month`` counted from January of ``year`` (13 = next January)."""
    return dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def fiscal_quarter(day: dt.date, start_month: int = 1) -> tuple[dt.date, dt.date, str]:
    """First day, last day and label (FY<year it ends in>-Q<n>) of the fiscal quarter."""
    since = (day.month - start_month) % 12  # months since the fiscal year started
    year_start = _month_start(day.year - (1 if day.month < start_month else 0), start_month)
    first = _month_start(year_start.year, year_start.month + since - since % 3)
    last = _month_start(first.year, first.month + 3) - dt.timedelta(days=1)
    year_end = _month_start(year_start.year, year_start.month + 12) - dt.timedelta(days=1)
    return first, last, f"FY{year_end.year}-Q{since // 3 + 1}"


def year_elapsed(day: dt.date, start_month: int = 1) -> Fraction:
    """The share of the fiscal year holding ``day`` passed by the end of ``day``."""
    first = _month_start(day.year - (1 if day.month < start_month else 0), start_month)
    following = _month_start(first.year, first.month + 12)
    return Fraction((day - first).days + 1, (following - first).days)


def pace(rep: dict, as_of: dt.date, start_month: int = 1) -> Fraction | None:
    """YTD revenue / (annual quota x the share of the year elapsed); None without a quota."""
    quota, ytd = rep.get("quota_usd"), rep.get("year_to_date_revenue_usd")
    if quota is None or ytd is None or not quota > 0:
        return None
    return exact(ytd) / (exact(quota) * year_elapsed(as_of, start_month))


def _own_category(deal: dict) -> str | None:
    """The deal's own forecast_category as an open category (``closed`` is not one)."""
    text = fold(deal.get("forecast_category"))
    if text is None:
        return None
    found = WORDS.get(text.replace(" ", "").replace("_", "").replace("-", ""))
    return None if found == "closed" else found


def _stage_category(deal: dict, policy: dict) -> str | None:
    by_stage = {fold(k): v for k, v in policy["category_by_stage"].items()}
    return by_stage.get(fold(deal.get("stage")))


def category(deal: dict, policy: dict) -> str | None:
    """closed (won), the active deal's own, its stage's, or the default; None otherwise."""
    status = _status(deal)
    if status == "won":
        return "closed"
    if status != "active":
        return None
    return _own_category(deal) or _stage_category(deal, policy) or policy["default_category"]


def _zero() -> dict[str, Any]:
    return {**dict.fromkeys(MONEY, Decimal(0)), **dict.fromkeys(COUNTS, 0)}


def _deal_figures(deals: list[dict], policy: dict, as_of: dt.date) -> dict[Any, dict]:
    first, last, _ = fiscal_quarter(as_of, policy["fiscal_year_start_month"])
    rows: dict[Any, dict] = {}
    for deal in deals:
        row = rows.setdefault(deal.get("rep_id"), _zero())
        status, close = _status(deal), deal.get("close_date")
        in_period = close is not None and first <= close <= last
        value = dec(deal.get("deal_value_usd"))
        if status == "won" and in_period:
            row["closed_won"] += value
            row["closed_won_deals"] += 1
        if status != "active":
            continue
        if close is None:
            row["deals_without_close_date"] += 1
        elif close < as_of:
            row["slipped_deals"] += 1
            row["slipped_value"] += value
        if in_period:
            chosen = category(deal, policy)
            row[chosen] += value
            row[f"{chosen}_deals"] += 1
            if chosen in OPEN:
                row["weighted_open_pipeline"] += _weighted(deal)
            if _own_category(deal) is None:
                by_stage = _stage_category(deal, policy) is not None
                row["categorized_by_stage" if by_stage else "categorized_by_default"] += 1
    return rows


def _derived(row: dict, policy: dict) -> dict:
    """The cumulative roll-ups, gap, coverage and low_coverage of one row's sums."""
    out = dict(row)
    out["commit_forecast"] = row["closed_won"] + row["commit"]
    out["best_case_forecast"] = out["commit_forecast"] + row["best_case"]
    out["open_pipeline"] = row["commit"] + row["best_case"] + row["pipeline"]
    out["commit_forecast_deals"] = row["closed_won_deals"] + row["commit_deals"]
    out["best_case_forecast_deals"] = out["commit_forecast_deals"] + row["best_case_deals"]
    out["open_pipeline_deals"] = sum(row[f"{c}_deals"] for c in OPEN)
    gap = None if row["quota"] is None else row["quota"] - row["closed_won"]
    out["gap_to_quota"] = gap
    out["coverage"] = _ratio(out["open_pipeline"], gap)
    out["weighted_coverage"] = _ratio(row["weighted_open_pipeline"], gap)
    out["low_coverage"] = out["coverage"] is not None and (
        out["coverage"] < exact(policy["low_coverage_below"])
    )
    return out


def _coverage_shown(raw: Fraction | None, below: float) -> float | None:
    """Coverage as docs/metrics.md shows it: 2 places, or as many more as it takes to read
    on the same side of ``below`` as the exact value, and never 0 when it is not."""
    if raw is None:
        return None
    limit = exact(below)
    for places in range(2, 40):
        shown = half_even(raw, places)
        if (exact(shown) < limit) == (raw < limit) and (shown != 0 or raw == 0):
            return shown
    raise AssertionError(raw)


def _rounded(row: dict, below: float = FORECAST_POLICY["low_coverage_below"]) -> dict:
    """The row as the report's ForecastRow shows it: money in cents, ratios to 2 places
    (coverage with the decimals above)."""
    out = {k: v for k, v in row.items() if k not in ("in_reps", "rep_name")}
    if "rep_name" in row:
        out["name"] = row["rep_name"]
    for key in (*MONEY, "quota", "commit_forecast", "best_case_forecast", "open_pipeline"):
        out[key] = cents(row[key])
    out["gap_to_quota"] = cents(row["gap_to_quota"])
    out["coverage"] = _coverage_shown(row["coverage"], below)
    out["weighted_coverage"] = (
        None if row["weighted_coverage"] is None else half_even(row["weighted_coverage"], 2)
    )
    return out


def forecast_rows(
    deals: list[dict], reps: list[dict], as_of: dt.date, policy: dict | None = None
) -> tuple[dict, list[dict]]:
    """The company row and the rep rows (unrounded): every rep of the reps input, every
    rep_id found only in the deals, and None for deals without a rep, ordered by id with
    None last."""
    settings = {**FORECAST_POLICY, **(policy or {})}
    found = _deal_figures(deals, settings, as_of)
    rows: dict[Any, dict] = {}
    for rep in rep_rows(reps):
        row = found.get(rep["rep_id"], _zero())
        quota = None if rep.get("quota_usd") is None else dec(rep["quota_usd"]) * Decimal("0.25")
        row |= {"quota": quota, "reps": 1, "reps_without_quota": 0 if quota and quota > 0 else 1}
        rows[rep["rep_id"]] = row | {"rep_name": rep.get("rep_name"), "in_reps": True}
    for key, row in found.items():
        if key not in rows:
            rows[key] = row | {"quota": None, "rep_name": None, "in_reps": False}
    company = _zero()
    for row in rows.values():
        for key in (*MONEY, *COUNTS):
            company[key] += row[key]
    # a missing, zero or negative quota adds nothing to a level
    quotas = [row["quota"] for row in rows.values() if (row["quota"] or 0) > 0]
    company["quota"] = sum(quotas, Decimal(0)) if quotas else None
    order = sorted(rows, key=lambda k: (k is None, k or ""))
    by_rep = [{"id": key, **_derived(rows[key], settings)} for key in order]
    return _derived(company, settings), by_rep


def oracle_forecast(
    deals: list[dict], reps: list[dict], as_of: dt.date, policy: dict | None = None
) -> dict:
    """The forecast section's company and rep rows, rounded as the report shows them."""
    company, by_rep = forecast_rows(deals, reps, as_of, policy)
    below = {**FORECAST_POLICY, **(policy or {})}["low_coverage_below"]
    return {
        "company": _rounded(company, below),
        "by_rep": [_rounded(row, below) for row in by_rep],
    }


def forecast_flags(
    deals: list[dict], reps: list[dict], as_of: dt.date, policy: dict | None = None
) -> list[dict]:
    """past_close_date (one per slipped active deal row) and low_coverage (one per rep of
    the reps input whose coverage is below the threshold) flags, unordered."""
    settings = {**FORECAST_POLICY, **(policy or {})}
    out = []
    for row, deal in enumerate(deals, 1):
        close = deal.get("close_date")
        if _status(deal) != "active" or close is None or not close < as_of:
            continue
        name, value = _deal_name(deal, row), dec(deal.get("deal_value_usd"))
        days = (as_of - close).days
        shows = [
            f"Deal {name}",
            f"is still active {days} {'day' if days == 1 else 'days'} after its close date "
            f"{close.isoformat()} (value {money_text(value)})",
        ]
        out.append(
            _flag(
                "past_close_date",
                name,
                value,
                shows,
                close_date=close.isoformat(),
                days_past_close_date=days,
                deal_value_usd=cents(value),
            )
        )
    _, by_rep = forecast_rows(deals, reps, as_of, settings)
    names = {rep["rep_id"]: rep for rep in rep_rows(reps)}
    _, _, label = fiscal_quarter(as_of, settings["fiscal_year_start_month"])
    for row in by_rep:
        if not row["in_reps"] or not row["low_coverage"]:
            continue
        shows = [
            f"{_rep_name(names[row['id']])} has {money_text(row['open_pipeline'])} of open "
            f"pipeline closing in {label} against a {money_text(row['gap_to_quota'])} gap to "
            f"quota ({money_text(row['quota'])} quota, {money_text(row['closed_won'])} "
            "closed won)"
        ]
        out.append(
            _flag(
                "low_coverage",
                row["id"],
                -(double_ratio(row["open_pipeline"], row["gap_to_quota"]) or 0.0),
                shows,
                open_pipeline=cents(row["open_pipeline"]),
                gap_to_quota=cents(row["gap_to_quota"]),
                period=label,
            )
        )
    return out
