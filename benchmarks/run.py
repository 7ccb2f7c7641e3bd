"""Benchmark driver: pipereview against hand-written DuckDB SQL and one-pass Python.

Usage::

    python benchmarks/run.py --sizes 100k,1M,10M [--formats parquet,csv]
        [--impls pipereview,duckdb_sql,duckdb_sql_full,python_onepass] [--runs N]
        [--out benchmarks/results.md]

Data comes from ``pipereview.synthetic`` (seed ``SEED``) and is cached under
``benchmarks/.data/<size>/``. Every run of every implementation is a fresh subprocess
(``run.py --worker IMPL DEALS REPS``) that reports its own wall time and peak RSS
(``VmHWM`` from /proc/self/status: getrusage's ru_maxrss would carry the parent's peak
over exec), so figures are per implementation. Wall time is
measured inside the worker from just before the implementation is imported until its result
has been serialised to JSON, so it includes import time (reported separately too).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA_DIR = HERE / ".data"
SEED = 7
AS_OF = (2026, 11, 20)
# pipereview_cached: the library with the compiled queries kept on disk, as the CLI keeps
# them (the first run of a cell fills the cache in a directory of this driver's own).
IMPLS = (
    "pipereview",
    "pipereview_cached",
    "duckdb_sql",
    "duckdb_sql_full",
    "python_onepass",
    "pipereview_spark",
    "spark_sql",
)
BASELINE = "duckdb_sql"
BASELINE_FOR = {"pipereview_spark": "spark_sql", "spark_sql": "spark_sql"}  # like with like
SKIP_ABOVE_S = 600.0  # skip python_onepass when its estimate exceeds this
# Reps per size (the brief's examples); other sizes: 40 reps per 5k deals, 40..20,000.
REPS_FOR = {100_000: 2_000, 1_000_000: 10_000, 10_000_000: 20_000}


def parse_size(text: str) -> int:
    """``"100k"`` -> 100_000, ``"1M"`` -> 1_000_000, ``"2500"`` -> 2500."""
    text = text.strip()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    number = text[:-1] if scale > 1 else text
    return int(float(number) * scale)


def reps_for(n_deals: int) -> int:
    """Number of reps generated for ``n_deals`` deals."""
    return REPS_FOR.get(n_deals, min(20_000, max(40, n_deals * 40 // 5_000)))


def _label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


# --------------------------------------------------------------------------- worker


def _run_impl(impl: str, deals: str, reps: str) -> tuple[float, float]:
    """Import and run one implementation; return (import seconds, total seconds)."""
    start = time.perf_counter()
    if impl in ("pipereview", "pipereview_cached", "pipereview_spark"):
        import datetime

        from pipereview.api import build_report, use_query_cache
        from pipereview.engines import Engine

        imported = time.perf_counter()
        if impl == "pipereview_cached":
            use_query_cache(True, Path(os.environ["PIPEREVIEW_BENCH_CACHE"]))
        limit = os.environ.get("PIPEREVIEW_BENCH_MEMORY_LIMIT") or None
        engine = "spark" if impl == "pipereview_spark" else Engine("duckdb", memory_limit=limit)
        report = build_report(deals=deals, reps=reps, as_of=datetime.date(*AS_OF), engine=engine)
        text = report.to_json()
    elif impl == "spark_sql":
        import pyspark  # noqa: F401  (count it as import)
        import spark_baseline

        imported = time.perf_counter()
        text = json.dumps(spark_baseline.spark_sql(deals, reps), default=str)
    elif impl == "duckdb_sql_full":
        import duckdb  # (full_sql imports it lazily; count it as import)
        import full_sql

        imported = time.perf_counter()
        text = json.dumps(full_sql.duckdb_sql_full(deals, reps), default=str)
    else:
        import baselines

        if impl == "duckdb_sql":
            import duckdb  # noqa: F401  (baselines imports it lazily; count it as import)
        elif deals.endswith(".parquet"):
            import pyarrow.parquet  # noqa: F401
        func = getattr(baselines, impl)
        imported = time.perf_counter()
        text = json.dumps(func(deals, reps))
    if not text:
        raise RuntimeError(f"{impl} produced no output")
    return imported - start, time.perf_counter() - start


def _peak_rss_mb() -> float:
    """Peak RSS of this process: VmHWM (reset at exec), else ru_maxrss (may include parent's)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def worker(impl: str, deals: str, reps: str) -> None:
    """Run one implementation once and print its timings and peak RSS as one JSON line."""
    sys.path[:0] = [str(ROOT / "src"), str(HERE)]
    import_s, wall_s = _run_impl(impl, deals, reps)
    print(json.dumps({"wall_s": wall_s, "import_s": import_s, "rss_mb": _peak_rss_mb()}))


def run_once(impl: str, deals: Path, reps: Path, timeout: float) -> dict:
    """One fresh subprocess; returns the worker's JSON or ``{"error": ...}``."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", impl, str(deals), str(reps)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit code {done.returncode}"]
        return {"error": lines[-1][:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- data


def generate(n_deals: int, formats: list[str]) -> None:
    """Generate (or reuse) the cached data for one size and record the paths in meta.json.

    Runs in its own subprocess (``--generate``) so the driver stays small and no worker
    starts from a process holding the generated tables.
    """
    sys.path.insert(0, str(ROOT / "src"))
    from pipereview import synthetic

    out = DATA_DIR / _label(n_deals)
    meta_path = out / "meta.json"
    n_reps = reps_for(n_deals)
    meta: dict = {"n_deals": n_deals, "n_reps": n_reps, "seed": SEED, "files": {}}
    if meta_path.exists():
        cached = json.loads(meta_path.read_text())
        if all(cached.get(k) == meta[k] for k in ("n_deals", "n_reps", "seed")):
            meta = cached
    for fmt in formats:
        files = meta["files"].get(fmt)
        if files and all(Path(f).exists() for f in files):
            continue
        print(f"generating {_label(n_deals)} deals / {n_reps} reps as {fmt} ...", flush=True)
        started = time.perf_counter()
        if hasattr(synthetic, "iter_deal_batches") and hasattr(synthetic, "generate_reps"):
            deals = synthetic.iter_deal_batches(n_deals, n_reps, SEED)
            reps = synthetic.generate_reps(n_reps, SEED)
        else:
            deals, reps = synthetic.generate(n_deals, n_reps, SEED)
        write = synthetic.write_parquet if fmt == "parquet" else synthetic.write_csv
        deals_path, reps_path = write(deals, reps, out)
        print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
        meta["files"][fmt] = [str(deals_path), str(reps_path)]
        meta_path.write_text(json.dumps(meta, indent=2))


def ensure_data(n_deals: int, formats: list[str]) -> dict[str, tuple[Path, Path]]:
    """Make sure the data for one size exists (in a subprocess); return format -> paths."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--generate", str(n_deals), *formats]
    subprocess.run(cmd, check=True)
    meta = json.loads((DATA_DIR / _label(n_deals) / "meta.json").read_text())
    return {fmt: (Path(meta["files"][fmt][0]), Path(meta["files"][fmt][1])) for fmt in formats}


