"""History: snapshots (direct and backfilled), listing, reading back, the flow."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from typing_extensions import Unpack

from pipereview.api.common import (
    EngineLike,
    Intake,
    PolicyLike,
    StoreLike,
    load_inputs,
    read_report,
    resolve_policy,
    with_earlier,
)
from pipereview.engines import DEFAULT_ENGINE, choose_engine
from pipereview.errors import InputError, StoreError
from pipereview.inputs.read import load
from pipereview.periods import parse_period
from pipereview.policy import Policy
from pipereview.report import Inputs, Progress, Report
from pipereview.report import build_report as _build
from pipereview.report.flow import Flow, build_flow, check_identity
from pipereview.schema import ROW_COLUMN
from pipereview.store import DEFAULT_STORE, DEFAULT_WAIT
from pipereview.store.backfill import bad_values, deals_on, replayed_changes
from pipereview.store.snapshots import SnapshotInfo, Store


def snapshot(
    deals: Any,
    reps: Any,
    *,
    as_of: dt.date,
    store: StoreLike = DEFAULT_STORE,
    policy: PolicyLike = None,
    replace: bool = False,
    engine: EngineLike = DEFAULT_ENGINE,
    progress: Progress | None = None,
    wait: float = DEFAULT_WAIT,
    allow_empty: bool = True,
    **intake: Unpack[Intake],
) -> SnapshotInfo:
    """Build the report for ``as_of`` (against the latest earlier snapshot, like
    ``build_report`` with a store) and store it with both canonical inputs, in one
    transaction. A snapshot for a date that exists is refused unless ``replace``. A
    ``intake`` (see ``Intake``) reads CRM exports as ``build_report`` does."""
    resolved = resolve_policy(policy)
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
    with Store(inputs.engine, store, wait=wait) as opened:
        opened.check_new(as_of, replace)  # before the report is built, not after
        return _store_day(opened, inputs, as_of, resolved, replace, progress, allow_empty)


def _store_day(
    opened: Store,
    inputs: Inputs,
    as_of: dt.date,
    policy: Policy,
    replace: bool,
    progress: Progress | None,
    allow_empty: bool = True,
) -> SnapshotInfo:
    """Build the report for ``as_of`` against the latest earlier snapshot in ``opened`` and
    write it with both canonical inputs (one transaction)."""
    dated = with_earlier(inputs, opened, as_of, None)
    result = _build(dated, policy, as_of, progress, allow_empty)
    if progress:
        progress("write snapshot")
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
    with Store(choose_engine(store=store), store, read_only=True) as opened:
        return opened.snapshots()


def stored_report(as_of: dt.date, store: StoreLike = DEFAULT_STORE) -> Report:
    """The report stored with the snapshot for ``as_of``."""
    with Store(choose_engine(store=store), store, read_only=True) as opened:
        return read_report(opened, as_of)[1]


def delete_snapshot(as_of: dt.date, store: StoreLike = DEFAULT_STORE) -> None:
    """Remove the snapshot for ``as_of`` (StoreError when there is none)."""
    with Store(choose_engine(store=store), store) as opened:
        opened.delete(as_of)


def flow(
    from_date: dt.date,
    to_date: dt.date,
    *,
    store: StoreLike = DEFAULT_STORE,
    period: str = "this-quarter",
    policy: PolicyLike = None,
) -> Flow:
    """The pipeline waterfall between two snapshots, for active deals whose close date falls
    in ``period`` (``periods.parse_period`` around ``to_date``, from the policy's calendar;
    ``all``: any close date)."""
    if from_date >= to_date:
        raise StoreError(
            f"--from {from_date.isoformat()} is not before --to {to_date.isoformat()}",
            hint="give the earlier snapshot date first",
        )
    resolved = resolve_policy(policy)
    found = parse_period(period, to_date, resolved.calendar.fiscal_year_start_month, allow_all=True)
    runner = choose_engine(store=store)
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
            period_range=(found.first, found.last),
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
    engine: EngineLike = DEFAULT_ENGINE,
    progress: Progress | None = None,
    wait: float = DEFAULT_WAIT,
) -> list[SnapshotInfo]:
    """Snapshots for past ``dates`` replayed from today's export (taken on ``as_of``) and
    its field history (``store/backfill.py``): each as ``snapshot`` would have stored it
    then, in its own transaction, oldest first. The reps are today's records on every date.
    Every date is checked before anything is written (no date may exist unless ``replace``,
    none may be after ``as_of``)."""
    step = progress or (lambda _: None)
    resolved = resolve_policy(policy)
    late = [d for d in dates if d > as_of]
    if late:
        raise InputError(
            f"cannot backfill {late[0].isoformat()}: it is after the export's date "
            f"{as_of.isoformat()}",
            hint="give --as-of the day the deals were exported, and dates up to it",
        )
    inputs = load_inputs(deals, reps, engine=engine, progress=progress, store=store)
    inputs.ensure_checked()
    step("read field history")
    history_input = load(inputs.engine, field_history, "field_history")
    history_input.ensure_checked()
    changes = inputs.engine.cache(replayed_changes(history_input.table))
    bad = inputs.engine.rows(bad_values(changes).order_by("_row").limit(1))
    if bad:
        row, field = int(bad[0]["_row"]), bad[0]["_col"]
        in_text = history_input.delimiter is not None  # header = line 1
        raise InputError(
            f"{bad[0]['field']} value {bad[0]['old_value']!r} cannot be read as "
            + ("a probability from 0 to 1" if field == "probability" else field),
            source=history_input.source,
            row=None if in_text else row,
            line=row + 1 if in_text else None,
            column="old_value",
            hint="divide 0-100 probabilities by 100 (Salesforce's Probability is a percent)"
            if field == "probability"
            else "fix or remove the row; money as a plain number, dates as YYYY-MM-DD",
        )
    infos = []
    with Store(inputs.engine, store, wait=wait) as opened:
        for day in dates:
            opened.check_new(day, replace)
        for done, day in enumerate(sorted(dates)):
            step(f"backfill {day.isoformat()} ({done + 1} of {len(dates)})")
            then = inputs.engine.cache(deals_on(inputs.deals, changes, day, as_of, resolved))
            loaded_then = dataclasses.replace(inputs.loaded_deals, table=then, checked=True)
            day_inputs = dataclasses.replace(inputs, loaded_deals=loaded_then)
            infos.append(_store_day(opened, day_inputs, day, resolved, replace, progress))
            inputs.engine.release(then)  # one day's deals at a time, however many dates
    return infos


def snapshot_inputs(as_of: dt.date, store: StoreLike = DEFAULT_STORE) -> tuple[Any, Any]:
    """The canonical deals and reps stored with one snapshot, as Arrow tables in their
    source row order, to explain a deal or rep of that day. StoreError when there is none."""
    with Store(choose_engine(store=store), store, read_only=True) as opened:
        opened.require(as_of)
        deals, reps = opened.table("deals", as_of), opened.table("reps", as_of)
        return (
            deals.order_by(ROW_COLUMN).drop(ROW_COLUMN).to_pyarrow(),
            reps.order_by(ROW_COLUMN).drop(ROW_COLUMN).to_pyarrow(),
        )
