"""pipereview.compat: the reference signatures, with hand-computed values."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pipereview import compat

DEALS = [
    {"deal_id": 11, "rep_id": 2, "status": "active", "deal_value_usd": 1000, "probability": 0.5,
     "days_in_stage": 30},
    {"deal_id": 12, "rep_id": 2, "status": "won", "deal_value_usd": 400, "probability": 1.0},
    {"rep_id": 1, "status": "active", "deal_value_usd": 3000, "probability": 0.2},
]  # fmt: skip
REPS = [
    {"rep_id": 2, "rep_name": "Bo", "quota_usd": 1000, "year_to_date_revenue_usd": 500},
    {"rep_id": 1, "rep_name": "Ann", "quota_usd": 1000, "year_to_date_revenue_usd": 900},
]


def test_pipeline_summary_with_flat_thresholds() -> None:
    summary = compat.build_pipeline_summary(DEALS, {"stalled_deal_days_in_stage": 30})
    assert summary == {
        "total_deals": 3,
        "active_deals": 2,
        "won_deals": 1,
        "lost_deals": 0,
        "total_pipeline_value": 4000.0,  # 1000 + 3000
        "weighted_pipeline_value": 1100.0,  # 500 + 600
        "average_deal_size": 2000.0,
        "win_rate": 1.0,
        "stalled_deals_count": 1,  # 30 >= 30
        "at_risk_deals_count": 0,
    }


def test_rep_rows_keep_the_given_order_and_id_values() -> None:
    rows = compat.build_rep_performance_summary(DEALS, REPS)
    assert [(r["rep_id"], r["rep_name"]) for r in rows] == [(2, "Bo"), (1, "Ann")]
    bo, ann = rows
    assert (bo["active_deals"], bo["pipeline_value"], bo["close_rate"]) == (1, 1000, 1.0)
    assert bo["top_opportunities"] == [11]  # the caller's id, not "11"
    assert (bo["quota_achievement"], bo["needs_coaching"]) == (0.5, True)
    assert ann["top_opportunities"] == ["#3"]  # a deal without an id: its position
    assert (ann["quota_achievement"], ann["needs_coaching"]) == (0.9, False)
    # the reference keys only: no pace (it needs a report date, which these do not take)
    assert list(bo) == [
        "rep_id",
        "rep_name",
        "active_deals",
        "pipeline_value",
        "close_rate",
        "close_rate_source",
        "quota_achievement",
        "needs_coaching",
        "top_opportunities",
    ]


def test_a_rep_given_twice_gets_a_row_each_time() -> None:
    reps = [{"rep_id": 7, "quota_3m": 100, "closed_won_3m_current": 50}] * 2
    rows = compat.build_rep_performance(reps)
    assert [(r["rep_id"], r["quota_attainment_pct"], r["benchmark"]) for r in rows] == [
        (7, 50.0, True),
        (7, 50.0, True),
    ]


# --- the reference functions, and compat as a drop-in for them -------------------------------
# The reference functions are not in this repository; these are written literally from
# DESIGN.md ("Reference metric semantics"): plain loops over lists of dicts, floats, round()
# to 2 places (1 for the attainment percent), missing values as 0 and a missing quota as 1.
# compat must return the same keys with the same types (float money and ratios, int counts)
# and the same values wherever pipereview does not differ on purpose (a missing or zero
# quota, a close rate computed from deals: the test data has neither).
def ref_build_pipeline_summary(deals, thresholds=None):  # type: ignore[no-untyped-def]
    stalled_days = (thresholds or {}).get("stalled_deal_days_in_stage", 21)
    active = [d for d in deals if d.get("status") == "active"]
    won = [d for d in deals if d.get("status") == "won"]
    lost = [d for d in deals if d.get("status") == "lost"]
    total = sum(d.get("deal_value_usd", 0) for d in active)
    weighted = sum(d.get("deal_value_usd", 0) * d.get("probability", 0) for d in active)
    return {
        "total_deals": len(deals),
        "active_deals": len(active),
        "won_deals": len(won),
        "lost_deals": len(lost),
        "total_pipeline_value": round(float(total), 2),
        "weighted_pipeline_value": round(float(weighted), 2),
        "average_deal_size": round(total / len(active), 2) if active else 0.0,
        "win_rate": round(len(won) / (len(won) + len(lost)), 2) if won or lost else 0.0,
        "stalled_deals_count": sum(1 for d in active if d.get("days_in_stage", 0) >= stalled_days),
        "at_risk_deals_count": sum(1 for d in active if d.get("risk_flags")),
    }


def ref_build_rep_performance_summary(deals, sales_reps):  # type: ignore[no-untyped-def]
    rows = []
    for rep in sales_reps:
        mine = [d for d in deals if d.get("rep_id") == rep["rep_id"]]
        active = [d for d in mine if d.get("status") == "active"]
        achievement = rep.get("year_to_date_revenue_usd", 0) / (rep.get("quota_usd") or 1)
        ranked = sorted(
            active,
            key=lambda d: (-d.get("deal_value_usd", 0) * d.get("probability", 0), d["deal_id"]),
        )
        rows.append(
            {
                "rep_id": rep["rep_id"],
                "rep_name": rep.get("rep_name"),
                "active_deals": len(active),
                "pipeline_value": round(float(sum(d.get("deal_value_usd", 0) for d in active)), 2),
                "close_rate": rep.get("close_rate"),
                "quota_achievement": round(achievement, 2),
                "needs_coaching": achievement < 0.7,
                "top_opportunities": [d["deal_id"] for d in ranked[:3]],
            }
        )
    return rows


def ref_build_rep_performance(sales_reps):  # type: ignore[no-untyped-def]
    rows = []
    for rep in sales_reps:
        quota, closed = rep.get("quota_3m", 0), rep.get("closed_won_3m_current", 0)
        current = rep.get("current_pipeline_value", 0)
        previous = rep.get("previous_pipeline_value", 0)
        change = (current - previous) / previous * 100 if previous else 0
        trend = "improving" if change > 2 else "declining" if change < -2 else "stable"
        velocity = (rep.get("risk_velocity_flag") or "").strip().lower()
        rows.append(
            {
                "rep_id": rep["rep_id"],
                "rep_name": rep.get("rep_name"),
                "quota_3m": quota,
                "closed_won_3m_current": closed,
                "quota_attainment_pct": round(closed / (quota or 1) * 100, 1),
                "current_pipeline_value": current,
                "previous_pipeline_value": previous,
                "pipeline_trend": trend,
                "risk_velocity_flag": velocity,
                "coaching_candidate": velocity == "increasing"
                or (quota > 0 and closed < 0.9 * quota),
                "risk_score_current": int(rep.get("risk_score_current", 0)),
            }
        )
    best = max(rows, key=lambda r: (r["quota_attainment_pct"], [-ord(c) for c in r["rep_id"]]))
    for row in rows:
        row["benchmark"] = row is best
    return rows


REF_DEALS = [
    {"deal_id": "D1", "rep_id": "R1", "status": "active", "deal_value_usd": 1000.3,
     "probability": 0.5, "days_in_stage": 30, "risk_flags": ["no_champion"]},
    {"deal_id": "D2", "rep_id": "R1", "status": "active", "deal_value_usd": 250.1,
     "probability": 0.8, "days_in_stage": 3, "risk_flags": []},
    {"deal_id": "D3", "rep_id": "R2", "status": "won", "deal_value_usd": 400.0,
     "probability": 1.0, "days_in_stage": 0, "risk_flags": []},
    {"deal_id": "D4", "rep_id": "R2", "status": "lost", "deal_value_usd": 99.99,
     "probability": 0.0, "days_in_stage": 12, "risk_flags": []},
    {"deal_id": "D5", "rep_id": "R2", "status": "active", "deal_value_usd": 3000.3,
     "probability": 0.2, "days_in_stage": 21, "risk_flags": []},
]  # fmt: skip
REF_REPS = [
    {"rep_id": "R2", "rep_name": "Bo", "quota_usd": 10000.0, "year_to_date_revenue_usd": 7500.5,
     "close_rate": 0.5, "quota_3m": 3000.0, "closed_won_3m_current": 2500.75,
     "current_pipeline_value": 12000.4, "previous_pipeline_value": 10000.0,
     "risk_velocity_flag": "Stable", "risk_score_current": 3},
    {"rep_id": "R1", "rep_name": "Ann", "quota_usd": 20000.0, "year_to_date_revenue_usd": 9000.0,
     "close_rate": 0.25, "quota_3m": 4000.0, "closed_won_3m_current": 3900.0,
     "current_pipeline_value": 5000.0, "previous_pipeline_value": 5050.0,
     "risk_velocity_flag": " increasing ", "risk_score_current": 8},
]  # fmt: skip


def _typed(value: Any) -> Any:
    """A value with its type, lists and dicts element by element."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)


