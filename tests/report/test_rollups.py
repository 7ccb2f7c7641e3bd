"""The roll-ups of the rep performance (docs/metrics.md "Roll-ups"): hand-computed rows at
every level, and on random hierarchies every level's rows add up exactly to the company's,
each manager's to everyone under it, and the company's to the pipeline summary."""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipereview.api import build_report
from pipereview.render.markdown import render_markdown
from pipereview.report.model import ROLLUP_LEVELS
from tests.report.test_forecast import _cents, _chain, hierarchies, maybe
from tests.support.cli import pipereview as run

AS_OF = dt.date(2026, 11, 20)
CENT = Decimal("0.01")
D = Decimal

DEALS = [
    {"deal_id": "D1", "rep_id": "R1", "status": "won", "deal_value_usd": 100, "probability": 1},
    {"deal_id": "D2", "rep_id": "R2", "status": "lost", "deal_value_usd": 50, "probability": 0},
    {
        "deal_id": "D3",
        "rep_id": "R3",
        "status": "active",
        "deal_value_usd": 10,
        "probability": 0.5,
        "days_in_stage": 40,  # stalled (40 >= 21)
        "risk_flags": "no_champion",  # at risk
    },
    {"deal_id": "D4", "rep_id": "R9", "status": "won", "deal_value_usd": 7, "probability": 1},
    {"deal_id": "D5", "rep_id": None, "status": "active", "deal_value_usd": 7, "probability": 0.5},
]
REPS = [
    {"rep_id": "R1", "manager_id": "M", "team": "A", "region": "East"}
    | {"quota_usd": 1000, "year_to_date_revenue_usd": 500},
    {"rep_id": "R2", "manager_id": "M", "team": "A", "region": "West"}
    | {"quota_usd": None, "year_to_date_revenue_usd": 300},  # no quota: counted apart
    {"rep_id": "R3", "manager_id": "R1", "team": "B", "region": "West"}
    | {"quota_usd": 1000, "year_to_date_revenue_usd": None},  # quota, no revenue: 0
]
FIGURES = (
    "reps",
    "active_deals",
    "pipeline_value",
    "weighted_pipeline_value",
    "won_deals",
    "lost_deals",
    "won_value",
    "win_rate",
    "quota",
    "quota_revenue",
    "quota_achievement",
    "reps_without_quota",
    "stalled_deals",
    "at_risk_deals",
)


def _report(deals: list[dict], reps: list[dict]) -> Any:
    return build_report(pd.DataFrame(deals), pd.DataFrame(reps), as_of=AS_OF)


def _figures(row: Any) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in FIGURES)


