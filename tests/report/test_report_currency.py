"""The report's currency (docs/metrics.md "Currencies"): the JSON says it, and every human
format, chart axis, flag sentence and data-quality sentence writes money in it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import pipereview as run

DEALS = (
    "deal_id,rep_id,status,deal_value_usd,probability,days_in_stage,close_date\n"
    "D1,R1,active,125000,0.5,40,2026-12-15\n"
    "D2,R1,won,40000,1,0,2026-10-20\n"
    "D3,R2,active,,0.2,3,2026-12-01\n"
)
REPS = "rep_id,rep_name,quota_usd,year_to_date_revenue_usd\nR1,Ann,400000,40000\nR2,Bo,,\n"


def _run(tmp_path: Path, base: str | None, *args: str) -> str:
    (tmp_path / "deals.csv").write_text(DEALS)
    (tmp_path / "reps.csv").write_text(REPS)
    policy = tmp_path / "policy.toml"
    policy.write_text(f'[currency]\nbase = "{base}"\n' if base else "")
    done = run(
        *args,
        "--deals",
        tmp_path / "deals.csv",
        "--reps",
        tmp_path / "reps.csv",
        "--policy",
        policy,
        "--as-of",
        "2026-11-20",
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_json_states_its_currency(tmp_path: Path) -> None:
    assert json.loads(_run(tmp_path, None, "report", "--format", "json"))["currency"] == "USD"
    data = json.loads(_run(tmp_path, "eur", "report", "--format", "json"))
    assert data["currency"] == "EUR"
    messages = [f["message"] for f in data["flags"]] + [q["message"] for q in data["data_quality"]]
    assert any("€125,000.00" in m for m in messages)  # D1's stalled sentence
    assert not any("$" in m for m in messages)


def test_every_human_format_writes_the_currency(tmp_path: Path) -> None:
    for fmt in ("markdown", "html"):
        text = _run(tmp_path, "EUR", "report", "--format", fmt)
        assert "€" in text and "$" not in text.replace("$~s", ""), fmt
    table = _run(tmp_path, "EUR", "report", "--full")
    assert "€125,000.00" in table and "$" not in table
    html = _run(tmp_path, "EUR", "report", "--format", "html")
    assert "(EUR)" in html  # the forecast chart's axis
    chf = _run(tmp_path, "CHF", "report", "--format", "markdown")
    assert "CHF 125.0K" in chf and "$" not in chf  # no symbol is unambiguous: the code


def test_the_forecast_command_writes_the_currency(tmp_path: Path) -> None:
    for fmt in ("table", "markdown", "html"):
        text = _run(tmp_path, "GBP", "forecast", "--format", fmt)
        assert "£" in text and "$" not in text.replace("$~s", ""), fmt
