"""PDF renderer: the HTML page printed by WeasyPrint (no browser), A4 or Letter.

WeasyPrint's table layout time grows with every row, so a page with every rep of a large
organisation would take minutes: the PDF caps each long list at ``limit`` rows
(``output.pdf_rows``) and says how many it leaves out; the HTML and JSON keep them all.
"""

from __future__ import annotations

from pipereview.render.html import PageSize, render_html
from pipereview.report.model import Report

PDF_ROWS = 100  # the default of output.pdf_rows


def render_pdf(report: Report, page_size: PageSize = "A4", limit: int = PDF_ROWS) -> bytes:
    """The report as PDF bytes: the HTML report's page, every long list capped at
    ``limit`` rows (0 = none), paginated for print."""
    import weasyprint

    page = weasyprint.HTML(string=render_html(report, page_size, limit))
    pdf: bytes = page.write_pdf()
    return pdf