def test_every_level_by_hand() -> None:
    report = _report(DEALS, REPS)
    got = {(r.level, r.id): (r.parent, _figures(r)) for r in report.rollups}
    # reps, active, pipeline, weighted, won, lost, won value, win rate, quota, quota
    # revenue, achievement, reps without quota, stalled, at risk
    assert got == {
        # every deal: D3 + D5 active (17, weighted 5 + 3.5), D1 + D4 won, D2 lost (2/3);
        # quota 1000 + 1000 of R1 and R3, their revenue 500 + 0: 25%; R2 has none
        ("company", None): (None, (3, 2, 17, D("8.5"), 2, 1, 107, 0.67, 2000, 500, 0.25, 1, 1, 1)),
        ("region", "East"): (None, (1, 0, 0, 0, 1, 0, 100, 1.0, 1000, 500, 0.5, 0, 0, 0)),
        ("region", "West"): (None, (2, 1, 10, 5, 0, 1, 0, 0.0, 1000, 0, 0.0, 1, 1, 1)),
        # D4 (R9, no record) and D5 (no rep) have no region
        ("region", None): (None, (0, 1, 7, D("3.5"), 1, 0, 7, 1.0, None, 0, None, 0, 0, 0)),
        ("team", "A"): (None, (2, 0, 0, 0, 1, 1, 100, 0.5, 1000, 500, 0.5, 1, 0, 0)),
        ("team", "B"): (None, (1, 1, 10, 5, 0, 0, 0, None, 1000, 0, 0.0, 0, 1, 1)),
        ("team", None): (None, (0, 1, 7, D("3.5"), 1, 0, 7, 1.0, None, 0, None, 0, 0, 0)),
        # M (no record) manages R1 and R2, R1 manages R3: M holds all three
        ("manager", "M"): (None, (3, 1, 10, 5, 1, 1, 100, 0.5, 2000, 500, 0.25, 1, 1, 1)),
        ("manager", "R1"): ("M", (2, 1, 10, 5, 1, 0, 100, 1.0, 2000, 500, 0.25, 0, 1, 1)),
        ("rep", "R1"): ("M", (1, 0, 0, 0, 1, 0, 100, 1.0, 1000, 500, 0.5, 0, 0, 0)),
        ("rep", "R2"): ("M", (1, 0, 0, 0, 0, 1, 0, 0.0, None, 0, None, 1, 0, 0)),
        ("rep", "R3"): ("R1", (1, 1, 10, 5, 0, 0, 0, None, 1000, 0, 0.0, 0, 1, 1)),
        ("rep", "R9"): (None, (0, 0, 0, 0, 1, 0, 7, 1.0, None, 0, None, 0, 0, 0)),
        ("rep", None): (None, (0, 1, 7, D("3.5"), 0, 0, 0, None, None, 0, None, 0, 0, 0)),
    }
    # top down, then by id with the missing last: easy to select by level and subject
    assert [(r.level, r.id) for r in report.rollups][:4] == [
        ("company", None),
        ("region", "East"),
        ("region", "West"),
        ("region", None),
    ]
    assert [r.id for r in report.rollup_rows("manager")] == ["M", "R1"]
    assert _figures(report.rollup_rows("team", "B")[0])[0] == 1


def test_a_loop_gives_no_manager_rows() -> None:
    reps = [{"rep_id": "R1", "manager_id": "R2"}, {"rep_id": "R2", "manager_id": "R1"}]
    report = _report(DEALS, reps)
    assert report.rollup_rows("manager") == []
    assert report.rollup_rows("company")[0].won_value == 107


# --- on random hierarchies ---------------------------------------------------------------
@st.composite
def _reps(draw: st.DrawFn) -> list[dict[str, Any]]:
    reps = draw(hierarchies())
    ytd = maybe(_cents(-1_000_00, 50_000_000_00))
    return [{**r, "year_to_date_revenue_usd": draw(ytd)} for r in reps]


_deals = st.lists(
    st.fixed_dictionaries(
        {
            "rep_id": maybe(st.sampled_from(["A", "B", "C", "D", "E", "Z", "Q9"])),
            "status": maybe(st.sampled_from(["active", "active", "won", "lost", "open"])),
            "deal_value_usd": maybe(_cents(-50_000_00, 5_000_000_00)),
            "probability": maybe(st.integers(0, 1000).map(lambda p: p / 1000)),
            "days_in_stage": maybe(st.sampled_from([0.0, 20.0, 21.0, 90.0])),
            "risk_flags": maybe(st.sampled_from(["", "no_champion", "a;b"])),
        }
    ),
    max_size=12,
)
_EXACT = ("pipeline_value", "won_value", "quota_revenue")
_COUNTS = tuple(f for f in FIGURES if f not in (*_EXACT, "weighted_pipeline_value", "quota"))
_COUNTS = tuple(f for f in _COUNTS if f not in ("win_rate", "quota_achievement"))


