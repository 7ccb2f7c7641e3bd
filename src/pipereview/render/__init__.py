"""Renderers: one Report, many formats. ``RENDERERS`` maps a format name to a function
``(report) -> str``; add your own with ``register_renderer``."""

from __future__ import annotations

from collections.abc import Callable

from pipereview.render.markdown import render_markdown
from pipereview.render.table import render_table
from pipereview.report import Report

Renderer = Callable[[Report], str]

RENDERERS: dict[str, Renderer] = {}


def register_renderer(name: str, renderer: Renderer) -> None:
    """Make ``renderer`` available as ``--format name``."""
    RENDERERS[name] = renderer


register_renderer("table", render_table)
register_renderer("json", Report.to_json)
register_renderer("markdown", render_markdown)

__all__ = ["RENDERERS", "Renderer", "register_renderer"]
