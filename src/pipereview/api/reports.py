"""Reports: build, validate, explain, velocity and the demo data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from typing_extensions import Unpack

from pipereview import synthetic
from pipereview.api.common import (
    EngineLike,
    Intake,
    PolicyLike,
    StoreLike,
    load_inputs,
    one_history,
    read_history,
    resolve_policy,
    snapshot_history,
    velocity_of,
    with_earlier,
)
from pipereview.engines import DEFAULT_ENGINE, choose_engine, count_if
from pipereview.errors import InputError, NotFoundError, StoreError
from pipereview.inputs.canonical import deal_label
from pipereview.inputs.crm import load_mapped_deals
from pipereview.inputs.mapping import resolve_mapping
from pipereview.inputs.read import load
from pipereview.metrics.velocity import from_snapshots
from pipereview.report import (
    DataQualityItem,
    Inputs,
    Progress,
    Report,
    Verdict,
    data_quality,
    judge_subject,
)
from pipereview.report import build_report as _build
from pipereview.report.accuracy import last_period
from pipereview.report.forecast import build_forecast, loop_error, manager_tree
from pipereview.report.forecast_model import Forecast
from pipereview.report.history import DealHistory, build_slippage, with_history
from pipereview.report.model import Velocity
from pipereview.report.quality import known_status_counts, nothing_to_review
from pipereview.report.ruleset import RuleInfo, RuleTest
from pipereview.report.ruleset import list_rules as _list_rules
from pipereview.report.ruleset import test_rules as _test_rules
from pipereview.report.velocity import build_velocity


def build_report(
    deals: Any,
    reps: Any,
    *,
    as_of: dt.date,
    policy: PolicyLike = None,
    engine: EngineLike = DEFAULT_ENGINE,
    progress: Progress | None = None,
    store: StoreLike | None = None,
    compare_to: dt.date | None = None,
    stage_history: Any = None,
    field_history: Any = None,
    allow_empty: bool = True,
    **intake: Unpack[Intake],
) -> Report:
    """The whole pipeline review.

    ``deals`` and ``reps`` are file paths (CSV, Parquet, JSON, JSON lines) or in-memory data
    (list of dicts, pandas or polars DataFrame, pyarrow Table). ``policy`` is a Policy, a TOML
    path, a mapping of sections (validated like a file) or None for the defaults. ``engine``
    is "duckdb", "spark", an ``Engine`` (e.g. ``Engine("duckdb", memory_limit="4GB")``) or an
    existing pyspark ``SparkSession``.

    With a snapshot ``store``, the report adds a ``changes`` section against the latest
    snapshot before ``as_of`` (or the one for ``compare_to``), and the rep trajectory fills
    a missing previous pipeline or risk velocity from it. Without an earlier snapshot there
    is no ``changes`` section (``report.changes`` is None). When the store has snapshots in
    the fiscal quarter before ``as_of``'s, ``accuracy`` is that quarter's company call at
    its first and last snapshot against the actual (``api.accuracy``).

    With a ``stage_history`` or a ``field_history`` (see ``velocity``), the report adds a
    ``velocity`` section.

    Deals that leave nothing to review (every row left out as deleted, or no known status)
    raise the InputError ``validate`` would report when ``allow_empty`` is false (the CLI's
    default); the library's default builds the empty report, whose data quality says why.

    CRM exports are read as ``intake`` says (see ``Intake``): a ``preset`` ("salesforce",
    "hubspot") or a ``mapping``, with ``stages``, ``quotas``, ``rates`` and ``sheet``.
    """
    resolved = resolve_policy(policy)
    if stage_history is not None and field_history is not None:
        one_history(stage_history=stage_history, field_history=field_history)
    inputs = load_inputs(
        deals,
        reps,
        engine=engine,
        store=store,
        progress=progress,
        as_of=as_of,
        policy=resolved,
        **intake,
    )
    history = None
    chosen = resolve_mapping(intake.get("preset"), intake.get("mapping"))
    if stage_history is not None or field_history is not None:
        history = read_history(
            inputs.engine, inputs.deals, stage_history, field_history, as_of, chosen
        )
        inputs = with_history(inputs, history, as_of)
    if store is None:
        if compare_to is not None:
            raise StoreError("--compare-to needs --store", hint="name the snapshot store")
        result = _with_slippage(
            _build(inputs, resolved, as_of, progress, allow_empty), inputs, history
        )
    else:
        from pipereview.store.snapshots import Store  # the store stack, when asked for

        with Store(inputs.engine, store, read_only=True) as opened:
            dated = with_earlier(inputs, opened, as_of, compare_to)
            snapshots = None if history is not None else snapshot_history(opened, dated, as_of)
            if snapshots is not None:
                dated = with_history(dated, snapshots, as_of)
            result = _build(dated, resolved, as_of, progress, allow_empty)
            result = _with_slippage(result, dated, history or snapshots)
            if progress:
                progress("last period's accuracy")
            last = last_period(opened, inputs.engine, resolved, as_of, result.currency)
            result = result.model_copy(update={"accuracy": last})
    if history is None:
        return result
    if progress:
        progress("velocity")
    found = velocity_of(
        inputs.engine, inputs.deals, None, None, as_of, resolved, chosen, history=history
    )
    return result.model_copy(update={"velocity": found})


def _with_slippage(report: Report, inputs: Inputs, history: DealHistory | None) -> Report:
    """``report`` with its slippage section, when the history shows close dates."""
    if history is None or report.forecast is None:
        return report
    found = build_slippage(inputs.engine, history, inputs.deals, report.forecast)
    return report.model_copy(update={"slippage": found}) if found is not None else report


def forecast(
    deals: Any,
    reps: Any,
    *,
    as_of: dt.date,
    period: str = "this-quarter",
    policy: PolicyLike = None,
    engine: EngineLike = DEFAULT_ENGINE,
    progress: Progress | None = None,
    allow_empty: bool = True,
    **intake: Unpack[Intake],
) -> Forecast:
    """The forecast call for one fiscal quarter: ``period`` is "this-quarter" (the one
    holding ``as_of``), "next-quarter" or a name such as "FY2026-Q3". Forecast categories,
    the cumulative roll-ups, quota, gap and coverage for every rep, manager (recursively),
    team, region and the company, and the open pipeline by close month. A ``quotas`` table
    (``intake``) gives each rep's quota for the quarter; else a quarter of ``quota_usd``."""
    resolved = resolve_policy(policy)
    inputs = load_inputs(
        deals, reps, engine=engine, progress=progress, as_of=as_of, policy=resolved, **intake
    )
    inputs.ensure_checked()
    empty = nothing_to_review(inputs, *known_status_counts(inputs))
    if empty is not None and not allow_empty:
        raise empty
    if progress:
        progress("forecast")
    tree = manager_tree(inputs)
    if tree.loops:
        raise loop_error(tree)
    return build_forecast(inputs, resolved, as_of, period, tree=tree)


