"""Print the mutation score of the last `make mutation` or `make mutation-sample` run.

Score = mutants killed (a test failed, or the mutant ran into the time limit) over all
mutants that were tried; a mutant no test reaches counts as surviving. Without arguments it
reads mutmut's own totals (mutants/mutmut-cicd-stats.json, written by `make mutation`). With
`--sample` it reads the results of the mutants named in mutants/sample.txt (written by
`scripts/mutation_sample.py`) from mutmut's result files, prints the score over the sample
with its 95% Wilson confidence interval for the whole scope, and lists the survivors.
Exits 1 below the goal (90%), so the target fails when tests stop killing mutants.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path

GOAL = 90.0
SAMPLE_FILE = Path("mutants/sample.txt")
# mutmut 3's exit codes (mutmut.stats.status_by_exit_code), folded into what the score needs.
KILLED = {1, 3, 36, 24, -24, 152, 255}  # a test failed, or the time limit was reached
SURVIVED = {0, 5, 33}  # every test passed, or no test reaches the mutant
SKIPPED = {34, 37}


def wilson(killed: int, tried: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion, in percent."""
    if tried == 0:
        return (0.0, 100.0)
    p = killed / tried
    centre = (p + z * z / (2 * tried)) / (1 + z * z / tried)
    half = z * math.sqrt(p * (1 - p) / tried + z * z / (4 * tried * tried)) / (1 + z * z / tried)
    return (100.0 * (centre - half), 100.0 * (centre + half))


def results() -> dict[str, int | None]:
    """Every mutant's exit code from mutmut's result files (None: not run yet)."""
    codes: dict[str, int | None] = {}
    for meta in Path("mutants").rglob("*.py.meta"):
        codes.update(json.loads(meta.read_text())["exit_code_by_key"])
    return codes


def sample_score() -> int:
    """Score the sampled mutants; print survivors so each can be read with `mutmut show`."""
    names = SAMPLE_FILE.read_text().split()
    codes = results()
    counts: Counter[str] = Counter()
    survivors: list[str] = []
    for name in names:
        code = codes.get(name)
        if code is None:
            counts["not run"] += 1
        elif code in KILLED:
            counts["killed"] += 1
        elif code in SURVIVED:
            counts["survived"] += 1
            survivors.append(name)
        elif code in SKIPPED:
            counts["skipped"] += 1
        else:
            counts["suspicious"] += 1
            survivors.append(name)
    tried = counts["killed"] + counts["survived"] + counts["suspicious"]
    low, high = wilson(counts["killed"], tried)
    score = 100.0 * counts["killed"] / max(1, tried)
    print(
        f"sample of {len(names)} of {len(codes)} mutants: {tried} tried, {counts['killed']} "
        f"killed, {counts['survived']} survived, {counts['suspicious']} suspicious, "
        f"{counts['skipped']} skipped, {counts['not run']} not run yet"
    )
    print(f"mutation score: {score:.1f}% (95% CI {low:.1f}-{high:.1f}%, goal {GOAL:.0f}%)")
    for name in survivors:
        print(f"  survived: {name}")
    return 0 if score >= GOAL and counts["not run"] == 0 else 1


def full_score() -> int:
    """Score mutmut's totals over every mutant in scope."""
    stats = json.loads(Path("mutants/mutmut-cicd-stats.json").read_text())
    tried = stats["total"] - stats["skipped"]
    killed = stats["killed"] + stats["timeout"]
    score = 100.0 * killed / max(1, tried)
    print(
        f"mutants: {tried} tried, {killed} killed, {stats['survived']} survived, "
        f"{stats['no_tests']} reached by no test, {stats['suspicious']} suspicious"
    )
    print(f"mutation score: {score:.1f}% (goal {GOAL:.0f}%)")
    return 0 if score >= GOAL else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", action="store_true", help="score mutants/sample.txt only")
    args = parser.parse_args()
    return sample_score() if args.sample else full_score()


if __name__ == "__main__":
    sys.exit(main())