def _same_as_reference(got: dict[str, Any], want: dict[str, Any]) -> None:
    """The reference's keys, each with the reference's value and type (pipereview adds keys
    of its own, such as close_rate_source)."""
    assert _typed({k: got[k] for k in want}) == _typed(want)


def test_pipeline_summary_is_the_reference() -> None:
    got = compat.build_pipeline_summary(REF_DEALS)
    _same_as_reference(got, ref_build_pipeline_summary(REF_DEALS))
    # 1000.3 + 250.1 + 3000.3 = 4250.7; 500.15 + 200.08 + 600.06 = 1300.29
    assert (got["total_pipeline_value"], got["weighted_pipeline_value"]) == (4250.7, 1300.29)
    json.dumps(got)  # plain JSON types
    assert got["total_pipeline_value"] * 1.1 == 4250.7 * 1.1
    flat = compat.build_pipeline_summary(REF_DEALS, {"stalled_deal_days_in_stage": 30})
    _same_as_reference(
        flat, ref_build_pipeline_summary(REF_DEALS, {"stalled_deal_days_in_stage": 30})
    )


def test_rep_performance_summary_is_the_reference() -> None:
    got = compat.build_rep_performance_summary(REF_DEALS, REF_REPS)
    want = ref_build_rep_performance_summary(REF_DEALS, REF_REPS)
    assert len(got) == len(want) == 2
    for row, ref in zip(got, want, strict=True):
        _same_as_reference(row, ref)
    json.dumps(got)


