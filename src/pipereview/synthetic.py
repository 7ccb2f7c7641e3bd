"""Deterministic synthetic CRM data (deals and reps) for demos, tests and benchmarks.

Everything is vectorised with numpy and built straight into pyarrow arrays, so ten million
deals take seconds, not minutes. Nothing reads the clock: dates are relative to ``ANCHOR``.
Same arguments give the same tables and byte-identical files (for one installed pyarrow).

Deals are generated in fixed blocks of ``_BLOCK`` rows, each with its own random stream
keyed by ``(seed, block index)``, so the data does not depend on the batch size used to
stream it and ``generate`` equals the concatenation of ``iter_deal_batches``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ANCHOR = date(2026, 11, 20)
_ANCHOR_DAYS = (ANCHOR - date(1970, 1, 1)).days
_BLOCK = 1 << 20

DEALS_SCHEMA = pa.schema(
    [
        ("deal_id", pa.string()),
        ("rep_id", pa.string()),
        ("status", pa.string()),
        ("deal_value_usd", pa.float64()),
        ("probability", pa.float64()),
        ("days_in_stage", pa.int64()),
        ("risk_flags", pa.list_(pa.string())),
        ("stage", pa.string()),
        ("created_date", pa.date32()),
        ("close_date", pa.date32()),
        ("forecast_category", pa.string()),
        ("currency", pa.string()),
        ("amount", pa.float64()),
    ]
)

REPS_SCHEMA = pa.schema(
    [
        ("rep_id", pa.string()),
        ("rep_name", pa.string()),
        ("quota_usd", pa.float64()),
        ("year_to_date_revenue_usd", pa.float64()),
        ("close_rate", pa.float64()),
        ("quota_3m", pa.float64()),
        ("closed_won_3m_current", pa.float64()),
        ("current_pipeline_value", pa.float64()),
        ("previous_pipeline_value", pa.float64()),
        ("risk_velocity_flag", pa.string()),
        ("risk_score_current", pa.float64()),
        ("manager_id", pa.string()),
        ("team", pa.string()),
        ("region", pa.string()),
    ]
)

# fmt: off
RISK_FLAGS = (
    "no_champion", "budget_cut", "competitor_engaged", "legal_review", "no_next_step",
    "pushed_close_date", "single_threaded"
)
OPEN_STAGES = ("Prospecting", "Qualification", "Discovery", "Proposal", "Negotiation", "Commit")
_STAGE_PROB = np.array([0.10, 0.20, 0.35, 0.55, 0.75, 0.90])
_STAGE_WEIGHTS = np.array([0.24, 0.21, 0.18, 0.15, 0.12, 0.10])
# Index 0..5 = open stages, 6 = Closed Won, 7 = Closed Lost.
_STAGES = (*OPEN_STAGES, "Closed Won", "Closed Lost")
_FORECAST = ("Pipeline", "Best Case", "Commit", "Closed", "Omitted")
_STAGE_TO_FORECAST = np.array([0, 0, 0, 1, 1, 2, 3, 4], dtype=np.int8)
_STATUS = ("active", "won", "lost")
_USD = ("USD",)
_REGIONS = ("NA-East", "NA-West", "EMEA", "APAC", "LATAM")
_VELOCITY = ("increasing", "stable", "decreasing")
_FIRST = (
    "Ava", "Ben", "Chloe", "Diego", "Elena", "Farah", "Gabriel", "Hana", "Isaac", "Jade", "Kenji",
    "Lena", "Marcus", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Samuel", "Tara", "Umar", "Vera",
    "Wei", "Ximena", "Yusuf", "Zoe"
)
_LAST = (
    "Anderson", "Brooks", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
    "Johnson", "Kowalski", "Lopez", "Murphy", "Nguyen", "Okafor", "Patel", "Rossi", "Silva",
    "Tanaka", "Weber"
)
# fmt: on


def _id_array(prefix: str, nums: np.ndarray, width: int) -> pa.StringArray:
    """Build ``prefix + zero-padded nums`` as a StringArray without a Python loop per row."""
    n = len(nums)
    row = len(prefix) + width
    buf = np.empty((n, row), dtype=np.uint8)
    buf[:, : len(prefix)] = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    rest = nums.astype(np.int64)
    for j in range(row - 1, len(prefix) - 1, -1):
        buf[:, j] = 48 + rest % 10
        rest = rest // 10
    offsets = np.arange(0, (n + 1) * row, row, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf))


def _width(n: int, minimum: int) -> int:
    return max(minimum, len(str(max(n, 1))))


def _take(labels: tuple[str, ...], idx: np.ndarray) -> pa.Array:
    # labels as a tuple, made an array here: pa.array imports pandas, which a module that
    # the CLI imports should not (the labels were arrays built at import)
    return pc.take(pa.array(labels, pa.string()), pa.array(idx))


def _rep_weights(n_reps: int, seed: int) -> np.ndarray:
    """Cumulative share of deals per rep: uneven (log-normal), some reps carry far more."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,)))
    w = rng.lognormal(0.0, 0.8, n_reps)
    cum = np.cumsum(w)
    return cum / cum[-1]


