"""Same data, same policy, same as_of: the same bytes — across runs, row orders and formats."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipereview import synthetic
from pipereview.api import build_report
from tests.conftest import AS_OF


def test_two_runs_identical_bytes(demo_files) -> None:
    assert (
        build_report(*demo_files, as_of=AS_OF).to_json()
        == build_report(*demo_files, as_of=AS_OF).to_json()
    )


def test_shuffled_rows_identical_output(tmp_path: Path) -> None:
    deals, reps = synthetic.generate(n_deals=3000, n_reps=30, seed=11)
    baseline = build_report(deals, reps, as_of=AS_OF).to_json()
    rng = np.random.default_rng(3)
    shuffled = deals.take(pa.array(rng.permutation(deals.num_rows)))
    shuffled_reps = reps.take(pa.array(rng.permutation(reps.num_rows)))
    assert build_report(shuffled, shuffled_reps, as_of=AS_OF).to_json() == baseline


def test_csv_parquet_json_memory_give_the_same_report(tmp_path: Path) -> None:
    deals, reps = synthetic.generate(n_deals=400, n_reps=8, seed=5)
    expected = build_report(deals, reps, as_of=AS_OF).to_json()
    csv_paths = synthetic.write_csv(deals, reps, tmp_path / "csv")
    pq_paths = synthetic.write_parquet(deals, reps, tmp_path / "pq")
    jsonl = tmp_path / "deals.jsonl"
    jsonl.write_text("".join(json.dumps(r, default=str) + "\n" for r in deals.to_pylist()))
    reps_json = tmp_path / "reps.json"
    reps_json.write_text(json.dumps(reps.to_pylist(), default=str))
    assert build_report(*csv_paths, as_of=AS_OF).to_json() == expected
    assert build_report(*pq_paths, as_of=AS_OF).to_json() == expected
    assert build_report(jsonl, reps_json, as_of=AS_OF).to_json() == expected
    assert build_report(deals.to_pandas(), reps.to_pylist(), as_of=AS_OF).to_json() == expected


def test_input_fingerprint_changes_with_one_value() -> None:
    deals, reps = synthetic.generate(n_deals=200, n_reps=5, seed=5)
    before = build_report(deals, reps, as_of=AS_OF).input_fingerprint
    values = deals.column("deal_value_usd").to_pylist()
    values[7] += 1
    changed = deals.set_column(
        deals.schema.get_field_index("deal_value_usd"), "deal_value_usd", pa.array(values)
    )
    assert build_report(changed, reps, as_of=AS_OF).input_fingerprint != before


def test_changes_and_velocity_ignore_row_order(tmp_path: Path) -> None:
    # Today's deals against a snapshot of other deals with the same ids (every movement
    # has members), with a stage history built from today's stages and days.
    import datetime as dt

    from pipereview.api import snapshot

    earlier, reps = synthetic.generate(n_deals=3000, n_reps=30, seed=12)
    deals, _ = synthetic.generate(n_deals=3000, n_reps=30, seed=11)
    store = tmp_path / "s.duckdb"
    snapshot(earlier, reps, as_of=AS_OF - dt.timedelta(days=7), store=store)
    history = pa.table(
        {
            "deal_id": deals["deal_id"],
            "stage": deals["stage"],
            "entered_at": [
                AS_OF - dt.timedelta(days=int(d or 0)) for d in deals["days_in_stage"].to_pylist()
            ],
        }
    )
    baseline = build_report(deals, reps, as_of=AS_OF, store=store, stage_history=history)
    assert baseline.changes is not None and baseline.velocity is not None
    assert all(m.deals for m in baseline.changes.deals)
    rng = np.random.default_rng(5)

    def shuffled(t: pa.Table) -> pa.Table:
        return t.take(pa.array(rng.permutation(t.num_rows)))

    again = build_report(
        shuffled(deals), shuffled(reps), as_of=AS_OF, store=store, stage_history=shuffled(history)
    )
    assert again.to_json() == baseline.to_json()
