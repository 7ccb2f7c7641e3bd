"""A snapshot store filled from canonical inputs without building a report: each day's deals
and reps are read as ``snapshot`` reads them and written as it writes them (the report JSON
left empty), so a test of what is computed from the stored inputs (forecast accuracy) can
store a quarter of weekly snapshots in seconds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pipereview import api
from pipereview.store.snapshots import Store


def store_days(store: Path, days: dict[dt.date, tuple[Any, Any]]) -> None:
    """Write one snapshot per date of ``days`` (date -> (deals, reps): files or frames)."""
    for day, (deals, reps) in sorted(days.items()):
        inputs = api.load_inputs(deals, reps, as_of=day)
        inputs.ensure_checked()
        with Store(inputs.engine, store) as opened:
            opened.write(
                day,
                inputs.deals,
                inputs.reps,
                report_json="{}",
                input_fingerprint="test",
                policy_fingerprint="test",
            )
