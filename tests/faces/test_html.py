"""The HTML and PDF reports, the Markdown summary and the human formats (no browser here;
``test_browser.py`` loads the page in Chromium)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pypdf
import pytest

from pipereview.api import build_report, generate_demo
from pipereview.render import render
from pipereview.render.html import render_html
from pipereview.render.numbers import cell, compact_money
from pipereview.render.pdf import render_pdf
from tests.conftest import AS_OF
from tests.support.cli import pipereview

GOLDEN = Path(__file__).parents[1] / "golden"
DEMO_POLICY = {"flags": {"max_per_rule": 8}}


class _Text(HTMLParser):
    """The text a reader sees: every text node outside <style>, <svg> and <head>, one line
    per block of text, whitespace collapsed."""

    SKIP = frozenset({"style", "svg", "head", "script"})

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.lines: list[str] = []
        self.joined = False  # after a <wbr>: the word goes on

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.depth += 1
        self.joined = tag == "wbr"

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self.depth:
            if self.joined and self.lines:
                self.lines[-1] += text
            else:
                self.lines.append(text)
        self.joined = False


def text_of(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.lines) + "\n"


@pytest.fixture(scope="module")
def small_report(small_files: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    return build_report(*small_files, as_of=AS_OF)


def test_the_page_is_self_contained(small_report) -> None:  # type: ignore[no-untyped-def]
    page = render_html(small_report)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and '<link rel="stylesheet"' not in page
    assert "@import" not in page and "url(" not in page
    # the only absolute URLs are SVG's XML namespaces, which are names, not requests
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert page.count("<svg") == 2  # the quarter against quota by manager, pipeline by stage
    assert "default-src 'none'" in page
    assert "@page { size: A4;" in page and "@page wide { size: A4 landscape;" in page
    assert "@page { size: Letter;" in render_html(small_report, "Letter")


def test_the_page_reads_naturally(small_report) -> None:  # type: ignore[no-untyped-def]
    text = text_of(render_html(small_report))
    # the quarter first: attainment, commit and best-case forecasts, gap, coverage, pace
    assert text.index("Where the quarter will land") < text.index("Forecast FY2026-Q4")
    assert "Quota attainment\n53%\n$40.0K closed of $75.0K" in text
    assert "Gap to quota\n$35.0K\n$35,000.00" in text and "Coverage\n4.43x" in text
    # headline KPIs: compact money with the exact figure beside it, rates as percentages
    assert "Total pipeline\n$270.0K\n$270,000.00" in text
    assert "Win rate\n57%" not in text and "Win rate\n75%" in text
    # a flagged deal names its owner, stage, close date, value and probability, then why
    # in words that do not repeat them
    assert "D1\nAda Lovelace\nProposal\n2026-12-15\n$100,000.00\n50%\n30 days in stage" in text
    # a deal whose rep is not in the reps input shows its rep id
    assert "D8\nR9\nProspecting\n2026-12-20\n$5,000.00" in text
    # top opportunities: id, value and probability
    assert "D1 ($100.0K, 50%), D2 ($50.0K, 80%)" in text
    assert "No data-quality findings." not in text and "Repeated deal ids" in text
    # the fingerprints close the page
    assert text.rstrip().endswith("schema 1.3 · as of 2026-11-20")


def test_the_demo_page_text_matches_the_golden(tmp_path: Path) -> None:
    """The text content of the demo report (a smaller demo, fewer flags listed)."""
    deals, reps = generate_demo(tmp_path, n_deals=600, n_reps=12)
    report = build_report(deals, reps, as_of=AS_OF, policy=DEMO_POLICY)
    text = text_of(render_html(report))
    path = GOLDEN / "demo_report.html.txt"
    if os.environ.get("PIPEREVIEW_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_pipeline_by_stage_adds_up(small_report) -> None:  # type: ignore[no-untyped-def]
    stages = small_report.pipeline_by_stage
    assert [(s.stage, s.active_deals, s.pipeline_value) for s in stages] == [
        ("Proposal", 1, Decimal("100000.00")),
        ("Qualification", 1, Decimal("75000.00")),
        ("Negotiation", 1, Decimal("50000.00")),
        ("Discovery", 2, Decimal("40000.00")),
        ("Prospecting", 1, Decimal("5000.00")),
    ]
    summary = small_report.pipeline_summary
    assert sum(s.pipeline_value for s in stages) == summary.total_pipeline_value
    assert sum(s.weighted_pipeline_value for s in stages) == summary.weighted_pipeline_value
    assert sum(s.active_deals for s in stages) == summary.active_deals


def test_deal_details_name_owner_stage_and_value(small_report) -> None:  # type: ignore[no-untyped-def]
    by_id = {d.deal_id: d for d in small_report.deal_details}
    d1 = by_id["D1"]
    assert (d1.rep_name, d1.stage, d1.deal_value_usd, d1.probability) == (
        "Ada Lovelace",
        "Proposal",
        Decimal("100000.00"),
        0.5,
    )
    assert d1.expected_value == Decimal("50000.00")
    assert by_id["D8"].rep_name is None and by_id["D8"].rep_id == "R9"
    named = {f.subject_id for f in small_report.flags if f.subject_type == "deal"}
    named |= {i for r in small_report.rep_performance for i in r.top_opportunities}
    assert set(by_id) == named


def test_the_pdf_has_pages_and_the_headline_numbers(small_report) -> None:  # type: ignore[no-untyped-def]
    a4 = pypdf.PdfReader(io.BytesIO(render_pdf(small_report)))
    letter = pypdf.PdfReader(io.BytesIO(render_pdf(small_report, "Letter")))
    assert len(a4.pages) >= 2
    width, height = (float(v) for v in a4.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    width, height = (float(v) for v in letter.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (612, 792)  # US Letter
    first = a4.pages[0].extract_text()
    # page 1 is the executive summary: the quarter, the risk, who needs help
    for headline in ("Pipeline review — FY2026-Q4, as of 2026-11-20", "53%", "$40.0K", "4.43x"):
        assert headline in first
    assert "Where the risk is" in first and "Who needs help" in first
    assert "Deals to look at" not in first
    everything = "".join(p.extract_text() for p in a4.pages)
    assert "Ada Lovelace" in everything and "Stalled deals" in everything


def test_the_markdown_summary_is_short(small_report) -> None:  # type: ignore[no-untyped-def]
    md = render(small_report, "md")
    assert md == render(small_report, "markdown")
    assert md.startswith(
        "# Pipeline review — FY2026-Q4 (2026-10-01 to 2026-12-31), as of 2026-11-20\n\n"
        "## Where the quarter will land\n\n- **Quota attainment:** 53% ($40.0K closed of $75.0K)"
    )
    order = ["## Where the quarter will land", "## Where the risk is", "## Who needs help",
             "## Pipeline", "## Coaching", "Data quality:"]  # fmt: skip
    assert [md.index(h) for h in order] == sorted(md.index(h) for h in order)
    assert "- **Grace Hopper** (R2): Needs coaching: 50% of annual quota (coaching below" in md
    risks = md.split("## Where the risk is\n\n")[1].split("\n\n")[1].splitlines()[2:]
    # D4 and D6 close after the quarter: they put nothing of it at stake
    assert [r.split(" | ")[0] for r in risks] == ["| D1", "| D8"]
    assert risks[0] == (
        "| D1 | Ada Lovelace | Proposal | 2026-12-15 | $100.0K | 50% | 30 days in stage "
        "(stalled from 21); risk: no champion, budget cut |"
    )
    assert len(md.splitlines()) < 60


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (0.57, "rate", "57%"),
        (1.27, "rate", "127%"),
        (0.005, "rate", "0%"),
        (0.005, "rate1", "0.5%"),
        (0.785, "rate", "78%"),
        (85.0, "pct", "85.0%"),
        (85.3, "pct", "85.3%"),
        (-0.0, "pct", "0.0%"),
        (0.12, "points", "12 pts"),
        (28.0, "days", "28"),
        (27.5, "days", "28"),
        (Decimal("-104049"), "usd", "-$104,049.00"),
        (Decimal("107600000"), "compact", "$107.6M"),
        (Decimal("999960"), "compact", "$1.0M"),
        (Decimal("950200"), "compact", "$950.2K"),
        (Decimal("740"), "compact", "$740"),
        (Decimal("-2500000"), "compact", "-$2.5M"),
        (Decimal("1234.5"), "usd", "$1,234.50"),
        (None, "rate", "—"),
    ],
)
def test_human_formats(value: object, kind: str, text: str) -> None:
    assert cell(value, kind) == text


def test_compact_money_rounds_to_the_nearest_unit() -> None:
    assert compact_money(Decimal("1049999")) == "$1.0M"
    assert compact_money(Decimal("1050001")) == "$1.1M"
    assert compact_money(Decimal("999999999999")) == "$1.0T"


def test_the_print_limit_says_what_it_leaves_out(small_report) -> None:  # type: ignore[no-untyped-def]
    text = text_of(render_html(small_report, limit=1))
    assert "… and 2 more reps: the HTML and JSON reports list them all." in text
    assert "Stalled deals\n(3, the 1 of highest value listed)" in text
    # the count beside a capped list is the count of the list (not the JSON's)
    assert "Stalled\nDeals\nWarning\n3\n1\n" in text
    full = text_of(render_html(small_report))
    assert "more reps" not in full and "Stalled deals\n(3)" in full
    assert "Stalled\nDeals\nWarning\n3\n3\n" in full
    # the forecast's rep rows (R1, R2, R3 and R9, deals of an unknown rep) are capped too
    three = text_of(render_html(small_report, limit=3))
    assert "… and 1 more row: the HTML and JSON reports list them all." in three
    assert text_of(render_html(small_report, limit=4)) == full


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return pipereview(*args, cwd=cwd)


def test_the_cli_writes_html_and_pdf_and_guards_output(
    small_files: tuple[Path, Path], tmp_path: Path
) -> None:
    deals, reps = (str(p) for p in small_files)
    base = ["report", "--deals", deals, "--reps", reps, "--as-of", "2026-11-20"]
    done = _cli(*base, "--format", "html", "--output", "r.html", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == "wrote r.html\n"
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    done = _cli(
        *base, "--format", "pdf", "--page-size", "Letter", "--output", "r.pdf", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    letter = pypdf.PdfReader(tmp_path / "r.pdf").pages[0].mediabox
    assert (round(float(letter.width)), round(float(letter.height))) == (612, 792)
    policy = tmp_path / "p.toml"
    policy.write_text('[output]\npage_size = "Letter"\n')
    done = _cli(
        *base, "--policy", str(policy), "--format", "pdf", "--output", "p.pdf", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert round(float(pypdf.PdfReader(tmp_path / "p.pdf").pages[0].mediabox.width)) == 612
    # refusals: a mismatched name, another kind of file, a missing directory
    wrong = _cli(*base, "--format", "pdf", "--output", "r.html", cwd=tmp_path)
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("error: r.html: a .html file would get PDF content")
    (tmp_path / "notes").write_bytes(b"%PDF-1.7 not really")
    kind = _cli(*base, "--format", "markdown", "--output", "notes", cwd=tmp_path)
    assert kind.returncode == 1
    assert "notes: exists and holds PDF, not text; refusing to overwrite it" in kind.stderr
    assert (tmp_path / "notes").read_bytes() == b"%PDF-1.7 not really"
    # a name that says what it is for may be overwritten with that kind (JSON -> Markdown)
    assert _cli(*base, "--format", "json", "--output", "was.md", cwd=tmp_path).returncode == 0
    assert _cli(*base, "--format", "md", "--output", "was.md", cwd=tmp_path).returncode == 0
    # a symlink's target gets the output, with its permissions kept; a FIFO is not read
    (tmp_path / "real.md").write_text("old")
    (tmp_path / "real.md").chmod(0o600)
    (tmp_path / "link.md").symlink_to(tmp_path / "real.md")
    assert _cli(*base, "--format", "md", "--output", "link.md", cwd=tmp_path).returncode == 0
    assert (tmp_path / "link.md").is_symlink()
    assert (tmp_path / "real.md").read_text().startswith("# Pipeline review")
    assert (tmp_path / "real.md").stat().st_mode & 0o777 == 0o600
    (tmp_path / "own.md").write_text("old")
    (tmp_path / "own.md").chmod(0o640)
    assert _cli(*base, "--format", "md", "--output", "own.md", cwd=tmp_path).returncode == 0
    assert (tmp_path / "own.md").stat().st_mode & 0o777 == 0o640
    nodir = _cli(*base, "--format", "md", "--output", "new/r.md", cwd=tmp_path)
    assert nodir.returncode == 1 and "the directory new does not exist" in nodir.stderr
    assert not (tmp_path / "new").exists()
    again = _cli(*base, "--format", "md", "--output", "r.md", cwd=tmp_path)
    assert again.returncode == 0 and (tmp_path / "r.md").read_text().startswith("# Pipeline")
    assert _cli(*base, "--format", "md", "--output", "r.md", cwd=tmp_path).returncode == 0
    # the PDF's bytes on a pipe: a real process
    piped = subprocess.run(
        [sys.executable, "-m", "pipereview", *base, "--format", "pdf"], capture_output=True
    )
    assert piped.returncode == 0 and piped.stdout.startswith(b"%PDF")


def test_repeated_ids_show_the_row_each_flag_judged(tmp_path: Path) -> None:
    deals = [
        {"deal_id": "dup", "rep_id": "R1", "status": "active", "deal_value_usd": 5000.0,
         "probability": 0.5, "days_in_stage": 30, "stage": "Proposal"},
        {"deal_id": "dup", "rep_id": "R2", "status": "active", "deal_value_usd": 6000.0,
         "probability": 0.2, "days_in_stage": 40, "stage": "Discovery"},
    ]  # fmt: skip
    reps = [{"rep_id": "R1", "rep_name": "Ann"}, {"rep_id": "R2", "rep_name": "Bo"}]
    report = build_report(deals, reps, as_of=AS_OF)
    text = text_of(render_html(report))
    assert "dup\nAnn\nProposal\n—\n$5,000.00\n50%\n30 days in stage (stalled from 21)" in text
    assert "dup\nBo\nDiscovery\n—\n$6,000.00\n20%\n40 days in stage (stalled from 21)" in text
    md = render(report, "md")  # the rows at stake: $2,500 weighted before $1,200
    assert "| dup | Ann | Proposal | — | $5.0K | 50% | 30 days in stage (stalled from 21) |" in md
    assert "| dup | Bo | Discovery | — | $6.0K | 20% | 40 days in stage (stalled from 21) |" in md
    assert md.index("| dup | Ann |") < md.index("| dup | Bo |")


def test_kpi_colours_say_good_or_bad_not_up_or_down(tmp_path: Path) -> None:
    from pipereview.api import snapshot
    from pipereview.render.html import kpis

    def deal(i: int, days: int) -> dict[str, object]:
        value = {"deal_value_usd": 1000.0 * i, "probability": 0.5, "days_in_stage": days}
        return {"deal_id": f"D{i}", "rep_id": "R1", "status": "active", **value}

    reps = [{"rep_id": "R1", "rep_name": "Ann"}]
    store = tmp_path / "s.duckdb"
    snapshot([deal(1, 1), deal(2, 1)], reps, as_of=AS_OF, store=store)
    later = build_report(
        [deal(1, 30), deal(2, 30), deal(3, 1)], reps, as_of=AS_OF.replace(day=27), store=store
    )
    shown = {k.label: (k.direction, k.tone) for k in kpis(later)}
    assert shown["Total pipeline"] == ("up", "good")  # $3,000 -> $6,000
    assert shown["Stalled deals"] == ("up", "bad")  # 0 -> 2
    assert shown["At-risk deals"] == ("", "")  # 0 -> 0
    assert all(k.tone == "" for k in kpis(build_report([deal(1, 1)], reps, as_of=AS_OF)))


def test_chart_text_is_drawn_in_the_font_it_was_measured_in(small_report) -> None:  # type: ignore[no-untyped-def]
    # vl-convert measures each label to lay the chart out; a printer that draws it in a
    # wider font pushes it past the frame ("Veighted pipeline"). Arial's metrics are the
    # same in Liberation Sans, which the browser and WeasyPrint resolve alike.
    from pipereview.render.charts import FONT

    page = render_html(small_report)
    fonts = set(re.findall(r'<text[^>]*font-family="([^"]*)"', page))
    assert fonts == {FONT.replace('"', "&quot;")} or fonts == {FONT}


def test_every_chart_is_a_valid_vega_lite_spec(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # reports skip Altair's schema check (it costs a second per process); the tests make it
    from pipereview.api import snapshot
    from pipereview.render import charts

    monkeypatch.setattr(charts, "VALIDATE", True)
    deals, reps = generate_demo(tmp_path, n_deals=400, n_reps=8)
    store = tmp_path / "s.duckdb"
    snapshot(deals, reps, as_of=AS_OF.replace(day=13), store=store)
    report = build_report(deals, reps, as_of=AS_OF, store=store)
    assert report.flow is not None
    assert render_html(report).count("<svg") == 3  # the quarter, by stage, the flow
    assert charts.line_chart([(AS_OF, 1.0), (AS_OF.replace(day=21), 2.0)], "t", "m")
    assert charts.history_chart([(AS_OF, 2.0, 1.0)])
