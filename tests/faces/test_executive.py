"""The executive summary: the deals with the most of the quarter at stake, the reps who
need help, the quarter's pace, and the words people read (labels, reasons), each against
expectations computed by hand."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pipereview.api import build_report, generate_demo
from pipereview.checks import CHECKS
from pipereview.inputs.mapping import INTAKE_CHECKS
from pipereview.render import glossary, render
from pipereview.render.executive import summary
from pipereview.render.forecast import FIGURES
from pipereview.render.html import render_html
from pipereview.render.numbers import compact_money, money
from pipereview.render.sections import deal_lists
from pipereview.report.executive import at_stake, needs_help, quarter_pace
from pipereview.report.history import HISTORY_CHECKS
from pipereview.report.model import PipelineSummary
from pipereview.rules import RULES
from tests.faces.test_html import text_of

AS_OF = dt.date(2026, 11, 20)  # FY2026-Q4: 2026-10-01 to 2026-12-31, day 51 of 92


def _deal(i: str, value: float, p: float, close: str | None, **more: Any) -> dict[str, Any]:
    row = {"deal_id": i, "rep_id": "R1", "status": "active", "deal_value_usd": value,
           "probability": p, "days_in_stage": 30, "stage": "Proposal",
           "close_date": close}  # fmt: skip
    return row | more


DEALS = [
    # weighted value x the severity weights of its flags (a warning weighs 2)
    _deal("A", 100_000, 0.5, "2026-12-10"),  # stalled: 50,000 x 2 = 100,000
    _deal("B", 40_000, 0.9, "2026-11-30", risk_flags=["no_budget"]),  # 36,000 x 4 = 144,000
    _deal("C", 200_000, 0.5, "2027-02-01"),  # closes next quarter: nothing of this one at stake
    _deal("D", 60_000, 0.5, None),  # no close date (it can close now): 30,000 x 2 = 60,000
    _deal("E", 50_000, 0.6, "2026-10-15"),  # stalled and slipped: 30,000 x 4 = 120,000
    _deal("F", 100_000, 0.3, "2026-12-01"),  # 30,000 x 2 = 60,000, ties D, closes first
    _deal("G", 10_000, 0.0, "2026-12-01"),  # no weighted value: nothing at stake
    _deal("H", 5_000, 0.5, "2026-12-01", days_in_stage=1),  # not flagged
]
REPS = [
    {"rep_id": "R1", "rep_name": "Ann", "quota_usd": 400_000, "year_to_date_revenue_usd": 1,
     "manager_id": "M1"},
    {"rep_id": "R2", "rep_name": "Bo", "quota_usd": 800_000, "year_to_date_revenue_usd": 1,
     "manager_id": "M1"},
    {"rep_id": "R3", "rep_name": "Cy", "quota_usd": 0, "year_to_date_revenue_usd": 1},
    {"rep_id": "M1", "rep_name": "Mia"},
]  # fmt: skip


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    return build_report(DEALS, REPS, as_of=AS_OF)


def test_deals_rank_by_weighted_value_times_what_is_wrong(report) -> None:  # type: ignore[no-untyped-def]
    ranked = at_stake(report)
    assert [(s.deal.deal_id, s.score) for s in ranked] == [
        ("B", Decimal("144000.00")),
        ("E", Decimal("120000.00")),
        ("A", Decimal("100000.00")),
        ("F", Decimal("60000.00")),  # a tie with D: the earlier close date first
        ("D", Decimal("60000.00")),
    ]
    b = ranked[0]
    assert [f.rule for f in b.flags] == ["stalled_deal", "at_risk_deal"] and b.weight == 4
    assert (b.deal.weighted, b.deal.close_date) == (Decimal("36000.00"), dt.date(2026, 11, 30))


def test_the_ranking_does_not_depend_on_input_order(report) -> None:  # type: ignore[no-untyped-def]
    shuffled = build_report(list(reversed(DEALS)), list(reversed(REPS)), as_of=AS_OF)
    assert [s.deal.key() for s in at_stake(shuffled)] == [s.deal.key() for s in at_stake(report)]


def test_reps_who_need_help_rank_by_what_they_will_miss(report) -> None:  # type: ignore[no-untyped-def]
    helped = needs_help(report)
    # Bo: a quarter's quota of 200,000 (a quarter of 800,000), nothing closed or open: he
    # misses it by 200,000. Ann: 100,000 against 148,500 of weighted open pipeline closing
    # in the quarter (A 50,000, B 36,000, E 30,000, F 30,000, H 2,500; C closes later, D has
    # no close date): -48,500. Cy has no flag; Mia's only flag would be praise.
    assert [(h.rep_id, h.shortfall) for h in helped] == [
        ("R2", Decimal("200000.00")),
        ("R1", Decimal("-48500.00")),
    ]
    assert (helped[0].manager_id, helped[0].manager_name) == ("M1", "Mia")


def test_pace_is_closed_won_against_an_even_share_of_quota(small_files) -> None:  # type: ignore[no-untyped-def]
    small = build_report(*small_files, as_of=AS_OF)
    assert small.forecast is not None
    pace = quarter_pace(small.forecast)
    # 75,000 x 51 / 92 = 41,576.0869...; 40,000 closed is 96.21% of it
    assert (pace.day, pace.days, pace.due) == (51, 92, Decimal("41576.09"))
    assert pace.pace == 0.9621


def test_the_summary_lists_at_most_eight_deals_and_five_reps(tmp_path: Path) -> None:
    deals, reps = generate_demo(tmp_path, n_deals=1500, n_reps=20)
    s = summary(build_report(deals, reps, as_of=AS_OF))
    assert len(s.risk) == 8 and len(s.help) == 5
    assert s.risk_note.startswith(f"{len(at_stake(build_report(deals, reps, as_of=AS_OF))):,}")


# --- the words people read ---------------------------------------------------------------


def test_every_built_in_name_has_a_label() -> None:
    evidence = {name for rule in RULES for name, _ in rule.observed}
    fields = set(PipelineSummary.model_fields) | {f for f, _ in FIGURES} | evidence
    assert sorted(f for f in fields if f not in glossary.FIELDS) == []
    assert sorted(r.id for r in RULES if r.id not in glossary.RULES) == []
    checks = {c.id for c in CHECKS} | set(INTAKE_CHECKS) | {"absent_column", "read_as"}
    checks |= set(HISTORY_CHECKS)
    assert sorted(c for c in checks if c not in glossary.CHECKS) == []


def test_unknown_codes_read_as_words() -> None:
    assert glossary.rule_label("big_stuck_deal") == "Big stuck deal"
    assert glossary.check_label("some_new_check") == "Some new check"
    moved = glossary.movement_label("newly_flagged:big_stuck_deal")
    assert moved == "Newly flagged: Big stuck deal"


SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")


def test_no_code_name_reaches_a_page(tmp_path: Path) -> None:
    deals, reps = generate_demo(tmp_path, n_deals=1500, n_reps=20)
    report = build_report(deals, reps, as_of=AS_OF)
    page = text_of(render_html(report))
    # the data-quality findings name the input's own columns (quota_usd): the fix is there
    before_quality = page.split("\nData quality\n")[0]
    assert SNAKE.findall(before_quality) == []
    assert SNAKE.findall(render(report, "markdown")) == []
    assert SNAKE.findall(render(report, "table")) == []


def test_a_reason_never_repeats_its_row(tmp_path: Path) -> None:
    deals, reps = generate_demo(tmp_path, n_deals=1500, n_reps=20)
    report = build_report(deals, reps, as_of=AS_OF)
    rows = [row for listed in deal_lists(report) for row in listed.rows] + summary(report).risk
    assert rows
    for deal, owner, stage, _close, value, probability, why in rows:
        assert deal.id not in why and str(owner) not in why, why
        assert stage not in why and value not in why and probability not in why, why
    for rep, *_, why in summary(report).help:
        assert rep.text not in why and rep.id not in why


def test_money_is_written_one_way() -> None:
    assert money(Decimal("-104049")) == "-$104,049.00"
    assert money(Decimal("1234.5"), "EUR") == "€1,234.50"
    assert money(Decimal("-3.1"), "GBP") == "-£3.10"
    assert money(Decimal("1000"), "JPY", places=0) == "¥1,000"
    assert money(Decimal("12.345"), "CHF") == "CHF 12.34"  # half-even
    assert compact_money(Decimal("-2500000"), "EUR") == "-€2.5M"
