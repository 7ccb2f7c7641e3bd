"""The library's front door. The CLI, the dashboard and ``compat`` all call these functions.

Nothing here reads the clock: ``as_of`` is always an argument.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from pipereview.errors import InputError, NotFoundError, StoreError
from pipereview.history import DEFAULT_STORE, DEFAULT_WAIT
from pipereview.history.calendar import PERIODS, PeriodName, period_range
from pipereview.history.store import SnapshotInfo, Store
from pipereview.metrics.velocity import from_field_history, from_stage_history
from pipereview.policy import Policy, default_policy_toml, load_policy
from pipereview.report import (
    DataQualityItem,
    Earlier,
    Inputs,
    Progress,
    Report,
    Verdict,
    data_quality,
    judge_subject,
)
from pipereview.report import build_report as _build
from pipereview.report.flow import Flow, build_flow, check_identity
from pipereview.report.velocity import Velocity, build_velocity
from pipereview.sources import synthetic
from pipereview.sources.backfill import bad_probabilities, deals_on, replayed_changes
from pipereview.sources.engine import Engine, count_if
from pipereview.sources.ingest import load
from pipereview.sources.quality import deal_label

__all__ = [
    "Flow",
    "Policy",
    "Report",
    "SnapshotInfo",
    "Velocity",
    "backfill",
    "build_report",
    "default_policy_toml",
    "delete_snapshot",
    "explain",
    "flow",
    "generate_demo",
    "history",
    "load_inputs",
    "load_policy",
    "snapshot",
    "stored_report",
    "validate",
    "velocity",
]

PolicyLike = Policy | str | Path | dict[str, Any] | None
EngineLike = Engine | str | Any  # "duckdb", "spark", an Engine, or a pyspark SparkSession
DEMO_AS_OF = synthetic.ANCHOR  # the demo data is dated relative to this day


def _policy(policy: PolicyLike) -> Policy:
    return policy if isinstance(policy, Policy) else load_policy(policy)


def load_inputs(
    deals: Any, reps: Any, *, engine: EngineLike = "duckdb", progress: Progress | None = None
) -> Inputs:
    """Read, check and canonicalise both inputs inside the engine.

    Files are opened by the engine's own readers; no row passes through Python unless a
    value is unusable (then the error names file, row and column). ``None`` for either
    input means "no records" (used by ``compat`` for functions that take only one).
    """
    step = progress or (lambda _: None)
    runner = Engine.of(engine)
    step("read deals")
    loaded_deals = load(runner, deals, "deals")
    step("read reps")
    loaded_reps = load(runner, reps, "reps")
    return Inputs(engine=runner, loaded_deals=loaded_deals, loaded_reps=loaded_reps)


def build_report(
    deals: Any,
    reps: Any,
    *,
    as_of: dt.date,
    policy: PolicyLike = None,
    engine: EngineLike = "duckdb",
    progress: Progress | None = None,
    store: StoreLike | None = None,
    compare_to: dt.date | None = None,
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
    is no ``changes`` section (``report.changes`` is None).
    """
    resolved = _policy(policy)
    inputs = load_inputs(deals, reps, engine=engine, progress=progress)
    if store is None:
        if compare_to is not None:
            raise StoreError("--compare-to needs --store", hint="name the snapshot store")
        return _build(inputs, resolved, as_of, progress)
    with Store(inputs.engine, store, read_only=True) as opened:
        return _build(_with_earlier(inputs, opened, as_of, compare_to), resolved, as_of, progress)


def _with_earlier(
    inputs: Inputs, opened: Store, as_of: dt.date, compare_to: dt.date | None
) -> Inputs:
    """``inputs`` with the snapshot to compare with: ``compare_to`` (which must exist and be
    before ``as_of``), else the latest before ``as_of``, else none."""
    if compare_to is not None:
        if compare_to >= as_of:
            raise StoreError(
                f"--compare-to {compare_to.isoformat()} is not before --as-of {as_of.isoformat()}",
                hint="compare with an earlier snapshot (pipereview history list)",
            )
        opened.require(compare_to)
        day = compare_to
    else:
        earlier = [d for d in opened.dates() if d < as_of]
        if not earlier:
            return inputs
        day = earlier[-1]
    return dataclasses.replace(
        inputs,
        earlier=Earlier(
            as_of=day,
            deals=opened.table("deals", day),
            reps=opened.table("reps", day),
            report_json=opened.report_json(day),
        ),
    )


