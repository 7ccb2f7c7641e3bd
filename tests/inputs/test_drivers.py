"""Optional drivers are extras: using an engine or a store whose driver is not installed is
one line that names the extra to install, and exit 1 (the driver is hidden from the
subprocess by a ``None`` in ``sys.modules``, as if it were not installed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parents[1] / "fixtures"
NOWHERE = "someone@127.0.0.1:1/nowhere"  # never reached: the driver is missing first


@pytest.mark.parametrize(
    ("driver", "args", "line"),
    [
        (
            "psycopg",
            ["report", "--source", f"postgresql://{NOWHERE}", "--deals-table", "d",
             "--reps-table", "r", "--as-of", "2026-11-20"],
            "error: the postgres engine needs psycopg (pip install 'pipereview[postgres]')",
        ),
        (
            "pymysql",
            ["history", "list", "--store", f"mysql://{NOWHERE}"],
            "error: a MySQL store needs pymysql (pip install 'pipereview[mysql]')",
        ),
        (
            "pyspark",
            ["report", "--deals", str(FIXTURES / "deals.csv"), "--reps",
             str(FIXTURES / "reps.csv"), "--engine", "spark", "--as-of", "2026-11-20"],
            "error: the spark engine needs pyspark (pip install 'pipereview[spark]')",
        ),
    ],
)  # fmt: skip
def test_a_missing_driver_names_its_extra(driver: str, args: list[str], line: str) -> None:
    code = (
        f"import sys\nsys.modules[{driver!r}] = None\nsys.argv = ['pipereview', *{args!r}]\n"
        "from pipereview.cli import main\nmain()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [line]
