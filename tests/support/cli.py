"""The command line run in this process: what a subprocess would give, without paying for a
new interpreter, its imports and its query compilation on every call.

``pipereview(*args)`` returns a ``subprocess.CompletedProcess`` like ``subprocess.run`` with
``capture_output=True, text=True`` would: the exit code, stdout and stderr, for the command
line ``python -m pipereview ARGS`` (Click names the program so in its usage text). An
exception the command does not map to an exit code is raised, not turned into exit code 1, so
a traceback a user would see fails the test at once. The tests that are about the process
itself (the installed entry point, no traceback on stderr, signals, concurrent writers, binary
output on a pipe, import time, ``serve``) and a handful of end-to-end tests in
tests/faces/test_cli.py keep running ``python -m pipereview`` in a subprocess.

What a subprocess would not share with the test is reset around each call: the working
directory, the environment (``env`` is added to it for the call), the width of the CLI's
error console (Rich fixes it from COLUMNS when the console is made, at import) and whether
compiled queries are kept on disk (the CLI turns that on; the library's default is off).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

from typer.testing import CliRunner

from pipereview.api import query_cache_dir, use_query_cache
from pipereview.cli import app
from pipereview.cli.common import err_console

PROG = "python -m pipereview"


@contextlib.contextmanager
def _query_cache_kept() -> Iterator[None]:
    """The library's query-cache setting as it was before the command turned it on."""
    before = query_cache_dir()
    try:
        yield
    finally:
        use_query_cache(before is not None, before)


@contextlib.contextmanager
def _error_console_width(columns: str | None) -> Iterator[None]:
    """The error console as wide as a new process's would be: COLUMNS when set (Rich reads
    it again on each print when the console has no fixed width)."""
    fixed = err_console._width
    err_console._width = int(columns) if columns is not None and columns.isdigit() else None
    try:
        yield
    finally:
        err_console._width = fixed


def pipereview(
    *args: str | Path,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
    columns: int = 120,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """``pipereview ARGS`` in this process (``env`` added to the environment for the call; a
    terminal table is ``columns`` wide unless ``env`` sets COLUMNS; ``check``: a non-zero
    exit raises ``subprocess.CalledProcessError``, as ``subprocess.run`` does)."""
    argv = [str(a) for a in args]
    added = {"COLUMNS": str(columns), **(env or {})}
    with (
        contextlib.chdir(cwd or os.getcwd()),
        _error_console_width(added.get("COLUMNS")),
        _query_cache_kept(),
    ):
        result = CliRunner().invoke(
            app, argv, input=input, env=added, catch_exceptions=False, prog_name=PROG
        )
    done = subprocess.CompletedProcess(
        [*PROG.split(), *argv], result.exit_code, result.stdout, result.stderr
    )
    if check:
        done.check_returncode()
    return done