def list_rules(policy: PolicyLike = None) -> list[RuleInfo]:
    """Every rule the policy runs: the built-in ones (with the policy values they read),
    then the policy's own ``[[rules]]`` (with their conditions; disabled ones too)."""
    return _list_rules(resolve_policy(policy))


def test_rules(
    deals: Any,
    reps: Any,
    *,
    as_of: dt.date,
    policy: PolicyLike = None,
    engine: EngineLike = DEFAULT_ENGINE,
    examples: int = 3,
    progress: Progress | None = None,
    **intake: Unpack[Intake],
) -> list[RuleTest]:
    """Each enabled rule's count on the data and its first ``examples`` flags, without the
    rest of the report: try a rule before relying on it."""
    resolved = resolve_policy(policy)
    inputs = load_inputs(
        deals, reps, engine=engine, progress=progress, as_of=as_of, policy=resolved, **intake
    )
    inputs.ensure_checked()
    if progress:
        progress("rules")
    return _test_rules(inputs, resolved, as_of, examples)


# not a pytest test, though its name starts with test_
test_rules.__test__ = False  # type: ignore[attr-defined]


def validate(
    deals: Any,
    reps: Any,
    *,
    engine: EngineLike = DEFAULT_ENGINE,
    as_of: dt.date | None = None,
    policy: PolicyLike = None,
    **intake: Unpack[Intake],
) -> list[DataQualityItem]:
    """Check both inputs: raises InputError on unusable data, returns the data-quality items.
    ``intake`` (see ``Intake``) says how CRM exports are read (``as_of`` needed with a
    mapping or rates)."""
    inputs = load_inputs(
        deals,
        reps,
        engine=engine,
        as_of=as_of,
        policy=resolve_policy(policy),
        **intake,
    )
    inputs.ensure_checked()
    return data_quality(inputs)


