"""The terminal: every table fits the width it is given (the terminal's, or COLUMNS), no
number is split or cut, and the long lists say how many rows they leave out and where to
see them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pipereview.api import build_report, generate_demo
from pipereview.render.executive import summary
from pipereview.render.forecast import render_forecast_table
from pipereview.render.table import render_table
from pipereview.render.terminal import fit, layout, name, num, plain, wrap
from tests.conftest import AS_OF
from tests.support.cli import pipereview as run

MONEY = re.compile(r"-?[$€£¥][\d,.]*[KMBT]?\S?")
WHOLE = re.compile(
    r"-?[$€£¥](\d{1,3}(,\d{3})*\.\d{2}|\d{1,3}(\.\d)?[KMBT]|\d{1,3})[)%;,.]?"
)  # $1,234.56, $1.2M, $740 (a compact value below $1,000)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    deals, reps = generate_demo(tmp_path_factory.mktemp("demo"), n_deals=2000, n_reps=24)
    return build_report(deals, reps, as_of=AS_OF)


def _money_is_whole(text: str) -> list[str]:
    """Every money value in ``text`` that is not written whole (split or cut)."""
    return [m for m in MONEY.findall(text) if not WHOLE.fullmatch(m)]


@pytest.mark.parametrize("width", [80, 100, 120])
@pytest.mark.parametrize("full", [False, True])
def test_the_report_fits_and_never_splits_money(demo: Any, width: int, full: bool) -> None:
    text = render_table(demo, width, full=full)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert _money_is_whole(text) == []
    assert not re.search(r"\d…", text)  # no number cut short


def test_the_summary_is_short_and_says_where_the_rest_is(demo: Any) -> None:
    text = render_table(demo, 100)
    assert len(text.splitlines()) < 150
    order = ["Where the quarter will land", "What moved", "Where the risk is", "Who needs help"]
    assert [text.index(h) for h in order] == sorted(text.index(h) for h in order)
    s = summary(demo)
    assert f"{s.help_more:,} more flagged: --full lists every rep." in " ".join(text.split())
    assert "--full prints every section and list" in text
    full = render_table(demo, 100, full=True)
    assert "Deals to look at" in full and "Deals to look at" not in text


def test_narrow_columns_go_first_and_say_so() -> None:
    cols = [name("Name", max_width=20), num("Quota"), num("Extra", 3), wrap("Why")]
    rows = [["Ada Lovelace (R1)", "$1,234,567.00", "$9,999,999.00", "a reason in a few words"]]
    kept = [cols[i].header for i, _ in layout(cols, rows, 60)]
    assert kept == ["Name", "Quota", "Why"]  # Extra (priority 3) goes before anything is cut
    out = plain([fit(None, cols, rows, 60)], 60)
    assert "Ada Lovelace (R1)" in out and "$1,234,567.00" in out
    assert "$9,999,999.00" in plain([fit(None, cols, rows, 100)], 100)


def test_the_forecast_command_follows_columns(small_files: tuple[Path, Path]) -> None:
    deals, reps = small_files
    base = ["forecast", "--deals", deals, "--reps", reps, "--as-of", "2026-11-20"]
    for width in (80, 100):
        done = run(*base, env={"COLUMNS": str(width)})
        assert done.returncode == 0, done.stderr
        assert max(len(line) for line in done.stdout.splitlines()) <= width
        assert _money_is_whole(done.stdout) == []
        assert "Not shown at this width:" in done.stdout


def test_the_forecast_renders_at_any_width(demo: Any) -> None:
    for width in (60, 80, 100, 140, 220):
        text = render_forecast_table(demo.forecast, "manager", width)
        assert max(len(line) for line in text.splitlines()) <= width
        assert _money_is_whole(text) == []


def test_velocity_follows_the_width() -> None:
    import datetime as dt

    from pipereview.render.velocity import render_velocity_table
    from pipereview.report.model import CycleTime, StageVelocity, Velocity

    stages = [
        StageVelocity(stage=name, deals=1200, deals_with_days=1200, mean_days=24.5,
                      median_days=20.0, open_deals=300, reached=1200, advanced=900,
                      next_stage="Negotiation and legal review", conversion_rate=0.75, won=410,
                      lost=380, win_rate=0.519)
        for name in ("Qualification", "Discovery and solution design", "Proposal")
    ]  # fmt: skip
    cycle = CycleTime(month=None, won_deals=410, mean_days=61.25, median_days=58.0)
    v = Velocity(as_of=dt.date(2026, 3, 31), source="stage_history",
                 stage_order_source="policy", stages=stages, other_stages=[],
                 cycle_time=cycle, cycle_time_by_month=[])  # fmt: skip
    for width in (80, 100, 120):
        text = render_velocity_table(v, width)
        assert max(len(line) for line in text.splitlines()) <= width
        assert "24.50" not in text and re.search(r"│\s+24 │", text)  # whole days
        assert "1,200" in text and not re.search(r"\d…", text)


def _on_a_terminal(args: list[str], columns: int) -> str:
    """What ``pipereview ARGS`` prints on a terminal ``columns`` wide (a pseudo-terminal;
    colours and cursor codes removed)."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    done = subprocess.run(
        [sys.executable, "-m", "pipereview", *args],
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env={**env, "TERM": "xterm-256color"},
        timeout=300,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert done.returncode == 0
    raw = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw)


@pytest.mark.parametrize("columns", [80, 100])
def test_the_report_on_a_terminal(small_files: tuple[Path, Path], columns: int) -> None:
    deals, reps = small_files
    shown = _on_a_terminal(
        ["report", "--deals", str(deals), "--reps", str(reps), "--as-of", "2026-11-20"], columns
    )
    lines = shown.splitlines()
    assert max(len(line) for line in lines) <= columns
    for heading in ("Where the quarter will land", "What moved", "Where the risk is",
                    "Who needs help", "Pipeline"):  # fmt: skip
        assert heading in lines, heading  # a heading on a line of its own
    assert _money_is_whole(shown) == []
