"""Thresholds compare exact values (decisions D35): a value exactly on a threshold is on it,
whatever a double quotient says, for every built-in rule and for user rules; a reported
ratio is the exact quotient rounded once; a sentence's comparison is always true; and no
-0.0 reaches the JSON.

The hand cases were found by searching for values whose double arithmetic crosses the
threshold (each comment gives the double the old code computed). The property draws
values on and around every threshold of every rule and judges them with ``Fraction``.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pipereview.api import build_report
from pipereview.rules.base import number, percent

AS_OF = dt.date(2026, 11, 20)  # fiscal FY2026-Q4: 2026-10-01..12-31; day 324 of 365
CLOSE = "2026-12-15"  # in the report's quarter


def _rep(rep_id: str, **values: Any) -> dict[str, Any]:
    return {"rep_id": rep_id, "rep_name": f"Rep {rep_id}", **values}


def _deal(deal_id: str, rep_id: str, value: str, **values: Any) -> dict[str, Any]:
    return {"deal_id": deal_id, "rep_id": rep_id, "status": "active", "deal_value_usd": value,
            "probability": "0.5", "days_in_stage": 1, "close_date": CLOSE} | values  # fmt: skip


def _report(deals: list[dict[str, Any]], reps: list[dict[str, Any]], **policy: Any) -> Any:
    return build_report(deals or [_deal("D0", "R9", "1")], reps, as_of=AS_OF, policy=policy)


def _fired(report: Any, rule: str) -> dict[str, Any]:
    return {f.subject_id: f for f in report.flags if f.rule == rule}


# --- the examples, by hand ---------------------------------------------------------
def test_achievement_exactly_on_the_threshold_is_not_below_it() -> None:
    # 12257.63 / 17510.9 = 0.7 exactly (the double quotient was 0.6999999999999998, so the
    # rep was flagged "70% ... below the 70% threshold")
    report = _report([], [_rep("R1", quota_usd="17510.9", year_to_date_revenue_usd="12257.63")])
    assert "R1" not in _fired(report, "needs_coaching")
    assert report.rep_performance[0].quota_achievement == 0.7
    assert report.rep_performance[0].needs_coaching is False


def test_closed_exactly_at_ninety_percent_is_not_a_coaching_candidate() -> None:
    # 471773.268 = 0.9 x 524192.52 exactly (in doubles closed < quota x 0.9 held)
    rep = _rep("R1", quota_3m="524192.52", closed_won_3m_current="471773.268")
    report = _report([], [rep])
    assert "R1" not in _fired(report, "coaching_candidate")
    assert report.rep_trajectory[0].quota_attainment_pct == 90.0


def test_open_pipeline_exactly_three_times_the_gap_is_not_low_coverage() -> None:
    # quota 899896.92 a year: 224974.23 this quarter; open 674922.69 = 3 x the gap exactly
    # (the double quotient was 2.9999999999999996: "coverage": 2.9999999999999996 and
    # "low_coverage": true, "coverage 3x, below 3x")
    report = _report([_deal("D1", "R1", "674922.69")], [_rep("R1", quota_usd="899896.92")])
    (row,) = [r for r in report.forecast.by_rep if r.id == "R1"]
    assert (row.coverage, row.low_coverage) == (3.0, False)
    assert '"coverage": 3.0,' in report.to_json()
    assert "R1" not in _fired(report, "low_coverage")
    one_cent_less = _report([_deal("D1", "R1", "674922.68")], [_rep("R1", quota_usd="899896.92")])
    flag = _fired(one_cent_less, "low_coverage")["R1"]
    # 674922.68 / 224974.23 = 2.99999995555...: shown with the places that keep it below 3
    assert flag.observed["coverage"] == 2.99999996
    assert "coverage 2.99999996x, below 3x" in flag.message


def test_a_pipeline_change_exactly_on_the_band_is_stable() -> None:
    # 19923.988 = 0.98 x 20330.6 and 20737.212 = 1.02 x 20330.6 exactly (the double
    # quotients were -0.020000000000000004 and 0.020000000000000004: declining, improving)
    reps = [
        _rep("R1", previous_pipeline_value="20330.6", current_pipeline_value="19923.988"),
        _rep("R2", previous_pipeline_value="20330.6", current_pipeline_value="20737.212"),
    ]
    report = _report([], reps)
    assert [r.pipeline_trend for r in report.rep_trajectory] == ["stable", "stable"]
    assert [r.pipeline_change_pct for r in report.rep_trajectory] == [-2.0, 2.0]
    assert not _fired(report, "pipeline_declining")


def test_the_benchmark_ties_on_exact_attainment() -> None:
    # R1 12257.63 / 17510.9 and R2 70 / 100 are both exactly 70%: the lowest rep_id wins
    # (the doubles 0.6999999999999998 < 0.7 gave it to R2)
    reps = [
        _rep("R1", quota_3m="17510.9", closed_won_3m_current="12257.63"),
        _rep("R2", quota_3m="100", closed_won_3m_current="70"),
    ]
    report = _report([], reps)
    assert [r.benchmark for r in report.rep_trajectory] == [True, False]


def test_user_rules_compare_exactly() -> None:
    rules = [
        {"id": "low_ach", "subject": "rep", "when": "quota_achievement < 0.7", "message": "m"},
        {"id": "low_open", "subject": "rep", "when": "open_pipeline < 3 * gap_to_quota",
         "message": "m"},
        {"id": "low_cov", "subject": "rep", "when": "coverage < 3", "message": "{coverage}x"},
        {"id": "ev", "subject": "deal", "when": "deal_value_usd * probability >= 337461.345",
         "message": "m"},
    ]  # fmt: skip
    reps = [_rep("R1", quota_usd="899896.92"),
            _rep("R2", quota_usd="17510.9", year_to_date_revenue_usd="12257.63")]  # fmt: skip
    report = _report([_deal("D1", "R1", "674922.69")], reps, rules=rules)
    assert set(_fired(report, "low_ach")) == set()  # R1 has no YTD; R2 is exactly 0.7
    # R1's pipeline is exactly 3 x its gap; R2 has none against a 4377.725 gap
    assert set(_fired(report, "low_open")) == set(_fired(report, "low_cov")) == {"R2"}
    assert _fired(report, "low_cov")["R2"].message == "0x"
    assert "D1" in _fired(report, "ev")  # 674922.69 x 0.5 = 337461.345 exactly


def test_no_negative_zero_in_the_json() -> None:
    # a fall of 0.000001%: the percent rounds to zero, and was written "-0.0"
    reps = [_rep("R1", previous_pipeline_value="1000000", current_pipeline_value="999999.99",
                 quota_3m="100", closed_won_3m_current="-0.0001")]  # fmt: skip
    deals = [_deal("D1", "R1", "-0.001"), _deal("D2", "R1", "0", probability="0")]
    text = _report(deals, reps).to_json()
    assert "-0.0," not in text and "-0.0\n" not in text and "-0.0}" not in text
    data = json.loads(text)
    assert data["rep_trajectory"][0]["pipeline_change_pct"] == 0.0
    assert data["rep_trajectory"][0]["quota_attainment_pct"] == 0.0


# --- the property: on and around every threshold ------------------------------------------
L, N = 365, 324  # AS_OF is day 324 of a 365-day fiscal year (pace's basis)
THRESHOLDS = {
    "needs_coaching_below": ["0.7", "0.65", "0.333"],
    "coaching_attainment_below": ["0.9", "0.85", "0.125"],
    "trend_band": ["0.02", "0.05", "0.125"],
    "low_coverage_below": ["3", "2.5", "1.25"],
    "high_probability": ["0.7", "0.65", "0.123456"],
}
OFFSETS = st.sampled_from(["0", "0", "0", "0.0001", "-0.0001", "0.01", "-0.01", "1", "-1"])
USER_RULES = {
    "u_ach": ("rep", "quota_achievement < {needs_coaching_below}"),
    "u_pace": ("rep", "pace >= {needs_coaching_below}"),
    "u_open": ("rep", "open_pipeline < {low_coverage_below} * gap_to_quota"),
    "u_cov": ("rep", "coverage <= {low_coverage_below}"),
    "u_att": ("rep", "quota_attainment_pct >= {coaching_attainment_below} * 100"),
    "u_change": ("rep", "pipeline_change_pct / 100 < -{trend_band}"),
    "u_ratio": (
        "rep",
        "year_to_date_revenue_usd / quota_usd between 0.5 and {needs_coaching_below}",
    ),
    "u_prob": ("deal", "probability >= {high_probability} and days_in_stage >= 60"),
    "u_ev": ("deal", "deal_value_usd * probability > 1000"),
}  # fmt: skip


@st.composite
def _case(draw: st.DrawFn) -> tuple[dict[str, str], list[dict[str, Any]], list[dict[str, Any]]]:
    t = {key: draw(st.sampled_from(values)) for key, values in THRESHOLDS.items()}
    below, share = Decimal(t["needs_coaching_below"]), Decimal(t["coaching_attainment_below"])
    band, cover = Decimal(t["trend_band"]), Decimal(t["low_coverage_below"])
    high = Decimal(t["high_probability"])
    reps, deals = [], []
    for i in range(draw(st.integers(1, 4))):
        rep_id = f"R{i}"
        k = draw(st.integers(1, 50))
        quota = Decimal(1460 * k)  # 365 x 4 x k: the quarter's quota and pace's share are whole
        basis = draw(st.sampled_from([quota * below, quota * below * N / L]))
        quota_3m = Decimal(draw(st.integers(1, 10**6)))
        previous = Decimal(draw(st.integers(1, 10**6)))
        sign = draw(st.sampled_from([1, -1]))
        reps.append(
            _rep(
                rep_id,
                quota_usd=str(quota),
                year_to_date_revenue_usd=str(basis + Decimal(draw(OFFSETS))),
                quota_3m=str(quota_3m),
                closed_won_3m_current=str(quota_3m * share + Decimal(draw(OFFSETS))),
                previous_pipeline_value=str(previous),
                current_pipeline_value=str(previous * (1 + sign * band) + Decimal(draw(OFFSETS))),
            )
        )
        gap = quota / 4  # no deal is won in the quarter
        value = gap * cover + Decimal(draw(OFFSETS))
        offset = draw(st.sampled_from(["0", "0", "0.000001", "-0.000001", "0.1"]))
        chance = min(max(high + Decimal(offset), Decimal(0)), Decimal(1))
        days = draw(st.sampled_from([59, 60, 61, 20, 21]))
        deals.append(
            _deal(f"D{i}", rep_id, str(value), probability=str(chance), days_in_stage=days)
        )
    return t, deals, reps


def _q(value: Any) -> Fraction:
    return Fraction(Decimal(value))


def _expected(t: dict[str, str], deals: list[dict[str, Any]], reps: list[dict[str, Any]],
              basis: str) -> dict[str, set[str]]:  # fmt: skip
    """Every rule's subjects, judged with Fractions from the contract (docs/metrics.md)."""
    below, share = _q(t["needs_coaching_below"]), _q(t["coaching_attainment_below"])
    band, cover, high = _q(t["trend_band"]), _q(t["low_coverage_below"]), _q(t["high_probability"])
    out: dict[str, set[str]] = {}
    rows = {}
    for r in reps:
        quota, ytd = _q(r["quota_usd"]), _q(r["year_to_date_revenue_usd"])
        q3, closed = _q(r["quota_3m"]), _q(r["closed_won_3m_current"])
        prev, cur = _q(r["previous_pipeline_value"]), _q(r["current_pipeline_value"])
        open_ = sum(
            (_q(d["deal_value_usd"]) for d in deals if d["rep_id"] == r["rep_id"]), Fraction(0)
        )
        gap = quota / 4
        rows[r["rep_id"]] = {
            "quota_achievement": ytd / quota,
            "pace": ytd * L / (quota * N),
            "attainment": closed / q3,
            "change": (cur - prev) / prev,
            "coverage": open_ / gap,
            "open": open_,
            "gap": gap,
            "ytd_over_quota": ytd / quota,
        }
    chosen = "pace" if basis == "pace" else "quota_achievement"
    out["needs_coaching"] = {k for k, v in rows.items() if v[chosen] < below}
    out["coaching_candidate"] = {k for k, v in rows.items() if v["attainment"] < share}
    out["pipeline_declining"] = {k for k, v in rows.items() if v["change"] < -band}
    out["low_coverage"] = {k for k, v in rows.items() if v["coverage"] < cover}
    best = max(v["attainment"] for v in rows.values())
    out["benchmark"] = {min(k for k, v in rows.items() if v["attainment"] == best)}
    out["u_ach"] = {k for k, v in rows.items() if v["quota_achievement"] < below}
    out["u_pace"] = {k for k, v in rows.items() if v["pace"] >= below}
    out["u_open"] = {k for k, v in rows.items() if v["open"] < cover * v["gap"]}
    out["u_cov"] = {k for k, v in rows.items() if v["coverage"] <= cover}
    out["u_att"] = {k for k, v in rows.items() if v["attainment"] * 100 >= share * 100}
    out["u_change"] = {k for k, v in rows.items() if v["change"] < -band}
    out["u_ratio"] = {k for k, v in rows.items() if Fraction(1, 2) <= v["ytd_over_quota"] <= below}
    stale = {
        d["deal_id"] for d in deals if _q(d["probability"]) >= high and d["days_in_stage"] >= 60
    }
    out["stale_high_probability"] = out["u_prob"] = stale
    out["stalled_deal"] = {d["deal_id"] for d in deals if d["days_in_stage"] >= 21}
    out["u_ev"] = {d["deal_id"] for d in deals
                   if _q(d["deal_value_usd"]) * _q(d["probability"]) > 1000}  # fmt: skip
    return out


