"""Print the mutation score of the last `make mutation` run (mutants/mutmut-cicd-stats.json).

Score = mutants killed (a test failed, or the mutant ran into the time limit) over all
mutants that were tried; a mutant no test reaches counts as surviving. Exits 1 below the
goal (90%), so the target fails when tests stop killing mutants.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GOAL = 90.0


def main() -> int:
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


if __name__ == "__main__":
    sys.exit(main())