def validate(deals: Any, reps: Any, *, engine: EngineLike = "duckdb") -> list[DataQualityItem]:
    """Check both inputs: raises InputError on unusable data, returns the data-quality items."""
    inputs = load_inputs(deals, reps, engine=engine)
    inputs.ensure_checked()
    return data_quality(inputs)


def explain(
    subject_id: str,
    deals: Any,
    reps: Any,
    *,
    policy: PolicyLike = None,
    engine: EngineLike = "duckdb",
) -> list[Verdict]:
    """Every rule's verdict on one deal or rep: the flags it raises and, for the rules that
    do not fire, the values and why (never capped). ``subject_id`` is any name the report
    uses: a deal_id, "row N" for a deal without one, or a rep_id. NotFoundError if unknown."""
    resolved = _policy(policy)
    inputs = load_inputs(deals, reps, engine=engine)
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
    return judge_subject(inputs, resolved, subject_id)


def generate_demo(
    out_dir: str | Path, *, n_deals: int = 5000, n_reps: int = 40, seed: int = 7
) -> tuple[Path, Path]:
    """Write the synthetic demo dataset (deals.csv, reps.csv) and return the two paths."""
    deals, reps = synthetic.generate(n_deals=n_deals, n_reps=n_reps, seed=seed)
    return synthetic.write_csv(deals, reps, Path(out_dir))


# --- history ---------------------------------------------------------------------------
StoreLike = str | Path


def snapshot(
    deals: Any,
    reps: Any,
    *,
    as_of: dt.date,
    store: StoreLike = DEFAULT_STORE,
    policy: PolicyLike = None,
    replace: bool = False,
    engine: EngineLike = "duckdb",
    progress: Progress | None = None,
    wait: float = DEFAULT_WAIT,
) -> SnapshotInfo:
    """Build the report for ``as_of`` (against the latest earlier snapshot, like
    ``build_report`` with a store) and store it with both canonical inputs, in one
    transaction. A snapshot for a date that exists is refused unless ``replace``."""
    step = progress or (lambda _: None)
    resolved = _policy(policy)
    inputs = load_inputs(deals, reps, engine=engine, progress=progress)
    with Store(inputs.engine, store, wait=wait) as opened:
        opened.check_new(as_of, replace)  # before the report is built, not after
        result = _build(_with_earlier(inputs, opened, as_of, None), resolved, as_of, progress)
        step("write snapshot")
        return opened.write(
            as_of,
            inputs.deals,
            inputs.reps,
            report_json=result.to_json(),
            input_fingerprint=result.input_fingerprint,
            policy_fingerprint=result.policy_fingerprint,
            replace=replace,
        )


def history(store: StoreLike = DEFAULT_STORE) -> list[SnapshotInfo]:
    """Every snapshot in the store, oldest first."""
    with Store(Engine("duckdb"), store, read_only=True) as opened:
        return opened.snapshots()


def stored_report(as_of: dt.date, store: StoreLike = DEFAULT_STORE) -> Report:
    """The report stored with the snapshot for ``as_of``."""
    with Store(Engine("duckdb"), store, read_only=True) as opened:
        return Report.model_validate_json(opened.report_json(as_of))


def delete_snapshot(as_of: dt.date, store: StoreLike = DEFAULT_STORE) -> None:
    """Remove the snapshot for ``as_of`` (StoreError when there is none)."""
    with Store(Engine("duckdb"), store) as opened:
        opened.delete(as_of)


def flow(
    from_date: dt.date,
    to_date: dt.date,
    *,
    store: StoreLike = DEFAULT_STORE,
    period: PeriodName = "this-quarter",
    policy: PolicyLike = None,
) -> Flow:
    """The pipeline waterfall between two snapshots, for active deals whose close date falls
    in ``period`` (a fiscal period around ``to_date``, from the policy's calendar)."""
    if from_date >= to_date:
        raise StoreError(
            f"--from {from_date.isoformat()} is not before --to {to_date.isoformat()}",
            hint="give the earlier snapshot date first",
        )
    if period not in PERIODS:
        raise StoreError(f"unknown period {period!r}", hint=f"use one of: {', '.join(PERIODS)}")
    resolved = _policy(policy)
    runner = Engine("duckdb")
    with Store(runner, store, read_only=True) as opened:
        before, after = opened.table("deals", from_date), opened.table("deals", to_date)
        for day, table in ((from_date, before), (to_date, after)):
            check_identity(runner, table, f"snapshot {day.isoformat()} in {opened.path}")
        return build_flow(
            runner,
            before,
            after,
            from_date=from_date,
            to_date=to_date,
            period=period,
            period_range=period_range(period, to_date, resolved.calendar.fiscal_year_start_month),
        )


