"""The PDF's own layout: every table fits its page (WeasyPrint's boxes), every column
header is printed (pypdf's text), the first page is the executive summary, and the counts
beside a capped list are the list's. A4 and Letter."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from typing import Any

import pypdf
import pytest
import weasyprint
from weasyprint.formatting_structure import boxes

from pipereview.api import build_report, generate_demo
from pipereview.render.html import render_html
from pipereview.render.pdf import PDF_ROWS
from tests.conftest import AS_OF

ROWS = 40  # a print cap below the demo's list lengths, so the capped counts are tested


class _Headers(HTMLParser):
    """The header cells of every table of a page, table by table."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[str]] = []
        self.inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "thead":
            self.tables.append([])
        elif tag == "th":
            self.inside = True
            self.tables[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "th":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.tables[-1][-1] += data


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    deals, reps = generate_demo(tmp_path_factory.mktemp("demo"), n_deals=1500, n_reps=20)
    return build_report(deals, reps, as_of=AS_OF)


@pytest.fixture(scope="module", params=["A4", "Letter"])
def printed(request: pytest.FixtureRequest, demo: Any) -> tuple[str, Any, Any]:
    html = render_html(demo, request.param, ROWS)
    document = weasyprint.HTML(string=html).render()
    return html, document, pypdf.PdfReader(io.BytesIO(document.write_pdf()))


def _overflowing(document: Any) -> list[str]:
    """Boxes whose right edge passes their page's content edge (a table too wide, a word
    too long), as 'page N: tag text'."""
    found = []
    for number, page in enumerate(document.pages, start=1):
        box = page._page_box
        right = box.content_box_x() + box.width + 0.5
        for child in box.descendants():
            if isinstance(child, boxes.TableBox | boxes.TableCellBox | boxes.TextBox):
                edge = child.position_x + child.margin_width()
                if edge > right:
                    text = getattr(child, "text", "") or child.element_tag
                    found.append(f"page {number}: {child.element_tag} {text[:40]!r}")
    return found


def test_every_table_fits_its_page(printed: tuple[str, Any, Any]) -> None:
    _, document, _ = printed
    assert _overflowing(document) == []


def test_every_column_header_is_printed(printed: tuple[str, Any, Any]) -> None:
    html, _, pdf = printed
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    parser = _Headers()
    parser.feed(html.split("<body>", 1)[1])
    assert len(parser.tables) > 10
    missing = [
        (table, word)
        for table in parser.tables
        for header in table
        for word in header.split()
        if word not in text
    ]
    assert missing == []
    # the forecast's every column (the PDF once stopped at "Best-case forecast")
    for header in ("Open pipeline", "Gap to quota", "Weighted coverage", "Slipped"):
        assert header in text


def test_page_one_is_the_executive_summary(printed: tuple[str, Any, Any]) -> None:
    _, _, pdf = printed
    first = " ".join(pdf.pages[0].extract_text().split())
    for part in ("Where the quarter will land", "Quota attainment", "Commit forecast",
                 "Gap to quota", "Coverage", "Where the risk is", "Who needs help"):  # fmt: skip
        assert part in first
    assert "Deals to look at" not in first
    # the forecast's wide table is printed on a landscape page
    forecast = next(i for i, p in enumerate(pdf.pages) if "Forecast FY2026-Q4" in p.extract_text())
    width, height = (float(v) for v in pdf.pages[forecast].mediabox.upper_right)
    assert width > height and forecast == 1


def test_counts_beside_a_capped_list_are_the_lists(printed: Any, demo: Any) -> None:
    _, _, pdf = printed
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    stalled = next(c for c in demo.flag_counts if c.rule == "stalled_deal")
    assert stalled.total > ROWS
    assert f"Stalled deals ({stalled.total:,}, the {ROWS} of highest value listed)" in text
    assert f"Stalled Deals Warning {stalled.total:,} {ROWS}" in text  # flags by rule
    assert f"Stalled Deals Warning {stalled.total:,} {stalled.shown:,}" not in text


def test_the_default_cap_is_the_policy_default() -> None:
    assert PDF_ROWS == 100


def test_no_chart_is_wider_than_the_page(printed: tuple[str, Any, Any]) -> None:
    _, document, _ = printed
    for page in document.pages:
        box = page._page_box
        right = box.content_box_x() + box.width + 0.5
        for child in box.descendants():
            if child.element_tag == "svg":
                assert child.position_x + child.margin_width() <= right
    assert re.search(r"<svg", printed[0])


def test_a_long_id_or_name_wraps_inside_its_cell() -> None:
    from tests.faces.test_hostile import _report

    report = _report("D" * 5000, "R" * 5000, "N" * 5000, "S" * 5000)
    html = render_html(report, "A4", ROWS)
    assert _overflowing(weasyprint.HTML(string=html).render()) == []
    # ... in a wider font too: a machine without Helvetica's metric twin (Liberation Sans)
    # prints in DejaVu Sans, about a tenth wider, and the forecast's names once overflowed
    wider = html.replace("</head>", "<style>td, th { letter-spacing: 1.5px; }</style></head>")
    assert _overflowing(weasyprint.HTML(string=wider).render()) == []
