"""What a command checks before any work that ``check_output`` does not, and the width its
tables are laid out for.

``preflight`` refuses a PDF for a terminal at once (``check_output`` judges a named
``--output``; ``emit`` would refuse the PDF only after the report is computed).
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from pipereview.cli.common import fail
from pipereview.errors import PipereviewError

BINARY_FORMATS = ("pdf",)


def preflight(fmt: str, output: Path | None) -> None:
    """Refuse a binary format (PDF) printed to a terminal, before any work."""
    if output is None and fmt in BINARY_FORMATS and sys.stdout.isatty():
        raise fail(
            PipereviewError("a PDF is not shown on a terminal", hint="add --output report.pdf")
        )


def table_width(output: Path | None) -> int:
    """The width a terminal table is laid out for: the terminal's when printing to one,
    else ``COLUMNS``, else 120."""
    from pipereview.render.terminal import width_of

    if output is None and sys.stdout.isatty():
        return width_of(Console().width)
    return width_of(None)