# A compared value's flag: (observed name, op, threshold key in the flag, factor)
COMPARED = {
    "needs_coaching": ("quota_achievement", "<", "needs_coaching_below", 1),
    "coaching_candidate": ("quota_attainment_pct", "<", "coaching_attainment_below", 100),
    "pipeline_declining": ("pipeline_change_pct", "<", "trend_band", -100),
    "low_coverage": ("coverage", "<", "low_coverage_below", 1),
    "stale_high_probability": ("probability", ">=", "high_probability", 1),
}
_OPS = {"<": lambda a, b: a < b, ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b}


def _exact(value: Any) -> Fraction:
    """A shown number's exact value: a float by the digits it prints."""
    return Fraction(Decimal(repr(value)) if isinstance(value, float) else value)


@settings()  # the profile in conftest.py
@given(_case(), st.sampled_from(["annual", "pace"]))
def test_flags_fire_exactly_as_fractions_say_and_read_true(
    case: tuple[dict[str, str], list[dict[str, Any]], list[dict[str, Any]]], basis: str
) -> None:
    t, deals, reps = case
    rules = [
        {"id": rule_id, "subject": subject, "when": when.format(**t), "message": "{subject_id}"}
        for rule_id, (subject, when) in USER_RULES.items()
    ]
    policy = {
        "pipeline": {"high_probability": float(t["high_probability"])},
        "reps": {"needs_coaching_below": float(t["needs_coaching_below"]),
                 "needs_coaching_basis": basis},
        "trajectory": {"trend_band": float(t["trend_band"]),
                       "coaching_attainment_below": float(t["coaching_attainment_below"])},
        "forecast": {"low_coverage_below": float(t["low_coverage_below"])},
        "flags": {"max_per_rule": 0},
        "rules": rules,
    }  # fmt: skip
    report = build_report(deals, reps, as_of=AS_OF, policy=policy)
    expected = _expected(t, deals, reps, basis)
    for rule, subjects in expected.items():
        assert set(_fired(report, rule)) == subjects, (rule, t, deals, reps)
    for flag in report.flags:
        for key, limit in flag.thresholds.items():  # a user rule's "column op literal"
            if flag.rule.startswith("u_") and key != "when":
                name, op, _ = key.split(" ")
                assert _OPS[op](_exact(flag.observed[name]), _exact(limit)), (key, flag)
        if flag.rule == "needs_coaching" and basis == "pace":
            compared = ("pace", "<", "needs_coaching_below", 1)
        else:
            compared = COMPARED.get(flag.rule)  # type: ignore[assignment]
        if compared is None:
            continue
        name, op, key, factor = compared
        shown = flag.observed[name]
        bound = _exact(flag.thresholds[key]) * factor
        assert _OPS[op](_exact(shown), bound), (flag.rule, shown, flag.thresholds)
        text = percent(shown, ratio=name not in ("quota_attainment_pct", "pipeline_change_pct"))
        if name == "pipeline_change_pct":
            text = percent(abs(shown), ratio=False)
        if name == "coverage":
            text = number(shown)
        assert text in flag.message, (flag.message, text)
    # the sections: each ratio is the exact quotient rounded once, half-even
    for row, rep in zip(report.rep_performance, reps, strict=True):
        exact = _q(rep["year_to_date_revenue_usd"]) / _q(rep["quota_usd"])
        assert row.quota_achievement == _half_even(exact, 2)
    for row, rep in zip(report.rep_trajectory, reps, strict=True):
        exact = _q(rep["closed_won_3m_current"]) / _q(rep["quota_3m"]) * 100
        assert row.quota_attainment_pct == _half_even(exact, 1)


def _half_even(value: Fraction, places: int) -> float:
    quotient = Decimal(value.numerator) / Decimal(value.denominator)  # 28 digits: enough here
    return float(quotient.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))
