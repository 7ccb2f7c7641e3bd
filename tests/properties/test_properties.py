"""Hypothesis: the engine agrees with the plain-Python oracle, and invariants hold.

The strategies produce what real exports hold: missing values, negatives, cents, sub-cent
products on half-cent boundaries, amounts near the $10^14 limit, duplicate deal and rep
ids, unknown and messy statuses, rows without ids and empty tables. Money is compared as
exact ``Decimal`` (model_dump in Python mode), so a float sum or a half-up rounding fails.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipereview.api import build_report
from pipereview.rules import RULES
from tests.conftest import AS_OF
from tests.support.oracle import (
    CENT,
    _deal_name,
    oracle_flags,
    oracle_quality,
    oracle_report,
)

REP_IDS = ["R1", "R2", "R3", "R4"]
FLAGS = ["no_champion", "budget_cut", "legal_review"]

maybe = lambda strategy: st.one_of(st.none(), strategy)  # noqa: E731


def _cents(low: int, high: int) -> st.SearchStrategy[float]:
    return st.integers(low, high).map(lambda c: c / 100)


# Whole dollars (ties between deals), cents (negative too), values near the limit, and
# values on a half cent once multiplied by a probability.
money = st.one_of(
    st.integers(0, 200_000).map(float),
    _cents(-100_000, 20_000_000),
    _cents(9 * 10**15, 10**16 - 6),  # $90T .. just below $100T (a double rounds it up)
    st.sampled_from([0.05, 0.15, 0.25, 2.675, 1.01]),
)
probability = st.one_of(
    st.integers(0, 100).map(lambda p: p / 100),
    st.integers(0, 10_000).map(lambda p: p / 10_000),
    st.sampled_from([0.1, 0.5, 0.3]),
)
days = st.one_of(
    st.integers(0, 90).map(float), st.sampled_from([20.99, 21.0, 21.01, 0.5, 59.99, 60.0])
)
DEAL_FIELDS = {
    "rep_id": maybe(st.sampled_from([*REP_IDS, "R9", "r1"])),
    "status": maybe(
        st.sampled_from(["active", "active", "won", "lost", "Won", " ACTIVE ", "open", ""])
    ),
    "deal_value_usd": maybe(money),
    "probability": maybe(probability),
    "days_in_stage": maybe(days),
    "risk_flags": maybe(st.lists(st.sampled_from(FLAGS), max_size=2)),
    "stage": maybe(st.sampled_from(["Discovery", "Proposal", "discovery", " Proposal"])),
    # around the report's quarter (FY2026-Q4 holds AS_OF, 2026-11-20) and its edges
    "close_date": maybe(
        st.one_of(
            st.dates(dt.date(2026, 6, 1), dt.date(2027, 6, 30)),
            st.sampled_from(
                [
                    *(dt.date(2026, 9, 30), dt.date(2026, 10, 1), dt.date(2026, 11, 19), AS_OF),
                    *(dt.date(2026, 12, 31), dt.date(2027, 1, 1)),
                ]
            ),
        )
    ),
    # a sales cycle of any length, negative too (a close before creation has none)
    "created_date": maybe(st.dates(dt.date(2025, 6, 1), dt.date(2027, 1, 31))),
    "forecast_category": maybe(
        st.sampled_from(
            [
                *("Commit", "Best Case", "Pipeline", "Omitted", "Closed", "Forecast"),
                *(" most likely ", "best_case", "BestCase", "not-forecasted", "bogus", ""),
            ]
        )
    ),
}
deal = st.fixed_dictionaries(DEAL_FIELDS)
rep_money = st.one_of(
    st.sampled_from([0.0, 10_000.0, 25_000.0, 50_000.0, 100_000.0, 200_000.0, -500.0]),
    _cents(-1_000_00, 30_000_000),
)
REP_FIELDS = {
    "rep_id": st.one_of(st.sampled_from(REP_IDS), st.sampled_from(REP_IDS), st.none()),
    "rep_name": maybe(st.sampled_from(["Ann", "Bo", "Cy", " ann"])),
    "quota_usd": maybe(rep_money),
    "year_to_date_revenue_usd": maybe(rep_money),
    "close_rate": maybe(st.integers(0, 100).map(lambda p: p / 100)),
    "quota_3m": maybe(rep_money),
    "closed_won_3m_current": maybe(rep_money),
    "current_pipeline_value": maybe(
        st.one_of(st.sampled_from([0.0, 98_000.0, 100_000.0, 102_000.0]), rep_money)
    ),
    "previous_pipeline_value": maybe(
        st.one_of(st.sampled_from([0.0, 100_000.0, 50_000.0, -100.0]), rep_money)
    ),
    "risk_velocity_flag": maybe(st.sampled_from(["increasing", " Increasing ", "stable"])),
    "risk_score_current": maybe(st.integers(-1000, 1000).map(lambda v: v / 10)),
}
rep = st.fixed_dictionaries(REP_FIELDS)
datasets = st.tuples(st.lists(deal, max_size=25), st.lists(rep, max_size=6))
SETTINGS = settings()  # the profile in conftest.py (40 examples; fewer under mutation)


def _with_ids(deals: list[dict[str, Any]], *, blanks: bool = False) -> list[dict[str, Any]]:
    """Deal ids with a few duplicates on purpose (every row counts) and, with ``blanks``,
    a few rows without an id (named "row N")."""
    out = []
    for i, d in enumerate(deals, 1):
        deal_id = None if blanks and i % 5 == 0 else f"D{i if i % 7 else i - 1:03d}"
        out.append({"deal_id": deal_id, **d})
    return out


def _table(rows: list[dict[str, Any]], columns: list[str]) -> Any:
    """The rows, or an empty table with the columns (a header-only export) when none."""
    return rows or pd.DataFrame(columns=columns)


def _report(deals: list[dict[str, Any]], reps: list[dict[str, Any]]) -> Any:
    deal_table = _table(deals, ["deal_id", *DEAL_FIELDS])
    rep_table = _table(reps, [*REP_FIELDS])
    return build_report(deal_table, rep_table, as_of=AS_OF)


def _pick(rows: list[Any], want: list[dict]) -> list[dict]:
    keys = list(want[0]) if want else []
    return [{k: getattr(r, k) for k in keys} for r in rows]


@SETTINGS
@given(datasets)
def test_engine_matches_oracle(data: tuple[list[dict], list[dict]]) -> None:
    deals, reps = _with_ids(data[0], blanks=True), data[1]
    report, want = _report(deals, reps), oracle_report(deals, reps)
    assert report.pipeline_summary.model_dump() == want["pipeline_summary"]
    assert _pick(report.rep_performance, want["rep_performance"]) == want["rep_performance"]
    assert _pick(report.rep_trajectory, want["rep_trajectory"]) == want["rep_trajectory"]
    assert {c.rule: c.total for c in report.flag_counts} == want["flag_counts"]
    forecast = report.forecast
    assert forecast is not None
    assert _pick([forecast.company], [want["forecast"]["company"]]) == [want["forecast"]["company"]]
    assert _pick(forecast.by_rep, want["forecast"]["by_rep"]) == want["forecast"]["by_rep"]
    by_stage = [s.model_dump() for s in report.pipeline_by_stage]
    assert by_stage == want["pipeline_by_stage"]
    named = {f.subject_id for f in report.flags if f.subject_type == "deal"}
    named |= {i for r in report.rep_performance for i in r.top_opportunities}
    assert sorted({d.deal_id for d in report.deal_details}) == sorted(named)
    rows = Counter(_deal_name(d, i) for i, d in enumerate(deals, 1))
    assert len(report.deal_details) == sum(rows[i] for i in named)  # every row of an id


@SETTINGS
@given(datasets)
def test_flags_match_oracle(data: tuple[list[dict], list[dict]]) -> None:
    """Every flag the oracle expects, in its order, with its values in the evidence and the
    sentence showing them; nothing else."""
    deals, reps = _with_ids(data[0], blanks=True), data[1]
    flags, want = _report(deals, reps).flags, oracle_flags(deals, reps)
    assert [(f.rule, f.subject_id) for f in flags] == [(w["rule"], w["subject_id"]) for w in want]
    # flags of one subject that tie on priority may come in either order: match as multisets
    unmatched = list(want)
    for flag in flags:
        candidates = [
            w for w in unmatched if (w["rule"], w["subject_id"]) == (flag.rule, flag.subject_id)
        ]
        match = [
            w
            for w in candidates
            if _same_evidence(flag.observed, w["observed"])
            and all(text in flag.message for text in w["shows"])
        ]
        assert match, (flag, candidates)
        unmatched.remove(match[0])


# Half the last place each unrounded evidence value is shown to, at least (a compared value
# keeps more decimals when the comparison needs them).
TOLERANCE = {"quota_achievement": 0.005, "pipeline_change_pct": 0.05, "probability": 0.005}


def _same_evidence(got: dict, want: dict) -> bool:
    for key, value in want.items():
        shown = got[key]
        if key in TOLERANCE:
            if shown is None or abs(shown - value) > TOLERANCE[key] * (1 + 1e-9):
                return False
        elif shown != value:
            return False
    return True


@SETTINGS
@given(datasets)
def test_data_quality_matches_oracle(data: tuple[list[dict], list[dict]]) -> None:
    deals, reps = _with_ids(data[0], blanks=True), data[1]
    found = {q.check: q.count for q in _report(deals, reps).data_quality}
    found.pop("absent_column", None)
    assert found == oracle_quality(deals, reps)


@SETTINGS
@given(datasets, st.randoms(use_true_random=False))
def test_invariants(data: tuple[list[dict], list[dict]], rnd: random.Random) -> None:
    # every row has an id here: a row without one is named by its row number, which moves
    deals, reps = _with_ids(data[0]), [r for r in data[1] if r["rep_id"] is not None]
    report = _report(deals, reps)
    summary = report.pipeline_summary
    if not any(d["deal_value_usd"] is not None and d["deal_value_usd"] < 0 for d in deals):
        assert summary.weighted_pipeline_value <= summary.total_pipeline_value
    assert summary.active_deals + summary.won_deals + summary.lost_deals <= summary.total_deals
    # rep totals + deals outside any rep row = company total, to the cent
    known = {r.rep_id for r in report.rep_performance}
    outside = [d for d in deals if (d["status"] or "").strip().lower() == "active"
               and d["rep_id"] not in known]  # fmt: skip
    outside_value = sum((Decimal(repr(d["deal_value_usd"] or 0.0)) for d in outside), Decimal(0))
    reps_total = sum((r.pipeline_value for r in report.rep_performance), Decimal(0))
    # exact when every amount is in cents; each rounded rep total may be half a cent off
    # when some are not (2.675)
    slack = Decimal("0.005") * (len(report.rep_performance) + 1)
    assert abs(reps_total + outside_value - summary.total_pipeline_value) <= slack
    if all(Decimal(repr(d["deal_value_usd"] or 0.0)) % CENT == 0 for d in deals):
        assert reps_total + outside_value == summary.total_pipeline_value
    assert sum(r.active_deals for r in report.rep_performance) + len(outside) == (
        summary.active_deals
    )
    # one row per rep, ordered; at most one benchmark
    ids = [r.rep_id for r in report.rep_trajectory]
    assert ids == sorted(set(ids))
    assert sum(r.benchmark for r in report.rep_trajectory) <= 1
    # shuffling the rows of both inputs changes nothing, to the byte
    deals2, reps2 = deals[:], reps[:]
    rnd.shuffle(deals2)
    rnd.shuffle(reps2)
    assert _report(deals2, reps2).to_json() == report.to_json()


@SETTINGS
@given(datasets)
def test_every_flag_satisfies_its_rule(data: tuple[list[dict], list[dict]]) -> None:
    deals, reps = _with_ids(data[0]), data[1]
    report = _report(deals, reps).model_dump(mode="json")
    perf = {r["rep_id"]: r for r in report["rep_performance"]}
    traj = {r["rep_id"]: r for r in report["rep_trajectory"]}
    assert {f["rule"] for f in report["flags"]} <= {r.id for r in RULES}
    for flag in report["flags"]:
        o, t, sid = flag["observed"], flag["thresholds"], flag["subject_id"]
        if flag["rule"] == "stalled_deal":
            assert o["days_in_stage"] >= t["stalled_deal_days_in_stage"]
            assert o["status"] == "active"
        elif flag["rule"] == "at_risk_deal":
            assert o["risk_flag_count"] >= t["min_risk_flags"] == 1
            assert o["status"] == "active"
        elif flag["rule"] == "stale_high_probability":
            assert o["probability"] >= t["high_probability"] == 0.7
            assert o["days_in_stage"] >= t["extreme_days_in_stage"] == 60
            assert o["status"] == "active"
        elif flag["rule"] == "needs_coaching":
            assert o["year_to_date_revenue_usd"] / o["quota_usd"] < t["needs_coaching_below"]
            assert o["quota_achievement"] < t["needs_coaching_below"]  # the shown value too
            assert perf[sid]["needs_coaching"]
        elif flag["rule"] == "coaching_candidate":
            assert o["velocity_matches"] or o["attainment_below"]
            if o["attainment_below"]:
                assert o["quota_attainment_pct"] < t["coaching_attainment_below"] * 100
            assert traj[sid]["coaching_candidate"]
        elif flag["rule"] == "benchmark":
            best = max(
                r["quota_attainment_pct"]
                for r in traj.values()
                if r["quota_attainment_pct"] is not None
            )
            # the evidence may keep more decimals than the section (never "0%" when not 0)
            assert abs(o["quota_attainment_pct"] - best) <= 0.05
        elif flag["rule"] == "pipeline_declining":
            assert o["current_pipeline_value"] < o["previous_pipeline_value"]
            assert -o["pipeline_change_pct"] > t["trend_band"] * 100
        elif flag["rule"] == "past_close_date":
            assert o["status"] == "active"
            assert o["close_date"] < t["as_of"] == AS_OF.isoformat()
            assert o["days_past_close_date"] > 0
        elif flag["rule"] == "low_coverage":
            assert o["gap_to_quota"] > 0
            assert o["open_pipeline"] / o["gap_to_quota"] < t["low_coverage_below"]
            assert o["coverage"] < t["low_coverage_below"]  # the shown value too
        else:
            raise AssertionError(f"no check for rule {flag['rule']}")
        assert str(o.get("rep_name") or "") in flag["message"] or flag["subject_type"] == "deal"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            maybe(st.decimals(-(10**27), 10**27, places=10, allow_nan=False)),
            maybe(st.integers(-(10**18), 10**18)),
            maybe(st.floats(-1e9, 1e9, allow_nan=False)),
            maybe(st.floats(-1e6, 1e6, allow_nan=False)),
        ),
        max_size=30,
    )
)
def test_rounding_a_column_at_a_time_is_the_one_rule(rows: list[tuple[Any, ...]]) -> None:
    # Arrow rounds money columns half-even from the exact decimal; every value, ties on a
    # half cent and values of 28 integer digits included, must equal Decimal.quantize's.
    import pyarrow as pa

    from pipereview.report.rounding import rounded_rows, row_rounder

    units: dict[str, Any] = {"exact": "usd", "whole": "usd", "pct": "pct", "count": "count"}
    table = pa.table(
        {
            "exact": pa.array([r[0] for r in rows], pa.decimal128(38, 10)),
            "whole": pa.array([r[1] for r in rows], pa.int64()),
            "pct": pa.array([r[2] for r in rows], pa.float64()),
            "count": pa.array([r[3] for r in rows], pa.float64()),
        }
    )
    one_at_a_time = [row_rounder(units)(row) for row in table.to_pylist()]
    got = rounded_rows(table, units)
    assert got == one_at_a_time
    for mine, theirs in zip(got, one_at_a_time, strict=True):
        assert [type(v) for v in mine.values()] == [type(v) for v in theirs.values()]
        for key in ("exact", "whole"):
            if mine[key] is not None:
                assert mine[key].as_tuple().exponent == -2  # cents, as quantize gives
                assert str(mine[key]) == str(theirs[key])  # the same digits and sign
