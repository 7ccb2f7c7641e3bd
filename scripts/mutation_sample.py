"""Run mutation testing on a uniform random sample of the mutants in scope (`make mutation-sample`).

The whole scope ([tool.mutmut] in pyproject.toml) is thousands of mutants, most of a day on
2 cores. A seeded uniform sample gives an unbiased estimate of the score in a fraction of
that: this script generates every mutant (mutmut's own generation step), draws `--size`
names with `--seed`, writes them to mutants/sample.txt and runs `mutmut run` on exactly
those. `scripts/mutation_score.py --sample` then prints the score over the sample with its
95% confidence interval. A second run with the same seed resumes: mutants already tried
keep their result unless `--rerun` is given.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from pathlib import Path

from mutation_score import SAMPLE_FILE, results  # this script's folder is on sys.path


def generate() -> list[str]:
    """Generate (or refresh) every mutant in scope and return all their names, sorted."""
    try:  # mutmut 3.8's generation step, the first part of `mutmut run`
        from mutmut.__main__ import (
            copy_also_copy_files,
            copy_src_dir,
            create_mutants,
            setup_source_paths,
            store_lines_covered_by_tests,
        )
        from mutmut.mutation.trampoline import set_mutant_under_test
    except ImportError as exc:  # pragma: no cover - only with another mutmut
        sys.exit(f"mutation_sample: this mutmut has no generation step to call ({exc})")
    set_mutant_under_test("mutant_generation")
    os.makedirs("mutants", exist_ok=True)
    copy_src_dir()
    copy_also_copy_files()
    setup_source_paths()
    store_lines_covered_by_tests()
    create_mutants(os.cpu_count() or 2)
    return sorted(results())


def tried(names: list[str]) -> set[str]:
    """The names among `names` that already have a result."""
    return {name for name, code in results().items() if code is not None} & set(names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=400, help="mutants to draw (default 400)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--rerun", action="store_true", help="retry mutants already tried")
    args = parser.parse_args()
    everything = generate()
    if args.size >= len(everything):
        sample = everything
    else:
        sample = sorted(random.Random(args.seed).sample(everything, args.size))
    SAMPLE_FILE.write_text("".join(f"{name}\n" for name in sample))
    todo = sample if args.rerun else sorted(set(sample) - tried(sample))
    print(
        f"{len(everything)} mutants in scope; sample of {len(sample)} (seed {args.seed}) "
        f"in {SAMPLE_FILE}; {len(todo)} to run",
        flush=True,
    )
    if not todo:
        return 0
    mutmut = Path(sys.executable).with_name("mutmut")
    command = [str(mutmut), "run", "--max-children", str(args.jobs), *todo]
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main())