def velocity(
    deals: Any,
    *,
    as_of: dt.date,
    stage_history: Any = None,
    field_history: Any = None,
    policy: PolicyLike = None,
    engine: EngineLike = "duckdb",
) -> Velocity:
    """Stage velocity from a stage history (deal_id, stage, entered_at[, exited_at]) or a
    field history (deal_id, field, old_value, new_value, changed_at); ``deals`` gives each
    deal's outcome, created and close dates. Give exactly one of the two histories."""
    if (stage_history is None) == (field_history is None):
        raise InputError(
            "velocity needs one history: a stage history or a field history",
            hint="pass --stage-history F or --field-history F (not both)",
        )
    resolved = _policy(policy)
    runner = Engine.of(engine)
    loaded = load(runner, deals, "deals")
    loaded.ensure_checked()
    if stage_history is not None:
        history_input = load(runner, stage_history, "stage_history")
        history_input.ensure_checked()
        intervals = from_stage_history(history_input.table)
    else:
        history_input = load(runner, field_history, "field_history")
        history_input.ensure_checked()
        intervals = from_field_history(history_input.table, loaded.table)
    return build_velocity(
        runner,
        intervals,
        loaded.table,
        as_of=as_of,
        policy=resolved,
        source="stage_history" if stage_history is not None else "field_history",
    )


def backfill(
    deals: Any,
    reps: Any,
    *,
    field_history: Any,
    dates: list[dt.date],
    as_of: dt.date,
    store: StoreLike = DEFAULT_STORE,
    policy: PolicyLike = None,
    replace: bool = False,
    engine: EngineLike = "duckdb",
    progress: Progress | None = None,
    wait: float = DEFAULT_WAIT,
) -> list[SnapshotInfo]:
    """Snapshots for past ``dates`` replayed from today's export (taken on ``as_of``) and
    its field history (``sources/backfill.py``): each as ``snapshot`` would have stored it
    then, in its own transaction, oldest first. The reps are today's records on every date.
    Every date is checked before anything is written (no date may exist unless ``replace``,
    none may be after ``as_of``)."""
    step = progress or (lambda _: None)
    resolved = _policy(policy)
    late = [d for d in dates if d > as_of]
    if late:
        raise InputError(
            f"cannot backfill {late[0].isoformat()}: it is after the export's date "
            f"{as_of.isoformat()}",
            hint="give --as-of the day the deals were exported, and dates up to it",
        )
    inputs = load_inputs(deals, reps, engine=engine, progress=progress)
    inputs.ensure_checked()
    step("read field history")
    history_input = load(inputs.engine, field_history, "field_history")
    history_input.ensure_checked()
    changes = inputs.engine.cache(replayed_changes(history_input.table))
    bad = inputs.engine.rows(bad_probabilities(changes).order_by("_row").limit(1))
    if bad:
        row = int(bad[0]["_row"])
        in_text = history_input.delimiter is not None  # header = line 1
        raise InputError(
            f"probability {bad[0]['old_value']!r} is not a ratio from 0 to 1",
            source=history_input.source,
            row=None if in_text else row,
            line=row + 1 if in_text else None,
            column="old_value",
            hint="divide 0-100 probabilities by 100 (Salesforce's Probability is a percent)",
        )
    infos = []
    with Store(inputs.engine, store, wait=wait) as opened:
        for day in dates:
            opened.check_new(day, replace)
        for day in sorted(dates):
            step(f"backfill {day.isoformat()}")
            then = inputs.engine.cache(deals_on(inputs.deals, changes, day, as_of, resolved))
            loaded_then = dataclasses.replace(inputs.loaded_deals, table=then, checked=True)
            day_inputs = dataclasses.replace(inputs, loaded_deals=loaded_then)
            result = _build(_with_earlier(day_inputs, opened, day, None), resolved, day, progress)
            infos.append(
                opened.write(
                    day,
                    then,
                    inputs.reps,
                    report_json=result.to_json(),
                    input_fingerprint=result.input_fingerprint,
                    policy_fingerprint=result.policy_fingerprint,
                    replace=replace,
                )
            )
    return infos
