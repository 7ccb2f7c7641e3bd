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
    Inputs,
    Progress,
    Report,
    Verdict,
    data_quality,
    judge_subject,
)
from pipereview.report import build_report as _build
from pipereview.sources import synthetic
from pipereview.sources.engine import Engine, count_if
from pipereview.sources.ingest import load
from pipereview.sources.quality import deal_label

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
) -> Report:
    """The whole pipeline review.

    ``deals`` and ``reps`` are file paths (CSV, Parquet, JSON, JSON lines) or in-memory data
    (list of dicts, pandas or polars DataFrame, pyarrow Table). ``policy`` is a Policy, a TOML
    path, a mapping of sections (validated like a file) or None for the defaults. ``engine``
    is "duckdb", "spark", an ``Engine`` (e.g. ``Engine("duckdb", memory_limit="4GB")``) or an
    existing pyspark ``SparkSession``.
    """
    resolved = _policy(policy)
    inputs = load_inputs(deals, reps, engine=engine, progress=progress)
    return _build(inputs, resolved, as_of, progress)


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