# --------------------------------------------------------------------------- driver


def machine() -> list[str]:
    """Lines describing the machine and library versions."""
    mem_kb = 0
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    return [
        f"- machine: {cpu}, nproc {usable}, memory {mem_kb / 1024 / 1024:.1f} GiB, "
        f"{platform.system()} {platform.release()}",
        f"- python {platform.python_version()}, duckdb {version('duckdb')}, "
        f"ibis-framework {version('ibis-framework')}, pyarrow {version('pyarrow')}",
    ]


def _fmt_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def bench(args: argparse.Namespace) -> str:
    """Run every (size, format, implementation) and return the Markdown report."""
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    impls = [i.strip() for i in args.impls.split(",") if i.strip()]
    unknown = [i for i in impls if i not in IMPLS] + [
        f for f in formats if f not in ("parquet", "csv")
    ]
    if unknown:
        raise SystemExit(f"unknown implementation or format: {', '.join(unknown)}")
    head = machine()
    print("\n".join(head), flush=True)
    rows: list[list[str]] = []
    per_row_s: dict[tuple[str, str], float] = {}  # (impl, fmt) -> best seconds per deal
    for n in sorted(sizes):
        paths = ensure_data(n, formats)
        runs = args.runs or (3 if n <= 1_000_000 else 1)
        for fmt in formats:
            results: dict[str, dict] = {}
            for impl in impls:
                est = per_row_s.get((impl, fmt), 0.0) * n
                if impl == "python_onepass" and est > SKIP_ABOVE_S:
                    results[impl] = {"skipped": f"skipped (est. {est:.0f} s)"}
                else:
                    trials = [run_once(impl, *paths[fmt], args.timeout) for _ in range(runs)]
                    ok = [t for t in trials if "error" not in t]
                    results[impl] = (
                        {
                            **min(ok, key=lambda t: t["wall_s"]),
                            "rss_mb": max(t["rss_mb"] for t in ok),
                        }
                        if ok
                        else trials[0]
                    )
                    if ok:
                        per_row_s[(impl, fmt)] = results[impl]["wall_s"] / n
                print(f"{_label(n):>5} {fmt:8} {impl:15} {_describe(results[impl])}", flush=True)
            for impl in impls:
                r = results[impl]
                base = results.get(BASELINE_FOR.get(impl, BASELINE), {}).get("wall_s")
                if "wall_s" in r:
                    ratio = f"{r['wall_s'] / base:.2f}x" if base else "-"
                    cells = [
                        f"{r['wall_s']:.2f}",
                        f"{r['import_s']:.2f}",
                        f"{r['rss_mb']:.0f}",
                        ratio,
                    ]
                else:
                    cells = [r.get("skipped") or f"error: {r['error']}", "-", "-", "-"]
                rows.append([_label(n), fmt, impl, f"{runs}", *cells])
    lines = [
        "# pipereview benchmark",
        "",
        *head,
        f"- data: pipereview.synthetic, seed {SEED}; reps per size "
        + ", ".join(f"{_label(n)}: {reps_for(n):,}" for n in sorted(sizes)),
        "- wall = best of the runs, measured inside a fresh worker process from the import of "
        "the implementation to its JSON output (import time included, also shown alone); "
        "peak RSS = the largest VmHWM of those workers",
        "",
        _fmt_row(
            [
                "size",
                "format",
                "implementation",
                "runs",
                "wall s",
                "import s",
                "peak RSS MB",
                "vs hand SQL",
            ]
        ),
        _fmt_row(["---:", "---", "---", "---:", "---:", "---:", "---:", "---:"]),
        *(_fmt_row(r) for r in rows),
        "",
    ]
    return "\n".join(lines)


