"""Golden files: the JSON and Markdown reports of the small fixture, byte for byte.

Regenerate (after checking the diff by hand) with ``PIPEREVIEW_UPDATE_GOLDEN=1 pytest``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipereview.api import build_report
from pipereview.render import RENDERERS
from tests.conftest import AS_OF

GOLDEN = Path(__file__).parents[1] / "golden"


@pytest.mark.parametrize(
    ("fmt", "suffix"), [("json", "json"), ("markdown", "md"), ("table", "txt")]
)
def test_golden(small_files: tuple[Path, Path], fmt: str, suffix: str) -> None:
    report = build_report(*small_files, as_of=AS_OF)
    rendered = RENDERERS[fmt](report)
    path = GOLDEN / f"small_report.{suffix}"
    if os.environ.get("PIPEREVIEW_UPDATE_GOLDEN"):
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


def test_golden_full_table(small_files: tuple[Path, Path]) -> None:
    """``report --full``: every section and list, in the report's order, 120 columns."""
    from pipereview.render.table import render_table

    rendered = render_table(build_report(*small_files, as_of=AS_OF), 120, full=True)
    path = GOLDEN / "small_report_full.txt"
    if os.environ.get("PIPEREVIEW_UPDATE_GOLDEN"):
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")
