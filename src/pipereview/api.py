"""The library's front door. The CLI, the dashboard and ``compat`` all call these functions.

Nothing here reads the clock: ``as_of`` is always an argument.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pipereview.errors import NotFoundError
from pipereview.policy import Policy, default_policy_toml, load_policy
from pipereview.report import (
    DataQualityItem,
    Flag,
    Inputs,
    Progress,
    Report,
    data_quality,
    evaluate_rules,
)
from pipereview.report import build_report as _build
from pipereview.sources import synthetic
from pipereview.sources.canonical import CanonicalTable, canonicalize, empty_canonical
from pipereview.sources.engine import Engine
from pipereview.sources.fingerprint import input_fingerprint
from pipereview.sources.readers import read_source

__all__ = [
    "Policy",
    "Report",
    "build_report",
    "default_policy_toml",
    "explain",
    "generate_demo",
    "load_inputs",
    "load_policy",
    "validate",
]

PolicyLike = Policy | str | Path | None
DEMO_AS_OF = synthetic.ANCHOR  # the demo data is dated relative to this day


def _policy(policy: PolicyLike) -> Policy:
    return policy if isinstance(policy, Policy) else load_policy(policy)


def _canonical(obj: Any, table: str) -> CanonicalTable:
    return empty_canonical(table) if obj is None else canonicalize(read_source(obj, table), table)


def load_inputs(
    deals: Any, reps: Any, *, engine: str | Engine = "duckdb", progress: Progress | None = None
) -> Inputs:
    """Read, check and canonicalise both inputs and load them into an engine.

    ``None`` for either input means "no records" (used by ``compat`` for the functions that
    take only deals or only reps).
    """
    step = progress or (lambda _: None)
    step("read deals")
    canonical_deals = _canonical(deals, "deals")
    step("read reps")
    canonical_reps = _canonical(reps, "reps")
    step("load engine")
    runner = engine if isinstance(engine, Engine) else Engine(engine)
    return Inputs(
        engine=runner,
        deals=runner.load(canonical_deals.data, "deals"),
        reps=runner.load(canonical_reps.data, "reps"),
        absent_columns={
            "deals": canonical_deals.absent_columns,
            "reps": canonical_reps.absent_columns,
        },
        input_fingerprint=input_fingerprint(canonical_deals.data, canonical_reps.data),
    )


def build_report(
    deals: Any,
    reps: Any,
    *,
    as_of: dt.date,
    policy: PolicyLike = None,
    engine: str | Engine = "duckdb",
    progress: Progress | None = None,
) -> Report:
    """The whole pipeline review.

    ``deals`` and ``reps`` are file paths (CSV, Parquet, JSON, JSON lines) or in-memory data
    (list of dicts, pandas or polars DataFrame, pyarrow Table). ``policy`` is a Policy, a TOML
    path or None for the defaults. ``engine`` is "duckdb", "spark" or an ``Engine``.
    """
    resolved = _policy(policy)
    inputs = load_inputs(deals, reps, engine=engine, progress=progress)
    return _build(inputs, resolved, as_of, progress)


def validate(deals: Any, reps: Any, *, engine: str | Engine = "duckdb") -> list[DataQualityItem]:
    """Check both inputs: raises InputError on unusable data, returns the data-quality items."""
    return data_quality(load_inputs(deals, reps, engine=engine))


def explain(
    subject_id: str,
    deals: Any,
    reps: Any,
    *,
    policy: PolicyLike = None,
    engine: str | Engine = "duckdb",
) -> list[Flag]:
    """Every flag on one deal or rep (never capped). NotFoundError if the id is unknown."""
    resolved = _policy(policy)
    inputs = load_inputs(deals, reps, engine=engine)
    known = (
        inputs.engine.one(
            inputs.deals.aggregate(n=inputs.deals.count(where=inputs.deals.deal_id == subject_id))
        )["n"]
        + inputs.engine.one(
            inputs.reps.aggregate(n=inputs.reps.count(where=inputs.reps.rep_id == subject_id))
        )["n"]
    )
    if not known:
        raise NotFoundError(
            f"no deal or rep with id {subject_id!r}",
            hint="ids are case-sensitive; check the deal_id / rep_id columns",
        )
    flags, _ = evaluate_rules(inputs, resolved, subject_id=subject_id)
    return flags


def generate_demo(
    out_dir: str | Path, *, n_deals: int = 5000, n_reps: int = 40, seed: int = 7
) -> tuple[Path, Path]:
    """Write the synthetic demo dataset (deals.csv, reps.csv) and return the two paths."""
    deals, reps = synthetic.generate(n_deals=n_deals, n_reps=n_reps, seed=seed)
    return synthetic.write_csv(deals, reps, Path(out_dir))
