"""Spark's own behaviour: explanations, case folding, a session passed in, presets, catalog
tables, window limits and broadcasts (the reports themselves: test_parity.py).

Runs a local SparkSession (pyspark is in the dev extras; Java 17 must be on the machine).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipereview.api import build_report, explain
from tests.conftest import AS_OF
from tests.engines.test_parity import CASES

pytest.importorskip("pyspark")
pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


@pytest.fixture(scope="module")
def spark_engine():  # type: ignore[no-untyped-def]
    from pipereview.engines import Engine

    return Engine("spark")


def test_a_user_rule_is_explained_on_spark(spark_engine) -> None:  # type: ignore[no-untyped-def]
    """A user rule's verdict (its sentence and values) on Spark equals DuckDB's; the
    reports themselves are compared in test_parity.py."""
    make, options = CASES["user-rules"]
    deals, reps = make()
    duck = build_report(deals, reps, **options)
    first = next(f.subject_id for f in duck.flags if f.rule == "fast_money")
    on_spark = explain(first, deals, reps, engine=spark_engine, **options)
    assert on_spark == explain(first, deals, reps, **options)


def test_explain_on_spark(spark_engine, small_files) -> None:  # type: ignore[no-untyped-def]
    on_spark = explain("D1", *small_files, engine=spark_engine, as_of=AS_OF)
    assert on_spark == explain("D1", *small_files, as_of=AS_OF)


def test_non_ascii_case_folding_and_empty_deals(spark_engine) -> None:  # type: ignore[no-untyped-def]
    reps = [
        {"rep_id": "R1", "rep_name": "Zoë", "risk_velocity_flag": " INCREASİNG "},
        {"rep_id": "R2", "rep_name": "Øyvind", "risk_velocity_flag": "ÄNDERUNG"},
        {"rep_id": "R3", "rep_name": "Σοφία", "risk_velocity_flag": "ΣΤΑΘΕΡΌΣ"},
        {"rep_id": "R4", "rep_name": "Straße", "risk_velocity_flag": "INCREASING"},
    ]
    duck = build_report(None, reps, as_of=AS_OF)
    spark = build_report(None, reps, as_of=AS_OF, engine=spark_engine)
    assert spark.to_json() == duck.to_json()
    velocities = [r.risk_velocity_flag for r in duck.rep_trajectory]
    assert velocities == ["increasİng", "Änderung", "ΣΤΑΘΕΡΌΣ", "increasing"]
    assert duck.pipeline_summary.total_deals == 0


def test_an_existing_spark_session_is_accepted(spark_engine, small_files) -> None:  # type: ignore[no-untyped-def]
    session = spark_engine.con._session
    assert build_report(*small_files, as_of=AS_OF, engine=session).to_json() == (
        build_report(*small_files, as_of=AS_OF).to_json()
    )


def test_presets_and_rates_on_spark(spark_engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Mappings are Ibis expressions: the same report on both engines (booleans, 0-100
    scaling, epoch milliseconds, a stage-table join, derived figures, currency conversion)."""
    import datetime as dt
    from pathlib import Path

    crm = Path(__file__).parents[1] / "fixtures" / "crm"
    sf, hs = crm / "salesforce", crm / "hubspot"
    euro = (sf / "Opportunity.csv").read_text().replace("Closed,USD", "Closed,EUR")
    (tmp_path / "opp.csv").write_text(euro)
    (tmp_path / "rates.csv").write_text("currency,rate\nEUR,1.123456\n")
    day = dt.date(2026, 11, 22)
    stages, rates = hs / "pipeline_stages.csv", tmp_path / "rates.csv"
    cases = [
        ((sf / "Opportunity.csv", sf / "User.csv"), {"preset": "salesforce"}),
        ((hs / "deals.csv", hs / "owners.csv"), {"preset": "hubspot", "stages": stages}),
        ((tmp_path / "opp.csv", sf / "User.csv"), {"preset": "salesforce", "rates": rates}),
    ]
    for inputs, options in cases:
        duck = build_report(*inputs, as_of=day, **options).to_json()
        assert build_report(*inputs, as_of=day, engine=spark_engine, **options).to_json() == duck


