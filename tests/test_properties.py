"""Hypothesis: the engine agrees with the plain-Python oracle, and invariants hold.

Values are whole dollars and probabilities have two decimals (like CRM data), so every sum is
exact to the cent and engine and oracle must agree digit for digit (decisions D7).
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipereview.api import build_report
from pipereview.rules import RULES

from .conftest import AS_OF
from .oracle import oracle_report

REP_IDS = ["R1", "R2", "R3", "R4"]
FLAGS = ["no_champion", "budget_cut", "legal_review"]

maybe = lambda strategy: st.one_of(st.none(), strategy)  # noqa: E731

deal = st.fixed_dictionaries(
    {
        "rep_id": maybe(st.sampled_from([*REP_IDS, "R9"])),
        "status": st.sampled_from(["active", "active", "won", "lost", "Won", "open"]),
        "deal_value_usd": maybe(st.integers(0, 200_000).map(float)),
        "probability": maybe(st.integers(0, 100).map(lambda p: p / 100)),
        "days_in_stage": maybe(st.integers(0, 60).map(float)),
        "risk_flags": maybe(st.lists(st.sampled_from(FLAGS), max_size=2)),
    }
)
rep = st.fixed_dictionaries(
    {
        "rep_id": st.sampled_from(REP_IDS),
        "rep_name": maybe(st.sampled_from(["Ann", "Bo", "Cy"])),
        "quota_usd": maybe(st.sampled_from([0.0, 50_000.0, 100_000.0, 200_000.0])),
        "year_to_date_revenue_usd": maybe(st.integers(0, 250_000).map(float)),
        "close_rate": maybe(st.integers(0, 100).map(lambda p: p / 100)),
        "quota_3m": maybe(st.sampled_from([0.0, 10_000.0, 25_000.0, 40_000.0])),
        "closed_won_3m_current": maybe(
            st.sampled_from([0.0, 9_000.0, 10_000.0, 22_500.0, 30_000.0])
        ),
        "current_pipeline_value": maybe(
            st.sampled_from([0.0, 98_000.0, 100_000.0, 102_000.0, 150_000.0])
        ),
        "previous_pipeline_value": maybe(st.sampled_from([0.0, 100_000.0, 50_000.0])),
        "risk_velocity_flag": maybe(st.sampled_from(["increasing", " Increasing ", "stable"])),
        "risk_score_current": maybe(st.integers(0, 1000).map(lambda v: v / 10)),
    }
)
datasets = st.tuples(st.lists(deal, min_size=1, max_size=25), st.lists(rep, min_size=1, max_size=5))
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _with_ids(deals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # a few duplicate ids on purpose: every row counts
    return [{"deal_id": f"D{i if i % 7 else i - 1:03d}", **d} for i, d in enumerate(deals, 1)]


def _report(deals: list[dict[str, Any]], reps: list[dict[str, Any]]) -> dict[str, Any]:
    return build_report(deals, reps, as_of=AS_OF).model_dump(mode="json")


@SETTINGS
@given(datasets)
def test_engine_matches_oracle(data: tuple[list[dict], list[dict]]) -> None:
    deals, reps = _with_ids(data[0]), data[1]
    got, want = _report(deals, reps), oracle_report(deals, reps)
    assert got["pipeline_summary"] == want["pipeline_summary"]
    assert [{k: r[k] for k in want["rep_performance"][0]} for r in got["rep_performance"]] == want[
        "rep_performance"
    ]
    assert [{k: r[k] for k in want["rep_trajectory"][0]} for r in got["rep_trajectory"]] == want[
        "rep_trajectory"
    ]
    assert {c["rule"]: c["total"] for c in got["flag_counts"]} == want["flag_counts"]


@SETTINGS
@given(datasets, st.randoms(use_true_random=False))
def test_invariants(data: tuple[list[dict], list[dict]], rnd: random.Random) -> None:
    deals, reps = _with_ids(data[0]), data[1]
    report = _report(deals, reps)
    summary = report["pipeline_summary"]
    assert summary["weighted_pipeline_value"] <= summary["total_pipeline_value"]
    assert (
        summary["active_deals"] + summary["won_deals"] + summary["lost_deals"]
        <= summary["total_deals"]
    )
    # rep totals + deals outside any rep row = company total
    known = {r["rep_id"] for r in report["rep_performance"]}
    outside = sum(
        (d["deal_value_usd"] or 0)
        for d in deals
        if d["status"] == "active" and d["rep_id"] not in known
    )
    reps_total = sum(r["pipeline_value"] for r in report["rep_performance"])
    assert round(reps_total + outside, 2) == summary["total_pipeline_value"]
    assert (
        sum(r["active_deals"] for r in report["rep_performance"])
        + sum(1 for d in deals if d["status"] == "active" and d["rep_id"] not in known)
        == summary["active_deals"]
    )
    # one row per rep, ordered; at most one benchmark
    ids = [r["rep_id"] for r in report["rep_trajectory"]]
    assert ids == sorted(set(ids))
    assert sum(r["benchmark"] for r in report["rep_trajectory"]) <= 1
    # shuffling the rows changes nothing
    deals2, reps2 = deals[:], reps[:]
    rnd.shuffle(deals2)
    first = {r["rep_id"]: r for r in reversed(reps)}  # keep first-row-wins stable
    reps2 = [first[k] for k in sorted(first)] if len(first) == len(reps) else reps
    assert _report(deals2, reps2) == report


@SETTINGS
@given(datasets)
def test_every_flag_satisfies_its_rule(data: tuple[list[dict], list[dict]]) -> None:
    deals, reps = _with_ids(data[0]), data[1]
    report = _report(deals, reps)
    by_id = {d["deal_id"]: d for d in deals}
    perf = {r["rep_id"]: r for r in report["rep_performance"]}
    traj = {r["rep_id"]: r for r in report["rep_trajectory"]}
    assert {f["rule"] for f in report["flags"]} <= {r.id for r in RULES}
    for flag in report["flags"]:
        o, t, sid = flag["observed"], flag["thresholds"], flag["subject_id"]
        if flag["rule"] == "stalled_deal":
            days = t.get("stalled_deal_days_in_stage")
            assert days is not None and o["days_in_stage"] >= days
            assert any(d["status"] == "active" for d in deals if d["deal_id"] == sid)
        elif flag["rule"] == "at_risk_deal":
            assert o["risk_flag_count"] >= t["min_risk_flags"] == 1
            assert by_id[sid]["status"] == "active" or any(
                d["status"] == "active" for d in deals if d["deal_id"] == sid
            )
        elif flag["rule"] == "needs_coaching":
            assert o["year_to_date_revenue_usd"] / o["quota_usd"] < t["needs_coaching_below"]
            assert o["quota_achievement"] < t["needs_coaching_below"]  # the shown value too
            assert perf[sid]["needs_coaching"]
        elif flag["rule"] == "coaching_candidate":
            assert o["velocity_matches"] or o["attainment_below"]
            if o["attainment_below"]:
                assert o["closed_won_3m_current"] < o["quota_3m"] * t["coaching_attainment_below"]
            assert traj[sid]["coaching_candidate"]
        elif flag["rule"] == "benchmark":
            best = max(
                r["quota_attainment_pct"]
                for r in traj.values()
                if r["quota_attainment_pct"] is not None
            )
            assert o["quota_attainment_pct"] == best
        elif flag["rule"] == "pipeline_declining":
            assert o["current_pipeline_value"] < o["previous_pipeline_value"]
            assert -o["pipeline_change_pct"] > t["trend_band"] * 100
        assert str(o.get("rep_name") or "") in flag["message"] or flag["subject_type"] == "deal"