def _describe(result: dict) -> str:
    if "wall_s" in result:
        return (
            f"{result['wall_s']:8.2f} s (import {result['import_s']:.2f} s)"
            f"  {result['rss_mb']:7.0f} MB"
        )
    return result.get("skipped") or f"error: {result['error']}"


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (also the ``--worker`` mode used for each measured run)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        worker(*argv[1:4])
        return
    if argv[:1] == ["--generate"]:
        generate(int(argv[1]), argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1M", help="comma list, e.g. 100k,1M,10M")
    parser.add_argument("--formats", default="parquet", help="comma list of parquet, csv")
    parser.add_argument("--impls", default=",".join(IMPLS), help="comma list of implementations")
    parser.add_argument("--runs", type=int, default=0, help="runs per cell (default 3, 1 at >1M)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument("--out", type=Path, help="write the Markdown table here")
    parser.add_argument(
        "--memory-limit", help="DuckDB memory limit for pipereview runs, e.g. 4GB (out of core)"
    )
    args = parser.parse_args(argv)
    if args.memory_limit:
        os.environ["PIPEREVIEW_BENCH_MEMORY_LIMIT"] = args.memory_limit
    with tempfile.TemporaryDirectory(prefix="pipereview-bench-cache-") as cache:
        os.environ["PIPEREVIEW_BENCH_CACHE"] = cache  # pipereview_cached's, removed after
        report = bench(args)
    print()
    print(report)
    if args.out:
        args.out.write_text(report)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