def test_rep_performance_is_the_reference() -> None:
    got = compat.build_rep_performance(REF_REPS)
    want = ref_build_rep_performance(REF_REPS)
    assert len(got) == len(want) == 2
    for row, ref in zip(got, want, strict=True):
        _same_as_reference(row, ref)
    json.dumps(got)
    bo = got[0]
    assert bo["quota_3m"] * 1.1 == 3000.0 * 1.1  # the example: a float, not a Decimal


_cents = st.integers(0, 10_000_000).map(lambda c: c / 100)


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "rep_id": st.sampled_from(["R1", "R2", "R3"]),
                "status": st.sampled_from(["active", "won", "lost", "open"]),
                "deal_value_usd": _cents,
                "probability": st.integers(0, 100).map(lambda p: p / 100),
                "days_in_stage": st.integers(0, 60),
                "risk_flags": st.lists(st.just("late"), max_size=1),
            }
        ),
        max_size=8,
    ),
    st.lists(_cents.filter(lambda v: v > 0), min_size=2, max_size=2),
)
@settings(max_examples=10)  # two reports per example; the types are the same at every size
def test_compat_types_are_the_reference_types(
    deals: list[dict[str, Any]], quotas: list[float]
) -> None:
    # every value has the reference's type whatever the data (a summary without active deals,
    # a rep without deals); counts agree exactly, money within the reference's float error
    deals = [{**d, "deal_id": f"D{i}"} for i, d in enumerate(deals)]
    reps = [{**rep, "quota_usd": q} for rep, q in zip(REF_REPS, quotas, strict=True)]
    pairs = [(compat.build_pipeline_summary(deals), ref_build_pipeline_summary(deals))]
    pairs += zip(
        compat.build_rep_performance_summary(deals, reps),
        ref_build_rep_performance_summary(deals, reps),
        strict=True,
    )
    for got, want in pairs:
        for key, value in want.items():
            assert type(got[key]) is type(value), key
            if isinstance(value, float) and key != "close_rate":
                assert abs(got[key] - value) <= 0.01 + 1e-9, key  # a cent, plus float error
            elif key != "top_opportunities":  # ties of value x probability: exact vs doubles
                assert got[key] == value, key
