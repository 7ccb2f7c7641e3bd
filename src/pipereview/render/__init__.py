"""Renderers: one Report, many formats. ``RENDERERS`` maps a format name to a function
``(report) -> str | bytes`` (bytes for PDF); add your own with ``register_renderer``.
``render`` applies the page size to the formats that have pages (HTML, PDF)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from pipereview.render.markdown import render_markdown
from pipereview.render.table import render_table
from pipereview.render.terminal import DEFAULT_WIDTH
from pipereview.report import Report

Renderer = Callable[[Report], str | bytes]

RENDERERS: dict[str, Renderer] = {}
ALIASES = {"md": "markdown"}


def register_renderer(name: str, renderer: Renderer) -> None:
    """Make ``renderer`` available as ``--format name``."""
    RENDERERS[name] = renderer


def _html(report: Report, page_size: str = "A4") -> str:
    from pipereview.render.html import render_html

    return render_html(report, page_size)  # type: ignore[arg-type]


def _pdf(report: Report, page_size: str = "A4", limit: int | None = None) -> bytes:
    from pipereview.render.pdf import PDF_ROWS, render_pdf

    return render_pdf(report, page_size, PDF_ROWS if limit is None else limit)  # type: ignore[arg-type]


def render(
    report: Report, fmt: str, page_size: str = "A4", pdf_rows: int | None = None
) -> str | bytes:
    """The report in format ``fmt`` (``md`` = ``markdown``); HTML and PDF on ``page_size``,
    the PDF's long lists capped at ``pdf_rows`` (None: the default, 0: none)."""
    name = ALIASES.get(fmt, fmt)
    if name == "html":
        return _html(report, page_size)
    if name == "pdf":
        return _pdf(report, page_size, pdf_rows)
    return RENDERERS[name](report)


register_renderer("table", partial(render_table, width=DEFAULT_WIDTH))  # COLUMNS aside
register_renderer("json", Report.to_json)
register_renderer("markdown", render_markdown)
register_renderer("html", partial(_html, page_size="A4"))
register_renderer("pdf", partial(_pdf, page_size="A4"))

__all__ = ["ALIASES", "RENDERERS", "Renderer", "register_renderer", "render"]