def _adds_up(rows: list[Any], whole: Any, what: str) -> None:
    """Counts and money from cents exactly; the weighted value (each row rounded from a
    sub-cent sum) within half a cent per row; the quota of the positive ones only."""
    for name in (*_COUNTS, *_EXACT):
        assert sum(getattr(r, name) for r in rows) == getattr(whole, name), (what, name)
    weighted = sum((r.weighted_pipeline_value for r in rows), D(0))
    assert abs(weighted - whole.weighted_pipeline_value) <= D("0.005") * len(rows), what
    positive = [r.quota for r in rows if r.quota is not None and r.quota > 0]
    assert (sum(positive, D(0)) if positive else None) == whole.quota, (what, "quota")


def _ratios(row: Any) -> None:
    """The ratios of a row from its own sums, exactly (money from cents is exact)."""
    closed = row.won_deals + row.lost_deals
    want = None if not closed else _half_even(Fraction(row.won_deals, closed))
    assert row.win_rate == want
    if row.quota is None:
        assert row.quota_achievement is None
    else:
        achieved = Fraction(row.quota_revenue) / Fraction(row.quota)
        assert row.quota_achievement == _half_even(achieved)


def _half_even(value: Fraction) -> float:
    """To 2 places, half-even, from the exact value (a half is exact in 60 digits)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return float((D(value.numerator) / D(value.denominator)).quantize(CENT, ROUND_HALF_EVEN))


@settings(max_examples=min(15, settings.default.max_examples))
@given(reps=_reps(), deals=_deals)
def test_children_add_up_to_parents(reps: list[dict[str, Any]], deals: list[dict]) -> None:
    rows = [{"deal_id": f"H{i:02d}", **d} for i, d in enumerate(deals)]
    columns = ["deal_id", "rep_id", "status", "deal_value_usd", "probability"]
    deal_table = pd.DataFrame(rows, columns=[*columns, "days_in_stage", "risk_flags"])
    report = build_report(deal_table, pd.DataFrame(reps), as_of=AS_OF)
    company = report.rollup_rows("company")[0]
    for level in ("region", "team", "rep"):
        _adds_up(report.rollup_rows(level), company, level)
    for row in report.rollups:
        _ratios(row)
    s = report.pipeline_summary
    assert (company.active_deals, company.won_deals, company.lost_deals) == (
        s.active_deals,
        s.won_deals,
        s.lost_deals,
    )
    assert (company.pipeline_value, company.weighted_pipeline_value, company.won_value) == (
        s.total_pipeline_value,
        s.weighted_pipeline_value,
        s.won_value,
    )
    assert (company.stalled_deals, company.at_risk_deals) == (
        s.stalled_deals_count,
        s.at_risk_deals_count,
    )
    assert company.reps == len(reps)
    # each manager: its own row (a record, or deals under its id) and everyone under it
    boss = {
        r["rep_id"]: (None if r["manager_id"] == r["rep_id"] else r["manager_id"]) for r in reps
    }
    managers = report.rollup_rows("manager")
    assert [m.id for m in managers] == sorted({m for m in boss.values() if m is not None})
    for manager in managers:
        members = [
            r
            for r in report.rollup_rows("rep")
            if r.id is not None
            and (r.id == manager.id or (r.id in boss and manager.id in _chain(boss, r.id)))
        ]
        _adds_up(members, manager, f"manager {manager.id}")


# --- the human formats and --by -----------------------------------------------------------
def _files(tmp_path: Path) -> tuple[Path, Path]:
    deals, reps = tmp_path / "deals.csv", tmp_path / "reps.csv"
    pd.DataFrame(DEALS).to_csv(deals, index=False)
    pd.DataFrame(REPS).to_csv(reps, index=False)
    return deals, reps


def _section(text: str) -> str:
    return text.split("## Performance by level", 1)[1].split("\n\n", 2)[1]


def test_markdown_shows_the_levels_by_asks_for(tmp_path: Path) -> None:
    deals, reps = _files(tmp_path)
    common = ["report", "--deals", deals, "--reps", reps, "--as-of", "2026-11-20"]
    default = run(*common, "--format", "md")
    assert default.returncode == 0, default.stderr
    table = _section(default.stdout)
    # every level but rep, the company last; won value and win rate from the deals
    assert [line.split(" | ")[0] for line in table.splitlines()[2:]] == [
        "| Region",
        "| Region",
        "| Region",
        "| Team",
        "| Team",
        "| Team",
        "| Manager",
        "| Manager",
        "| Company",
    ]
    assert "| Region | West | 2 | 1 | $10 | $5 | 0 | 1 | $0 | 0% | 0% | 1 | 1 | 1 |" in table
    assert table.splitlines()[-1].startswith("| Company | Company | 3 | 2 | $17 |")
    only = run(*common, "--format", "md", "--by", "rep, company")
    lines = _section(only.stdout).splitlines()[2:]
    assert [line.split(" | ")[0] for line in lines] == ["| Rep"] * 5 + ["| Company"]
    # the JSON has every level whatever --by says
    data = json.loads(run(*common, "--format", "json", "--by", "rep").stdout)
    assert {row["level"] for row in data["rollups"]} == set(ROLLUP_LEVELS)


def test_every_human_format_has_the_table(tmp_path: Path) -> None:
    deals, reps = _files(tmp_path)
    common = ["report", "--deals", deals, "--reps", reps, "--as-of", "2026-11-20"]
    full = run(*common, "--full", "--by", "manager", env={"COLUMNS": "200"})
    assert "Performance by level" in full.stdout
    assert "Manager │ M " in full.stdout and "Region │" not in full.stdout
    html = run(*common, "--format", "html", "--by", "region")
    assert 'id="rollups"' in html.stdout and "<td>East</td>" in html.stdout


def test_an_unknown_level_is_a_usage_error(tmp_path: Path) -> None:
    deals, reps = _files(tmp_path)
    done = run("report", "--deals", deals, "--reps", reps, "--by", "region,country")
    assert done.returncode == 2
    assert "unknown level 'country'" in done.stderr
    assert "company, region, team, manager, rep" in done.stderr


def test_markdown_caps_the_rows_and_skips_a_company_alone() -> None:
    reps = [{"rep_id": f"R{i:02d}", "region": f"G{i:02d}"} for i in range(15)]
    deals = [
        {"deal_id": "D1", "rep_id": "R00", "status": "won", "deal_value_usd": 5, "probability": 1}
    ]
    report = _report(deals, reps)
    lines = render_markdown(report.showing(("region", "company"))).splitlines()
    start = lines.index("## Performance by level")
    rows = [line for line in lines[start:] if line.startswith("| ")][1:]
    assert len(rows) == 13  # 12 regions, then the company
    assert rows[-1].startswith("| Company |")
    assert "… and 3 more rows: --format html or json has them all." in lines
    alone = render_markdown(report.showing(("company",)))
    assert "Performance by level" not in alone


def test_stacked_levels_are_each_level_in_its_own_order() -> None:
    """``stacked`` puts levels in one statement: each level's rows in the order the level
    alone gives (by key, missing last), the levels in the order given."""
    import ibis

    from pipereview.metrics.forecast import LEVEL, rollup, stacked
    from pipereview.report.forecast import keyed

    reps = ibis.memtable(
        {
            "team": ["b", None, "a", "b", "c"],
            "region": ["West", "East", None, "East", None],
            "commit": [1, 2, 3, 4, 5],
        }
    )
    levels = [(key, rollup(reps, key, ("commit",))) for key in (None, "team", "region")]
    con = ibis.duckdb.connect()
    rows = con.to_pyarrow(stacked(levels)).to_pylist()
    assert [r[LEVEL] for r in rows] == [0, 1, 1, 1, 1, 2, 2, 2]
    for place, (key, table) in enumerate(levels):
        alone = con.to_pyarrow(keyed(table, key)).to_pylist()
        assert [(r["_key"], r["commit"]) for r in rows if r[LEVEL] == place] == [
            (r["_key"], r["commit"]) for r in alone
        ]
    assert [r["_key"] for r in rows] == [None, "a", "b", "c", None, "East", "West", None]
