"""Shared fixtures: the small hand-made dataset and a generated demo dataset."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(scope="session")
def small_files() -> tuple[Path, Path]:
    """tests/fixtures/deals.csv and reps.csv (10 deals, 3 reps, deliberately messy)."""
    return FIXTURES / "deals.csv", FIXTURES / "reps.csv"


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The synthetic demo dataset (5,000 deals, 40 reps) written as CSV."""
    from pipereview.api import generate_demo

    return generate_demo(tmp_path_factory.mktemp("demo"))
