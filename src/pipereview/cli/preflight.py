"""Checks a command makes before any work, and the width its tables are laid out for.

``preflight`` refuses an output the command would refuse after computing the report (a PDF
to a terminal, an extension naming another format, a missing directory, a file of another
kind), with the same checks ``cli/output.py`` makes when it writes, so a wrong ``--output``
fails at once instead of after a minute of work.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from pipereview.cli.common import fail
from pipereview.errors import PipereviewError

# What each format writes, as the first bytes ``cli/output.py`` judges a file by.
FORMAT_SAMPLES: dict[str, str | bytes] = {
    "pdf": b"%PDF-",
    "html": "<!DOCTYPE html>",
    "json": "{}",
    "table": "text",
    "markdown": "text",
    "md": "text",
}


def preflight(fmt: str, output: Path | None) -> None:
    """Refuse, before any work, an output the command would refuse after it: a PDF to a
    terminal, a name whose extension says another format, a missing directory, a file of
    another kind (the same checks ``emit`` makes with the real content)."""
    from pipereview.cli.output import _refusal

    sample = FORMAT_SAMPLES.get(fmt, "text")
    if output is None:
        if isinstance(sample, bytes) and sys.stdout.isatty():
            raise fail(
                PipereviewError("a PDF is not shown on a terminal", hint="add --output report.pdf")
            )
        return
    refusal = _refusal(output, sample)
    if refusal is not None:
        raise fail(refusal)


def table_width(output: Path | None) -> int:
    """The width a terminal table is laid out for: the terminal's when printing to one,
    else ``COLUMNS``, else 120."""
    from pipereview.render.terminal import width_of

    if output is None and sys.stdout.isatty():
        return width_of(Console().width)
    return width_of(None)