def generate_reps(n_reps: int = 40, seed: int = 7) -> pa.Table:
    """Return the reps table (canonical columns, ``REPS_SCHEMA``)."""
    if n_reps < 1:
        raise ValueError("n_reps must be at least 1")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    n = n_reps
    rep_ids = _id_array("R", np.arange(1, n + 1), _width(n, 4))
    # distinct names while there are enough (26 x 20), as a real team's would be
    combos = len(_FIRST) * len(_LAST)
    picks = rng.permutation(combos)[:n] if n <= combos else rng.integers(0, combos, n)
    names = [f"{_FIRST[k // len(_LAST)]} {_LAST[k % len(_LAST)]}" for k in picks]

    quota = rng.integers(600, 1501, n).astype(np.float64) * 1000.0
    bad = rng.random(n) < 0.05
    if not bad.any():
        bad[int(rng.integers(0, n))] = True
    zero_quota = bad & (rng.random(n) < 0.5)
    null_quota = bad & ~zero_quota
    quota[zero_quota] = 0.0
    attain = rng.uniform(0.35, 1.35, n)
    ytd = np.where(bad, rng.integers(200, 1200, n) * 1000.0, np.round(quota * attain))
    close_rate = np.round(rng.uniform(0.10, 0.60, n), 2)
    null_close = rng.random(n) < 0.10

    quota_3m = quota / 4.0
    won_3m = np.where(
        bad, rng.integers(50, 300, n) * 1000.0, np.round(quota_3m * rng.uniform(0.4, 1.6, n))
    )
    current = np.round(rng.uniform(200_000, 2_000_000, n))
    kind = rng.integers(0, 3, n)  # 0 improving, 1 declining, 2 stable
    change = np.select(
        [kind == 0, kind == 1],
        [rng.uniform(0.05, 0.20, n), rng.uniform(-0.20, -0.05, n)],
        rng.uniform(-0.015, 0.015, n),
    )
    previous = np.round(current / (1.0 + change))
    null_prev = rng.random(n) < 0.05

    velocity = rng.integers(0, 3, n)
    messy = rng.integers(0, 4, n) * (rng.random(n) < 0.12)
    styles = (str, lambda s: f" {s.capitalize()} ", str.upper, lambda s: f"{s}  ")
    vel = [styles[m](_VELOCITY[v]) for v, m in zip(velocity, messy, strict=True)]
    risk = np.round(rng.uniform(0, 100, n), 1)

    n_mgr = max(1, -(-n // 8))
    mgr = np.arange(n) * n_mgr // n
    team_region = rng.integers(0, len(_REGIONS), n_mgr)
    w_m = _width(n_mgr, 3)
    cols = [
        rep_ids,
        pa.array(names, pa.string()),
        pa.array(quota, mask=null_quota),
        pa.array(ytd),
        pa.array(close_rate, mask=null_close),
        pa.array(quota_3m, mask=null_quota),
        pa.array(won_3m),
        pa.array(current),
        pa.array(previous, mask=null_prev),
        pa.array(vel, pa.string()),
        pa.array(risk),
        _id_array("M", mgr + 1, w_m),
        _id_array("Team ", mgr + 1, _width(n_mgr, 2)),
        _take(_REGIONS, team_region[mgr]),
    ]
    return pa.Table.from_arrays(cols, schema=REPS_SCHEMA)


def _deal_block(
    block: int, start: int, count: int, n_deals: int, cum_w: np.ndarray, seed: int
) -> pa.RecordBatch:
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, block)))
    n = count
    rep_idx = np.minimum(np.searchsorted(cum_w, rng.random(n), side="right"), len(cum_w) - 1)

    u = rng.random(n)
    status = np.where(u < 0.55, 0, np.where(u < 0.80, 1, 2)).astype(np.int8)
    active = status == 0
    open_stage = np.searchsorted(np.cumsum(_STAGE_WEIGHTS), rng.random(n) * 0.999999)
    stage = np.where(active, open_stage, np.where(status == 1, 6, 7)).astype(np.int8)

    value = np.round(np.clip(rng.lognormal(np.log(25_000), 1.0, n), 1_000, 1_000_000))
    jitter = rng.uniform(-0.05, 0.05, n)
    prob = np.round(np.clip(_STAGE_PROB[np.minimum(stage, 5)] + jitter, 0.0, 1.0), 2)
    prob = np.where(active, prob, np.where(status == 1, 1.0, 0.0))

    open_days = np.floor(rng.lognormal(np.log(9.0), 0.9, n))
    closed_days = rng.integers(0, 8, n)
    days = np.where(active, open_days, closed_days).astype(np.int64)

    # Risk flags: ~12% of active deals get 1-3 distinct flags.
    flagged = active & (rng.random(n) < 0.12)
    n_flag = np.where(flagged, rng.integers(1, 4, n), 0)
    n_f = int(flagged.sum())
    perm = np.argsort(rng.random((n_f, len(RISK_FLAGS))), axis=1)
    keep = np.arange(len(RISK_FLAGS)) < n_flag[flagged][:, None]
    values = _take(pa.array(RISK_FLAGS), perm[keep].astype(np.int8))
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(n_flag, out=offsets[1:])
    flags = pa.ListArray.from_arrays(pa.array(offsets), values)

    # Dates: active deals were created before ANCHOR and close within ~9 months either side;
    # closed deals closed in the last ~9 months after a cycle of days to months.
    a = _ANCHOR_DAYS
    created_open = a - days - rng.integers(0, 121, n) - 1
    close_open = np.maximum(a + rng.integers(-30, 271, n), created_open + 1)
    close_closed = a - rng.integers(0, 271, n)
    cycle = np.clip(np.round(rng.lognormal(np.log(60.0), 0.7, n)), 1, 365).astype(np.int64)
    created = np.where(active, created_open, close_closed - cycle - days).astype(np.int32)
    close = np.where(active, close_open, close_closed).astype(np.int32)

    amount = pa.array(value)
    cols = [
        _id_array("D", np.arange(start + 1, start + n + 1), _width(n_deals, 7)),
        _id_array("R", rep_idx + 1, _width(len(cum_w), 4)),
        _take(_STATUS, status),
        amount,
        pa.array(prob),
        pa.array(days),
        flags,
        _take(_STAGES, stage),
        pa.array(created, pa.date32()),
        pa.array(close, pa.date32()),
        _take(_FORECAST, _STAGE_TO_FORECAST[stage]),
        _take(_USD, np.zeros(n, dtype=np.int8)),
        amount,
    ]
    return pa.RecordBatch.from_arrays(cols, schema=DEALS_SCHEMA)