def test_spark_trims_whitespace_not_letters(spark_engine) -> None:  # type: ignore[no-untyped-def]
    """Ibis compiled strip() for Spark with escapes Spark reads as the letters v and f."""
    deals = [
        {"deal_id": "A", "rep_id": "R1", "status": " active\t", "deal_value_usd": 10,
         "probability": 0.5, "stage": " Sales Dev ", "risk_flags": "staff; no budget"},
    ]  # fmt: skip
    reps = [{"rep_id": "R1"}]
    duck = build_report(deals, reps, as_of=AS_OF)
    spark = build_report(deals, reps, as_of=AS_OF, engine=spark_engine)
    assert spark.to_json() == duck.to_json()
    assert [d.risk_flags for d in spark.deal_details] == [["staff", "no budget"]]


def test_spark_catalog_tables(spark_engine, small_files) -> None:  # type: ignore[no-untyped-def]
    """--source spark reads tables of the session's catalog in place."""
    from pipereview.api import table

    session = spark_engine.con._session
    for name, path in zip(("crm_deals", "crm_reps"), small_files, strict=True):
        frame = session.read.option("header", True).csv(str(path))
        frame.createOrReplaceTempView(name)
    duck = build_report(*small_files, as_of=AS_OF)
    spark = build_report(
        table("crm_deals", "spark"), table("crm_reps", "spark"), as_of=AS_OF, engine=spark_engine
    )
    assert spark.pipeline_summary == duck.pipeline_summary
    assert spark.rep_performance == duck.rep_performance


def test_top_opportunities_is_a_window_group_limit_on_spark(spark_engine) -> None:  # type: ignore[no-untyped-def]
    """Spark keeps k rows per rep in the window (WindowGroupLimit) only when the filter is
    on ROW_NUMBER() itself; the ranks are still 0-based, ties by deal_id."""
    from pipereview.api.common import load_inputs
    from pipereview.metrics.reps import top_opportunities
    from pipereview.policy import Policy

    cases = [  # deal_id, rep_id, status, value, probability
        ("D", "R1", "active", 10, 1), ("B", "R1", "active", 200, 0.5),
        ("A", "R1", "active", 100, 1), ("C", "R1", "active", 50, 1),
        ("W", "R1", "won", 999, 1), ("E", "R2", "active", 5, 1),
    ]  # fmt: skip
    keys = ("deal_id", "rep_id", "status", "deal_value_usd", "probability")
    deals = [dict(zip(keys, case, strict=True)) for case in cases]
    policy = Policy()
    inputs = load_inputs(deals, [{"rep_id": "R1"}], engine=spark_engine, policy=policy)
    top = top_opportunities(inputs.deals, policy).order_by(["rep_id", "rank"])
    plan = spark_engine._spark.sql(spark_engine.con.compile(top))._jdf.queryExecution()
    assert "WindowGroupLimit" in plan.executedPlan().toString()
    rows = [(r["rep_id"], r["deal_id"], r["rank"]) for r in spark_engine.rows(top)]
    assert rows == [("R1", "A", 0), ("R1", "B", 1), ("R1", "C", 2), ("R2", "E", 0)]


def test_a_small_table_is_broadcast_on_spark(spark_engine) -> None:  # type: ignore[no-untyped-def]
    """Ids looked up from Python join without a shuffle of the big side; rows are right."""
    from pipereview.api.common import load_inputs
    from pipereview.metrics.details import deal_details
    from pipereview.policy import Policy

    deals = [
        {
            "deal_id": f"D{i}",
            "rep_id": "R1",
            "status": "active",
            "deal_value_usd": i,
            "probability": 0.5,
        }
        for i in range(50)
    ]
    inputs = load_inputs(deals, [{"rep_id": "R1"}], engine=spark_engine, policy=Policy())
    wanted = spark_engine.small({"_label": ["D7", "D42", "nope"]}, {"_label": "string"})
    found = deal_details(inputs.deals, wanted).order_by("deal_id")
    plan = spark_engine._spark.sql(spark_engine.con.compile(found))._jdf.queryExecution()
    assert "BroadcastHashJoin" in plan.executedPlan().toString()
    rows = spark_engine.rows(found.select("deal_id", "deal_value_usd"))
    assert [(r["deal_id"], r["deal_value_usd"]) for r in rows] == [
        ("D42", Decimal("42.0000")),
        ("D7", Decimal("7.0000")),
    ]
