"""One engine-parity suite: the same inputs give the same report, byte for byte, on DuckDB
(the reference) and on every other engine: Spark (a local SparkSession) and PostgreSQL (a
real server on 127.0.0.1, the inputs loaded as typed tables and computed in the server).

Each case is a dataset (as pyarrow tables), a policy and the report's options; each engine
is a way to run ``build_report`` on them. A new engine adds one entry to ``ENGINES``; a new
feature that engines must agree on adds one case to ``CASES``. The engines' own behaviour
(catalog tables, a standalone cluster, reading a warehouse's tables, errors) stays in their
files beside this one.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from pipereview import api, synthetic
from tests.conftest import AS_OF as DEMO_AS_OF
from tests.report import test_deal_history as history_case
from tests.report import test_forecast as forecast_case
from tests.unit import test_user_rules as rules_case

Run = Callable[..., Any]  # (deals, reps, **options) -> Report


def _messy(seed: int) -> tuple[pa.Table, pa.Table]:
    """Synthetic data with nulls, zero quotas, duplicate deal and rep ids mixed in."""
    deals, reps = synthetic.generate(n_deals=600, n_reps=12, seed=seed)
    rng = np.random.default_rng(seed)
    rows = deals.to_pylist()
    for row in rng.choice(len(rows), 40, replace=False):
        field = ["deal_value_usd", "probability", "days_in_stage", "risk_flags", "rep_id"][
            int(row) % 5
        ]
        rows[int(row)][field] = None
    rows[5]["deal_id"] = rows[6]["deal_id"]
    rows[9]["rep_id"] = "R9999"
    rep_rows = reps.to_pylist()
    rep_rows[0]["quota_3m"] = 0.0
    rep_rows[1]["close_rate"] = None
    rep_rows.append(dict(rep_rows[2], rep_name="Duplicate"))
    return pa.Table.from_pylist(rows, deals.schema), pa.Table.from_pylist(rep_rows, reps.schema)


def _with_gaps() -> tuple[pa.Table, pa.Table]:
    """600 synthetic deals with missing values a user rule reads as unknown."""
    deals, reps = synthetic.generate(n_deals=600, n_reps=12, seed=3)
    rows = deals.to_pylist()
    for i, row in enumerate(rows[:60]):
        row[("probability", "deal_value_usd", "days_in_stage", "close_date", "stage")[i % 5]] = None
    return pa.Table.from_pylist(rows, deals.schema), reps


def _hand(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows)


def _csv(text: str) -> pa.Table:
    return pa_csv.read_csv(io.BytesIO(text.encode()))


# id -> (deals and reps, build_report's options)
CASES: dict[str, tuple[Callable[[], tuple[pa.Table, pa.Table]], dict[str, Any]]] = {
    **{
        f"messy-{seed}": (lambda seed=seed: _messy(seed), {"as_of": DEMO_AS_OF})
        for seed in (1, 2, 3)
    },
    # every forecast level, past_close_date (days between dates), low_coverage
    "forecast": (
        lambda: (_hand(forecast_case.DEALS), _hand(forecast_case.REPS)),
        {"as_of": forecast_case.AS_OF, "policy": forecast_case.POLICY},
    ),
    "forecast-next-quarter": (
        lambda: (_hand(forecast_case.DEALS), _hand(forecast_case.REPS)),
        {"as_of": forecast_case.AS_OF, "policy": forecast_case.POLICY, "period": "next-quarter"},
    ),
    # a field history: days in stage from it, close-date pushes, the slip rate (D48-D50)
    "history": (
        lambda: (_csv(history_case.DEALS), _hand(history_case.REPS)),
        {"as_of": history_case.AS_OF, "field_history": _csv(history_case.FIELDS)},
    ),
    # user rules: functions, arithmetic, dates, text, unknowns
    "user-rules": (
        _with_gaps,
        {
            "as_of": rules_case.AS_OF,
            "policy": {"rules": rules_case.SPARK_RULES, "flags": {"max_per_rule": 0}},
        },
    ),
}


@pytest.fixture(scope="module")
def spark() -> Iterator[Run]:
    pytest.importorskip("pyspark")
    from pipereview.engines import Engine

    engine = Engine("spark")

    def run(deals: pa.Table, reps: pa.Table, **options: Any) -> Any:
        return api.build_report(deals, reps, engine=engine, **options)

    yield run


@pytest.fixture(scope="module")
def postgres(pg_url: str) -> Run:
    from tests.support.postgres_server import load_arrow

    def run(deals: pa.Table, reps: pa.Table, **options: Any) -> Any:
        load_arrow(pg_url, "parity_deals", deals)
        load_arrow(pg_url, "parity_reps", reps)
        deals_table = api.table("parity_deals", pg_url)
        return api.build_report(deals_table, api.table("parity_reps", pg_url), **options)

    return run


ENGINES = [
    pytest.param("spark", marks=[pytest.mark.spark, pytest.mark.xdist_group("spark")]),
    pytest.param("postgres", marks=[pytest.mark.server, pytest.mark.xdist_group("postgres")]),
]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("engine", ENGINES)
def test_same_report_as_duckdb(engine: str, case: str, request: pytest.FixtureRequest) -> None:
    make, options = CASES[case]
    deals, reps = make()
    duck = api.build_report(deals, reps, **options)
    other = request.getfixturevalue(engine)(deals, reps, **options)
    assert other.to_json() == duck.to_json()


def test_every_user_rule_fires_in_the_parity_case() -> None:
    """The user-rules case means something only if each rule fires on its data."""
    make, options = CASES["user-rules"]
    report = api.build_report(*make(), **options)
    counts = {c.rule: c.total for c in report.flag_counts}
    assert all(counts[r["id"]] > 0 for r in rules_case.SPARK_RULES), counts


def test_the_forecast_case_has_every_level() -> None:
    make, options = CASES["forecast"]
    f = api.build_report(*make(), **options).forecast
    assert f is not None and f.by_manager and f.by_team and f.by_region


def test_the_history_case_flags_and_slips() -> None:
    make, options = CASES["history"]
    report = api.build_report(*make(), **options)
    counts = {c.rule: c.total for c in report.flag_counts}
    assert counts["repeatedly_pushed"] == 1 and counts["stalled_deal"] == 2
    assert report.slippage is not None and report.slippage.slip_rate == 0.19
