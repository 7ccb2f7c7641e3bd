"""Text from the input is shown, never obeyed, and never too long: ids, names and stages
holding markup read as their characters in every human format, and a name of 200,000
characters is cut for display (the JSON keeps it whole)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pypdf
import pytest
from markdown_it import MarkdownIt

from pipereview.api import build_report
from pipereview.render import render
from pipereview.render.html import render_html
from pipereview.render.markup import md
from pipereview.render.numbers import TEXT_LIMIT
from pipereview.render.table import render_table

AS_OF = dt.date(2026, 11, 20)
SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(1)>"
MARKDOWN = "**bold** [link](http://e.vil) `code` | _u_ ~s~ \\ www.e.vil"


def _report(deal_id: str, rep_id: str, name: str, stage: str) -> Any:
    deals = [
        {"deal_id": deal_id, "rep_id": rep_id, "status": "active", "deal_value_usd": 100000.0,
         "probability": 0.5, "days_in_stage": 40, "stage": stage, "close_date": "2026-12-01",
         "risk_flags": [SCRIPT]},
        {"deal_id": "D2", "rep_id": "R2", "status": "active", "deal_value_usd": 5000.0,
         "probability": 0.5, "days_in_stage": 40, "stage": stage, "close_date": "2026-12-01"},
    ]  # fmt: skip
    reps = [
        {"rep_id": rep_id, "rep_name": name, "quota_usd": 100000, "year_to_date_revenue_usd": 1,
         "quota_3m": 10, "closed_won_3m_current": 1, "risk_velocity_flag": "increasing",
         "manager_id": deal_id},
        {"rep_id": "R2", "rep_name": IMAGE, "manager_id": deal_id},
    ]  # fmt: skip
    return build_report(deals, reps, as_of=AS_OF)


def _as_github_would(markdown: str) -> str:
    """The HTML a Markdown viewer that allows inline HTML makes of ``markdown``."""
    return (
        MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table").render(markdown)
    )


def test_markdown_shows_markup_from_the_input_as_text() -> None:
    report = _report(SCRIPT, IMAGE, MARKDOWN, MARKDOWN)
    page = _as_github_would(render(report, "markdown"))
    for tag in ("<script", "<img", "<strong>bold", "<em>u", "<a ", "<code>cod", "<del>"):
        assert tag not in page, tag
    # ... and each value reads as the characters it holds
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "**bold** [link](http://e.vil)" in page


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("a|b", "a\\|b"),
        ("<b>&", "&lt;b&gt;&amp;"),
        ("*x* _y_ `z` [w] ~v~ \\", "\\*x\\* \\_y\\_ \\`z\\` \\[w\\] \\~v\\~ \\\\"),
        ("line\nbreak", "line break"),
        ("go to http://x", "go to http:\\/\\/x"),
        ("D-1. #2 (a)", "D-1. #2 (a)"),  # only inline syntax is escaped
    ],
)
def test_md_escapes_what_markdown_would_obey(value: str, escaped: str) -> None:
    assert md(value) == escaped


def test_html_escapes_markup_from_the_input() -> None:
    page = render_html(_report(SCRIPT, IMAGE, MARKDOWN, MARKDOWN))
    body = page.split("<body>", 1)[1]
    assert "<script" not in body and "<img" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_a_very_long_name_is_cut_for_display_in_every_human_format() -> None:
    long = "N" * 200_000  # one unbroken word: a browser or a printer cannot wrap it
    report = _report("D" * 200_000, "R" * 200_000, long, "S" * 200_000)
    assert long in report.to_json()  # the JSON keeps every character
    shown = {
        "table": render_table(report, 100),
        "full": render_table(report, 100, full=True),
        "markdown": render(report, "markdown"),
        "html": render_html(report).replace("<wbr>", ""),  # where a long word may break
    }
    for fmt, text in shown.items():
        assert "N" * (TEXT_LIMIT + 1) not in text, fmt
        assert "S" * (TEXT_LIMIT + 1) not in text, fmt
        assert "N" * 20 + "…" in text, fmt
        # nothing is cut without a mark
        assert "D" * (TEXT_LIMIT + 1) not in text, fmt
    pdf = pypdf.PdfReader(io.BytesIO(render(report, "pdf")))
    printed = "".join(p.extract_text() for p in pdf.pages)
    assert "N" * 20 in printed and "N" * (TEXT_LIMIT + 1) not in printed
