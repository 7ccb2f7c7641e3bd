"""What the report and history functions share: input types, loading, the earlier
snapshot and the velocity inputs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from pipereview.errors import InputError, StoreError
from pipereview.history.store import Store
from pipereview.metrics.velocity import from_field_history, from_stage_history
from pipereview.policy import Policy, load_policy
from pipereview.report import Earlier, Inputs, Progress
from pipereview.report.model import Velocity
from pipereview.report.velocity import build_velocity
from pipereview.sources import synthetic
from pipereview.sources.engine import Engine
from pipereview.sources.ingest import load

PolicyLike = Policy | str | Path | dict[str, Any] | None
EngineLike = Engine | str | Any  # "duckdb", "spark", an Engine, or a pyspark SparkSession
DEMO_AS_OF = synthetic.ANCHOR  # the demo data is dated relative to this day


def resolve_policy(policy: PolicyLike) -> Policy:
    """A Policy as given, or loaded from a TOML path or a mapping (None: the defaults)."""
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


StoreLike = str | Path


def with_earlier(
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


def one_history(**given: Any) -> None:
    """InputError unless exactly one of the velocity sources (named by their CLI flags:
    stage_history, field_history, store) is given."""
    if sum(v is not None for v in given.values()) != 1:
        flags = [f"--{name.replace('_', '-')}" for name in given]
        kinds = [name.replace("_", " ") for name in given]
        raise InputError(
            f"velocity needs one history: a {', a '.join(kinds[:-1])} or a {kinds[-1]}",
            hint=f"pass one of {', '.join(flags)} (not several)",
        )


def velocity_of(
    runner: Engine,
    deals: Any,
    stage_history: Any,
    field_history: Any,
    as_of: dt.date,
    policy: Policy,
) -> Velocity:
    """Read the one history given and build the Velocity over the canonical ``deals``."""
    if stage_history is not None:
        history_input = load(runner, stage_history, "stage_history")
        history_input.ensure_checked()
        intervals = from_stage_history(history_input.table)
    else:
        history_input = load(runner, field_history, "field_history")
        history_input.ensure_checked()
        intervals = from_field_history(history_input.table, deals)
    return build_velocity(
        runner,
        intervals,
        deals,
        as_of=as_of,
        policy=policy,
        source="stage_history" if stage_history is not None else "field_history",
    )
