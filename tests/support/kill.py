"""Killing a snapshot write with SIGKILL at chosen points of its run, for the tests that a
store file (DuckDB, SQLite) keeps its earlier snapshots and never a partial one.

A point is chosen by what the write has done, not by a guess at how long it takes: the
store's files (the database and its write-ahead log) are watched, and the process is killed
once they have grown by so many bytes (early in writing the rows, then late: the log written
and the database file being updated), or, for the points before it writes (reading the
inputs, building the report), at a fraction of the time the write took to start writing.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

WRITING = 256 * 1024  # bytes the files have grown by once the rows are being written
POLL = 0.005  # seconds between looks at the files


class StoreFiles:
    """The files of one store: how many bytes they hold together, now."""

    def __init__(self, *paths: Path) -> None:
        self.paths = paths

    def size(self) -> int:
        total = 0
        for path in self.paths:
            with contextlib.suppress(FileNotFoundError):  # not made yet, or checkpointed away
                total += path.stat().st_size
        return total


def peak_growth(files: StoreFiles, write: Callable[[], object]) -> int:
    """Run ``write`` (a snapshot written in this process) while a thread watches ``files``:
    the most bytes they grew by (at least what they hold more at the end)."""
    base, peak, done = files.size(), 0, threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, files.size() - base)
            time.sleep(POLL)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        write()
    finally:
        done.set()
        watcher.join()
    return max(peak, files.size() - base)


def kill(
    proc: subprocess.Popen[str],
    files: StoreFiles,
    grown: int | None = None,
    seconds: float | None = None,
) -> tuple[int, float | None]:
    """SIGKILL ``proc`` once ``files`` have grown by ``grown`` bytes or ``seconds`` have
    passed. Returns its exit status (-SIGKILL when the kill found it running) and the seconds
    until the files had grown by WRITING bytes (None: it had not started writing)."""
    base, start, writing = files.size(), time.monotonic(), None
    while proc.poll() is None:
        elapsed, grew = time.monotonic() - start, files.size() - base
        if writing is None and grew >= WRITING:
            writing = elapsed
        if (grown is not None and grew >= grown) or (seconds is not None and elapsed >= seconds):
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(POLL)
    code = proc.wait(timeout=60)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    return code, writing


def kill_writes(
    start: Callable[[], subprocess.Popen[str]],
    files: StoreFiles,
    peak: int,
    committed: Callable[[], bool],
) -> list[bool]:
    """Start a write with ``start`` and kill it, four times: early while it writes its rows
    (a tenth of ``peak``, what a first write grew the files by), late (four fifths), while it
    builds the report (at 0.6 of the time the first killed write took to start writing) and
    while it reads (0.2). After each kill, ``committed`` checks the store and says whether
    the killed write's snapshot is there whole (the kill came after its commit). Returns what
    it said, in that order. The first kill must find the write running (it is killed while
    its files grow); a later one may come after the write has ended, which leaves the whole
    snapshot."""
    landed = []
    code, writing = kill(start(), files, grown=peak // 10)
    assert code == -signal.SIGKILL and writing is not None, (code, writing)
    landed.append(committed())
    for grown, seconds in ((peak * 4 // 5, None), (None, writing * 0.6), (None, writing * 0.2)):
        code, _ = kill(start(), files, grown=grown, seconds=seconds)
        assert code in (0, -signal.SIGKILL), code
        landed.append(committed())
    return landed