def iter_deal_batches(
    n_deals: int, n_reps: int, seed: int = 7, batch_size: int = 1_000_000
) -> Iterator[pa.RecordBatch]:
    """Yield the deals as RecordBatches of at most ``batch_size`` rows (``DEALS_SCHEMA``).

    The rows do not depend on ``batch_size``; concatenated they equal ``generate(...)[0]``.
    """
    if n_deals < 0 or n_reps < 1 or batch_size < 1:
        raise ValueError("need n_deals >= 0, n_reps >= 1 and batch_size >= 1")
    cum_w = _rep_weights(n_reps, seed)
    for block, start in enumerate(range(0, n_deals, _BLOCK)):
        batch = _deal_block(block, start, min(_BLOCK, n_deals - start), n_deals, cum_w, seed)
        for off in range(0, batch.num_rows, batch_size):
            yield batch.slice(off, batch_size)


def generate(n_deals: int = 5000, n_reps: int = 40, seed: int = 7) -> tuple[pa.Table, pa.Table]:
    """Return (deals, reps) as pyarrow Tables with canonical columns (below).

    Columns and types are ``DEALS_SCHEMA`` and ``REPS_SCHEMA``. The deals table is chunked in
    blocks of ~1M rows; use ``iter_deal_batches`` to stream instead of holding it all.
    """
    deals = pa.Table.from_batches(list(iter_deal_batches(n_deals, n_reps, seed)), DEALS_SCHEMA)
    return deals, agree_with_deals(generate_reps(n_reps, seed), deals)


