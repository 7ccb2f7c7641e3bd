"""The compiled query plan (engines/plan.py): a cached plan gives the bytes a fresh one and
the direct path give, for any report date; its key changes with everything the SQL depends
on (policy, a column's type, the library versions) and nothing else."""

from __future__ import annotations

import datetime as dt

import ibis
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipereview import synthetic
from pipereview.api import build_report
from pipereview.engines import Engine
from pipereview.engines.duckdb import DuckDBEngine
from pipereview.engines.plan import _PLANS, Runner, clear_plans, library_versions, plan_key
from pipereview.engines.template import SLOT, NotCacheable, compile_query
from pipereview.policy import Policy
from pipereview.report.queries import deals_scan, report_values

DATES = (
    synthetic.ANCHOR,
    dt.date(2024, 2, 29),  # a leap day
    dt.date(2025, 12, 31),  # a year end
    dt.date(2026, 1, 1),  # the first day of a fiscal year (days elapsed: 1)
)


@pytest.fixture(scope="module")
def data() -> tuple[object, object]:
    return synthetic.generate(n_deals=300, n_reps=6, seed=3)


def _direct(data: tuple[object, object], as_of: dt.date, monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as m:
        m.setattr(DuckDBEngine, "runs_plans", False)  # every query from its expression
        return build_report(*data, as_of=as_of).to_json()


def test_cached_fresh_and_direct_give_the_same_bytes(data, monkeypatch) -> None:
    clear_plans()
    fresh = build_report(*data, as_of=synthetic.ANCHOR).to_json()  # compiles the plans
    # each input's canonical table, the deals' currency check, the report's scans, the
    # forecast's and the roll-ups' queries
    plans = len(_PLANS)
    assert plans == 6
    assert fresh == _direct(data, synthetic.ANCHOR, monkeypatch)
    for as_of in DATES:  # the plan compiled for the anchor, run for other dates
        cached = build_report(*data, as_of=as_of).to_json()
        assert cached == _direct(data, as_of, monkeypatch), as_of
    assert len(_PLANS) == plans  # the report date is a value, not part of the key


def test_a_changed_policy_or_column_type_misses(data) -> None:
    clear_plans()
    build_report(*data, as_of=synthetic.ANCHOR)
    build_report(*data, as_of=synthetic.ANCHOR, policy={"reps": {"top_opportunities": 2}})
    # the inputs' and the currency check's (whatever the policy), and the report's, the
    # forecast's and the roll-ups' per policy
    assert len(_PLANS) == 3 + 3 * 2
    engine = Engine("duckdb")
    values = report_values(synthetic.ANCHOR, Policy())
    engine.con.create_table("plain", data[0], temp=True)
    deals = engine.con.table("plain")
    engine.con.create_table("typed", deals.cast({"deal_value_usd": "string"}), temp=True)
    typed = engine.con.table("typed")
    first = Runner(engine, Policy().fingerprint(), {"deals": deals}, values).plan
    second = Runner(engine, Policy().fingerprint(), {"deals": typed}, values).plan
    assert first is not None and second is not None
    assert first.key != second.key


def test_another_policy_compiles_only_the_queries_it_changes(data, monkeypatch) -> None:
    """A query that reads none of the changed settings is built again but not compiled
    again (its structure is the one compiled for the first policy); the report is the one
    a process that never saw the first policy builds."""
    from pipereview.engines import plan

    compiled: list[object] = []
    real = plan.template.compile_query

    def counted(*args: object, **kwargs: object) -> object:
        compiled.append(args[1])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    changed = {"pipeline": {"stalled_deal_days_in_stage": 40}}
    clear_plans()
    alone = build_report(*data, as_of=synthetic.ANCHOR, policy=changed).to_json()
    clear_plans()
    build_report(*data, as_of=synthetic.ANCHOR)
    before = set(_PLANS)
    monkeypatch.setattr(plan.template, "compile_query", counted)
    again = build_report(*data, as_of=synthetic.ANCHOR, policy=changed).to_json()
    assert again == alone
    looked_up = sum(len(_PLANS[key].queries) for key in set(_PLANS) - before)
    # stalled deals are counted in a few queries (the scans, per rep, flagged); the others
    # (the forecast's, the roll-ups', the data-quality checks', ...) are the same
    assert looked_up > 30
    assert 0 < len(compiled) <= 5


def _key(**change: object) -> str:
    fields: dict[str, object] = {
        "policy_fingerprint": "p",
        "dialect": "duckdb",
        "schemas": {"deals": (("amount", "decimal(18, 2)"),)},
        "value_types": {"as_of": "date"},
        "versions": library_versions(),
    }
    return plan_key(**(fields | change))  # type: ignore[arg-type]


def test_the_key_names_everything_the_sql_depends_on() -> None:
    base = _key()
    assert _key() == base
    assert _key(policy_fingerprint="q") != base
    assert _key(dialect="postgres") != base
    assert _key(schemas={"deals": (("amount", "string"),)}) != base
    assert _key(value_types={"as_of": "string"}) != base
    bumped = tuple((n, v + ".1" if n == "pipereview" else v) for n, v in library_versions())
    assert _key(versions=bumped) != base


@settings(max_examples=25, deadline=None)
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_template_equals_the_direct_compile(as_of: dt.date) -> None:
    """The template, filled with a date's values, is the text Ibis compiles with them. (On a
    fiscal period's first day two values are equal and the direct build computes the two
    sums once, a different text with the same row: the byte test above covers that date.)"""
    policy = Policy()
    values = report_values(as_of, policy)
    assume(len({v for _, v in values.values()}) == len(values))
    engine = Engine("duckdb")
    compiler = engine.con.compiler
    deals = ibis.table(_canonical_schema(engine), name=SLOT.format("deals"))
    build = deals_scan(engine, policy)
    types = {n: t for n, (t, _) in values.items()}
    params = {n: ibis.param(t) for n, t in types.items()}
    expr, _ = build({"deals": deals}, params)
    template = compile_query(compiler, expr, params, types, None)
    direct, _ = build({"deals": deals}, {n: v for n, (_, v) in values.items()})
    expected = compiler.to_sqlglot(direct).sql(dialect=compiler.dialect)
    runner = Runner(engine, policy.fingerprint(), {}, values)
    assert template.sql({"deals": f'"{SLOT.format("deals")}"'}, runner.literals()) == expected


@pytest.mark.parametrize("dtype", ["int64", "string", "date"])
def test_a_value_is_cut_only_where_it_stands_alone(dtype: str) -> None:
    """A value's sentinel is cut where its literal stands alone, both times it is used; a
    longer number or string holding the sentinel's text is left alone, and the template is
    then refused (the run compiles it directly), never filled wrongly."""
    engine = Engine("duckdb")
    compiler = engine.con.compiler
    t = ibis.table({"x": dtype}, name=SLOT.format("t"))
    p = ibis.param(dtype)
    expr = t.filter((t.x == p) | (t.x.isnull() & p.notnull()))
    template = compile_query(compiler, expr, {"v": p}, {"v": dtype}, None)
    value = {"int64": 5, "string": "a'b", "date": dt.date(2026, 11, 20)}[dtype]
    direct = t.filter((t.x == value) | (t.x.isnull() & ibis.literal(value, dtype).notnull()))
    runner = Runner(engine, "p", {}, {"v": (dtype, value)})
    expected = compiler.to_sqlglot(direct).sql(dialect=compiler.dialect)
    assert template.sql({"t": f'"{SLOT.format("t")}"'}, runner.literals()) == expected
    longer = {"int64": 1987654321000, "string": "x__pr_param_0__", "date": "1901-01-01x"}
    holder = t.mutate(y=ibis.literal(longer[dtype])).filter(t.x == p)
    with pytest.raises(NotCacheable):
        compile_query(compiler, holder, {"v": p}, {"v": dtype}, None)


def _canonical_schema(engine: Engine) -> ibis.Schema:
    deals, _ = synthetic.generate(n_deals=5, n_reps=2, seed=1)
    from pipereview.api.common import load_inputs

    inputs = load_inputs(deals, synthetic.generate_reps(2), engine=engine)
    return inputs.deals.schema()


def test_the_forecast_from_its_plan_is_the_direct_forecast(data, monkeypatch) -> None:
    """Each period kind (a quarter's share of the annual quota, a half's, none for a
    month) and a quota table are in the forecast queries' names: one process runs them all
    in turn, and a plan compiled for one never serves another."""
    from pipereview.api import forecast

    deals, reps = data
    ids = sorted(set(reps.column("rep_id").to_pylist()))  # type: ignore[attr-defined]
    quotas = [
        {"rep_id": rep, "period_start": f"2026-{month:02d}-01", "quota": 1000.25 * (i + month)}
        for i, rep in enumerate(ids)
        for month in (1, 4, 10, 11, 12)
    ]
    clear_plans()
    for extra in ({}, {"quotas": quotas}):
        for period in ("this-quarter", "this-half", "this-month", "this-year", "this-quarter"):
            planned = forecast(deals, reps, as_of=synthetic.ANCHOR, period=period, **extra)
            with monkeypatch.context() as m:
                m.setattr(DuckDBEngine, "runs_plans", False)
                direct = forecast(deals, reps, as_of=synthetic.ANCHOR, period=period, **extra)
            assert planned.model_dump_json() == direct.model_dump_json(), (period, extra.keys())


def test_an_earlier_snapshot_and_its_absence_are_apart_in_one_process(
    data, tmp_path, monkeypatch
) -> None:
    """The rep trajectory reads an earlier snapshot's reps when the store has one: its
    named queries carry that in their names, so one process runs reports without and with
    it in turn, each the bytes of the direct path (and the rule lists and rows read from
    the kept trajectory with them)."""
    from pipereview.api import snapshot

    deals, reps = data
    store = tmp_path / "store"
    earlier = synthetic.ANCHOR - dt.timedelta(days=14)
    clear_plans()
    alone = build_report(deals, reps, as_of=earlier).to_json()
    snapshot(deals, reps, as_of=earlier, store=store)
    for store_or_none in (store, None, store):
        planned = build_report(deals, reps, as_of=synthetic.ANCHOR, store=store_or_none)
        with monkeypatch.context() as m:
            m.setattr(DuckDBEngine, "runs_plans", False)
            direct = build_report(deals, reps, as_of=synthetic.ANCHOR, store=store_or_none)
        assert planned.to_json() == direct.to_json()
        assert (planned.changes is not None) == (store_or_none is not None)
    assert alone == _direct(data, earlier, monkeypatch)


def test_a_mapped_input_runs_the_named_queries(monkeypatch) -> None:
    """A preset's deals (mapped, filtered, with a stage table) are a view the plans can
    bind: the report runs its named queries (four plans), with the direct path's bytes."""
    from pathlib import Path

    crm = Path(__file__).parents[1] / "fixtures" / "crm" / "salesforce"
    files = (crm / "Opportunity.csv", crm / "User.csv")
    as_of = dt.date(2026, 11, 22)
    clear_plans()
    planned = build_report(*files, as_of=as_of, preset="salesforce").to_json()
    assert len(_PLANS) == 4  # the currency check's, the report's, the forecast's, the roll-ups'
    with monkeypatch.context() as m:
        m.setattr(DuckDBEngine, "runs_plans", False)
        assert planned == build_report(*files, as_of=as_of, preset="salesforce").to_json()
