"""Where the dashboard's reports come from: one pair of files (one date), or a snapshot
store (every stored date, with history). Reports are built or read once and kept."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipereview import api
from pipereview.api.snapshots import snapshot_inputs
from pipereview.errors import NotFoundError
from pipereview.report.model import Report, Verdict

EXPLAINED_KEPT = 256  # deal and rep explanations kept per source
SERVER_RELIST_SECONDS = 5  # how often a dashboard lists a server store's dates again


@dataclass
class Point:
    """One snapshot's headline numbers, for the history charts."""

    as_of: dt.date
    total_pipeline: float
    weighted_pipeline: float
    reps: dict[str, dict[str, Any]]
    currency: str = "USD"  # the report's (its money is in it)


class Source:
    """The dates a dashboard can show, the report of each, and explanations."""

    policy: Any = None

    def dates(self) -> list[dt.date]:
        raise NotImplementedError

    def report(self, as_of: dt.date) -> Report:
        raise NotImplementedError

    def explain(self, subject_id: str, as_of: dt.date) -> list[Verdict]:
        raise NotImplementedError

    def history(self) -> list[Point]:
        """Every date's headline numbers, oldest first (one point without a store)."""
        return [_point(self.report(d)) for d in self.dates()]

    def latest(self) -> dt.date:
        return self.dates()[-1]

    def pick(self, text: str | None) -> dt.date:
        """The date asked for (``YYYY-MM-DD``), or the latest; NotFoundError if unknown."""
        if not text:
            return self.latest()
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise NotFoundError(f"{text!r} is not a date", hint="use YYYY-MM-DD") from None
        if day not in self.dates():
            raise NotFoundError(
                f"no report for {day.isoformat()}",
                hint="pick one of: " + ", ".join(d.isoformat() for d in self.dates()[-5:]),
            )
        return day


def _point(report: Report) -> Point:
    trajectory = {t.rep_id: t for t in report.rep_trajectory}
    reps = {
        r.rep_id: {
            "pipeline": float(r.pipeline_value),
            "achievement": r.quota_achievement,
            "attainment": trajectory[r.rep_id].quota_attainment_pct
            if r.rep_id in trajectory
            else None,
        }
        for r in report.rep_performance
    }
    s = report.pipeline_summary
    return Point(
        report.as_of,
        float(s.total_pipeline_value),
        float(s.weighted_pipeline_value),
        reps,
        report.currency,
    )


@dataclass
class FileSource(Source):
    """One report from a deals file and a reps file, built at start-up."""

    deals: Path
    reps: Path
    as_of: dt.date
    policy: Any = None
    built: Report | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.built = api.build_report(self.deals, self.reps, as_of=self.as_of, policy=self.policy)
        self._explain = lru_cache(maxsize=EXPLAINED_KEPT)(self._explain_now)

    def dates(self) -> list[dt.date]:
        return [self.as_of]

    def report(self, as_of: dt.date) -> Report:
        assert self.built is not None
        return self.built

    def explain(self, subject_id: str, as_of: dt.date) -> list[Verdict]:
        return list(self._explain(subject_id))

    def _explain_now(self, subject_id: str) -> tuple[Verdict, ...]:
        with self._lock:  # one engine run at a time
            return tuple(
                api.explain(subject_id, self.deals, self.reps, as_of=self.as_of, policy=self.policy)
            )


@dataclass
class StoreSource(Source):
    """Every snapshot of a store; each report is the one stored that day. The list of
    snapshots is read again whenever the store's files change (their size and modification
    time, looked at on every request), so a snapshot taken, replaced or deleted while the
    dashboard runs shows at once; the kept reports and explanations are dropped whenever
    the list changes."""

    store: str
    policy: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._seen: list[Any] = []
        self._stamp: tuple[Any, ...] | None = None
        self._report = lru_cache(maxsize=64)(self._read)
        self._explain = lru_cache(maxsize=EXPLAINED_KEPT)(self._explain_now)
        self._inputs = lru_cache(maxsize=2)(self._inputs_now)
        if not self.dates():
            raise NotFoundError(
                f"{self.store}: no snapshots yet", hint="take one with `pipereview snapshot`"
            )

    def dates(self) -> list[dt.date]:
        with self._lock:
            stamp = _store_stamp(str(self.store))
            if stamp != self._stamp:  # something was written: read the list again
                infos = api.history(self.store)
                if infos != self._seen:  # a snapshot was added, replaced or deleted
                    self._seen = infos
                    for kept in (self._report, self._explain, self._inputs):
                        kept.cache_clear()
                self._stamp = stamp
            return [info.as_of for info in self._seen]

    def report(self, as_of: dt.date) -> Report:
        return self._report(as_of)

    def _read(self, as_of: dt.date) -> Report:
        """The stored report, with last period's accuracy from the store (D46) when the
        stored one has none (a snapshot stores the report without it)."""
        with self._lock:
            stored = api.stored_report(as_of, self.store)
            if stored.accuracy is not None:
                return stored
            found = api.last_period_accuracy(as_of, store=self.store, policy=self.policy)
            return stored.model_copy(update={"accuracy": found})

    def explain(self, subject_id: str, as_of: dt.date) -> list[Verdict]:
        return list(self._explain(subject_id, as_of))

    def _inputs_now(self, as_of: dt.date) -> tuple[Any, Any]:
        return snapshot_inputs(as_of, self.store)

    def _explain_now(self, subject_id: str, as_of: dt.date) -> tuple[Verdict, ...]:
        with self._lock:
            deals, reps = self._inputs(as_of)
            stored = api.stored_report(as_of, self.store).forecast  # the day's quotas
            return tuple(
                api.explain(
                    subject_id, deals, reps, as_of=as_of, policy=self.policy, forecast=stored
                )
            )


def _store_stamp(store: str) -> tuple[Any, ...]:
    """What changes when the store is written: a DuckDB or SQLite file's stamp; a store on
    a server (PostgreSQL, MySQL) has no file, so its list is read again at most every few
    seconds."""
    if api.on_a_server(store):
        return ("every", int(time.monotonic() // SERVER_RELIST_SECONDS))
    return _file_stamp(api.store_path(store))


def _file_stamp(path: Path) -> tuple[Any, ...]:
    """Size and modification time of a store file and its write-ahead log (DuckDB's
    ``.wal``, SQLite's ``-wal``): any write to the store changes one of them."""
    stamp: list[Any] = []
    for part in (path, *(path.with_name(path.name + end) for end in (".wal", "-wal"))):
        try:
            found = part.stat()
        except FileNotFoundError:
            stamp.append(None)
        else:
            stamp.append((found.st_mtime_ns, found.st_size))
    return tuple(stamp)
