"""PDF renderer: the HTML page printed by WeasyPrint (no browser), A4 or Letter."""

from __future__ import annotations

from pipereview.render.html import PageSize, render_html
from pipereview.report.model import Report


def render_pdf(report: Report, page_size: PageSize = "A4") -> bytes:
    """The report as PDF bytes: the HTML report's page, paginated for print."""
    import weasyprint

    page = weasyprint.HTML(string=render_html(report, page_size))
    pdf: bytes = page.write_pdf()
    return pdf