def explain(
    subject_id: str,
    deals: Any,
    reps: Any,
    *,
    as_of: dt.date,
    policy: PolicyLike = None,
    engine: EngineLike = DEFAULT_ENGINE,
    forecast: Forecast | None = None,
    **intake: Unpack[Intake],
) -> list[Verdict]:
    """Every rule's verdict on one deal or rep as of ``as_of``: the flags it raises and, for
    the rules that do not fire, the values and why (never capped). ``subject_id`` is any name
    the report uses: a deal_id, "row N" for a deal without one, or a rep_id. NotFoundError if
    unknown. ``forecast``: the forecast section of the report being explained (a stored
    one: its quarter's quotas may come from a quota table the store does not keep)."""
    resolved = resolve_policy(policy)
    inputs = load_inputs(
        deals,
        reps,
        engine=engine,
        as_of=as_of,
        policy=resolved,
        **intake,
    )
    inputs.ensure_checked()
    d, r = inputs.deals, inputs.reps
    found = inputs.engine.one(d.aggregate(n=count_if(d, deal_label(d) == subject_id)))["n"]
    found += inputs.engine.one(r.aggregate(n=count_if(r, r.rep_id == subject_id)))["n"]
    if not found:
        raise NotFoundError(
            f"no deal or rep with id {subject_id!r}",
            hint='ids are case-sensitive; a deal without an id is named "row N" '
            "(its data row, header excluded)",
        )
    return judge_subject(inputs, resolved, subject_id, as_of, forecast)


def generate_demo(
    out_dir: str | Path, *, n_deals: int = 5000, n_reps: int = 40, seed: int = 7
) -> tuple[Path, Path]:
    """Write the synthetic demo dataset (deals.csv, reps.csv) and return the two paths."""
    deals, reps = synthetic.generate(n_deals=n_deals, n_reps=n_reps, seed=seed)
    return synthetic.write_csv(deals, reps, Path(out_dir))


def velocity(
    deals: Any = None,
    *,
    as_of: dt.date,
    stage_history: Any = None,
    field_history: Any = None,
    store: StoreLike | None = None,
    policy: PolicyLike = None,
    engine: EngineLike = DEFAULT_ENGINE,
    **intake: Unpack[Intake],
) -> Velocity:
    """Stage velocity from one history: a stage history (deal_id, stage, entered_at[,
    exited_at]), a field history (deal_id, field, old_value, new_value, changed_at), or the
    consecutive snapshots in a ``store``. ``deals`` gives each deal's outcome, created and
    close dates (with a store and no ``deals``: the latest snapshot on or before ``as_of``).
    A ``preset`` or ``mapping`` in ``intake`` reads the deals (with its ``stages``) and the
    history file through it. Velocity from a store is computed by the store's own engine
    (its DuckDB file, or its PostgreSQL server), whatever ``engine`` says."""
    one_history(stage_history=stage_history, field_history=field_history, store=store)
    resolved = resolve_policy(policy)
    runner = choose_engine(engine, store=store)
    chosen = resolve_mapping(intake.get("preset"), intake.get("mapping"))
    if store is None:
        if deals is None:
            raise InputError("velocity needs the deals", hint="pass --deals F")
        if chosen is not None:
            loaded = load_mapped_deals(runner, deals, chosen, intake.get("stages"), as_of)
        else:
            loaded = load(runner, deals, "deals")
        loaded.ensure_checked()
        return velocity_of(
            runner, loaded.table, stage_history, field_history, as_of, resolved, chosen
        )
    from pipereview.store.snapshots import Store  # the store stack, when asked for

    with Store(runner, store, read_only=True) as opened:
        runner = opened.engine  # computed where the snapshots are
        dates = [d for d in opened.dates() if d <= as_of]
        if not dates:
            raise StoreError(
                f"{opened.path}: no snapshot on or before {as_of.isoformat()}",
                hint="take snapshots first (pipereview snapshot, or snapshot --backfill)",
            )
        if deals is None:
            outcomes = opened.table("deals", dates[-1])
        else:
            loaded = load(runner, deals, "deals")
            loaded.ensure_checked()
            outcomes = loaded.table
        intervals = from_snapshots(opened.deals_through(as_of))
        return build_velocity(
            runner, intervals, outcomes, as_of=as_of, policy=resolved, source="snapshots"
        )