def agree_with_deals(reps: pa.Table, deals: pa.Table) -> pa.Table:
    """The rep records as of ``ANCHOR``, agreeing with the deals: each rep's
    current_pipeline_value is the sum of their active deal values (exact: the values are
    whole dollars), and previous_pipeline_value keeps the rep's generated trend (the same
    ratio to the current value). ``iter_deal_batches`` streams deals without this step."""
    active = deals.filter(pc.equal(deals["status"], "active"))
    sums = active.group_by("rep_id").aggregate([("deal_value_usd", "sum")])
    by_rep = dict(
        zip(sums["rep_id"].to_pylist(), sums["deal_value_usd_sum"].to_pylist(), strict=True)
    )
    current = pa.array([by_rep.get(r, 0.0) for r in reps["rep_id"].to_pylist()], pa.float64())
    ratio = pc.divide(reps["previous_pipeline_value"], reps["current_pipeline_value"])
    previous = pc.round(pc.multiply(current, ratio))
    for name, column in (
        ("current_pipeline_value", current),
        ("previous_pipeline_value", previous),
    ):
        reps = reps.set_column(reps.schema.get_field_index(name), name, column)
    return reps


def _batches(data: pa.Table | Iterable[pa.RecordBatch]) -> Iterable[pa.RecordBatch]:
    return data.to_batches() if isinstance(data, pa.Table) else data


def _csv_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    if "risk_flags" not in batch.schema.names:
        return batch
    i = batch.schema.get_field_index("risk_flags")
    joined = pc.binary_join(batch.column(i), ";")
    return batch.set_column(i, "risk_flags", joined)


def _write_csv_one(
    data: pa.Table | Iterable[pa.RecordBatch], schema: pa.Schema, path: Path
) -> None:
    if "risk_flags" in schema.names:
        schema = schema.set(
            schema.get_field_index("risk_flags"), pa.field("risk_flags", pa.string())
        )
    opts = pacsv.WriteOptions(quoting_style="needed")
    with pacsv.CSVWriter(path, schema, write_options=opts) as writer:
        for batch in _batches(data):
            writer.write_batch(_csv_batch(batch))


def write_csv(
    deals: pa.Table | Iterable[pa.RecordBatch], reps: pa.Table, out_dir: Path
) -> tuple[Path, Path]:
    """Write deals.csv and reps.csv; return the two paths.

    risk_flags is written as a ';'-joined string (empty string for none), dates as YYYY-MM-DD,
    nulls as empty fields. ``deals`` may also be an iterable of RecordBatches (streamed).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    deals_path, reps_path = out_dir / "deals.csv", out_dir / "reps.csv"
    _write_csv_one(deals, DEALS_SCHEMA, deals_path)
    _write_csv_one(reps, REPS_SCHEMA, reps_path)
    return deals_path, reps_path


def write_parquet(
    deals: pa.Table | Iterable[pa.RecordBatch], reps: pa.Table, out_dir: Path
) -> tuple[Path, Path]:
    """Write deals.parquet and reps.parquet (risk_flags as list<string>).

    ``deals`` may be a Table or an iterable of RecordBatches (e.g. ``iter_deal_batches``),
    which is streamed to disk one batch at a time.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    deals_path, reps_path = out_dir / "deals.parquet", out_dir / "reps.parquet"
    with pq.ParquetWriter(deals_path, DEALS_SCHEMA) as writer:
        if isinstance(deals, pa.Table):
            writer.write_table(deals)
        else:
            for batch in deals:
                writer.write_batch(batch)
    pq.write_table(reps, reps_path)
    return deals_path, reps_path
