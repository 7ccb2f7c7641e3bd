"""Currencies: amounts converted into the base currency from a rates table or the policy,
exactly, with the rate in force on the report date; a missing rate stops the run."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pipereview.api import build_report
from pipereview.errors import InputError, PolicyError
from pipereview.policy import policy_from_dict

AS_OF = dt.date(2026, 11, 22)
HEADER = "deal_id,rep_id,status,deal_value_usd,probability,amount,currency"
DEALS = (
    f"{HEADER}\n"
    "A,R1,active,,0.5,100.00,EUR\n"  # 100 x 1.10 = 110.00
    "B,R1,active,,1,10.01, gbp \n"  # 10.01 x 1.2705 = 12.717705 -> 12.7177
    "C,R2,active,1,0.5,50,usd\n"  # base currency: its amount, 50
    "D,R2,active,20,0.5,,\n"  # no currency, no amount: its own value, 20
    "E,R2,won,,1,300,EUR\n"  # 330.00
)
REPS = "rep_id,rep_name\nR1,Ann\nR2,Bob\n"
RATES = (
    "currency,rate,date\n"
    "EUR,1.00,\n"  # undated: behind any dated rate
    "EUR,1.10,2026-11-01\n"  # in force on 2026-11-22
    "EUR,1.20,2026-12-01\n"  # not yet
    "GBP,1.2705,\n"
)


def _files(tmp_path: Path, deals: str = DEALS, rates: str = RATES) -> tuple[Path, Path, Path]:
    paths = []
    for name, text in (("deals.csv", deals), ("reps.csv", REPS), ("rates.csv", rates)):
        (tmp_path / name).write_text(text)
        paths.append(tmp_path / name)
    return paths[0], paths[1], paths[2]


def _summary(report: Any) -> dict[str, Any]:
    return json.loads(report.to_json())["pipeline_summary"]


def test_rates_file_by_hand(tmp_path: Path) -> None:
    deals, reps, rates = _files(tmp_path)
    report = build_report(deals, reps, as_of=AS_OF, rates=rates)
    summary = _summary(report)
    # active: 110.00 + 12.7177 + 50 + 20 = 192.7177 -> 192.72
    assert summary["total_pipeline_value"] == 192.72
    # weighted: 55.00 + 12.7177 + 25 + 10 = 102.7177 -> 102.72
    assert summary["weighted_pipeline_value"] == 102.72
    values = {d.deal_id: d.deal_value_usd for d in report.deal_details}
    assert values["A"] == Decimal("110.00")
    (item,) = [i for i in report.data_quality if i.check == "converted_currency"]
    assert item.count == 3  # A, B, E (C is in the base currency)
    assert "2 other currencies" in item.message


def test_policy_rates_and_another_base(tmp_path: Path) -> None:
    deals, reps, _ = _files(tmp_path)
    policy = {"currency": {"base": "EUR", "rates": {"USD": 0.9, "GBP": 1.15}}}
    summary = _summary(build_report(deals, reps, as_of=AS_OF, policy=policy))
    # A 100 (base), B 10.01 x 1.15 = 11.5115, C 50 x 0.9 = 45, D 20 (own value)
    assert summary["total_pipeline_value"] == 176.51  # 176.5115


def test_missing_rate_names_currency_and_count(tmp_path: Path) -> None:
    deals, reps, rates = _files(tmp_path, DEALS + "F,R1,active,,0.5,5,JPY\nG,R2,lost,,0,7,jpy\n")
    with pytest.raises(InputError) as caught:
        build_report(deals, reps, as_of=AS_OF, rates=rates)
    assert str(caught.value) == (
        f"{rates}: no exchange rate for JPY (2 deals) (add a rate into USD for each currency "
        "(--rates FILE or the policy's [currency.rates]))"
    )


def test_bad_rates_are_located(tmp_path: Path) -> None:
    deals, reps, rates = _files(tmp_path, rates="currency,rate\nEUR,1.1\nGBP,0\n")
    with pytest.raises(InputError) as caught:
        build_report(deals, reps, as_of=AS_OF, rates=rates)
    assert (caught.value.line, caught.value.column) == (3, "rate")
    twice = "currency,rate,date\nEUR,1.1,2026-11-01\neur,1.2,2026-11-01\nGBP,1,\n"
    deals, reps, rates = _files(tmp_path, rates=twice)
    with pytest.raises(InputError, match="'EUR' has 2 rates for the same date"):
        build_report(deals, reps, as_of=AS_OF, rates=rates)


def test_policy_rates_are_validated_and_fingerprinted() -> None:
    with pytest.raises(PolicyError, match="must be above 0"):
        policy_from_dict({"currency": {"rates": {"EUR": 0}}})
    plain = policy_from_dict({})
    assert policy_from_dict({"currency": {"base": "USD"}}).fingerprint() == plain.fingerprint()
    assert policy_from_dict({"currency": {"rates": {"EUR": 1.1}}}).fingerprint() != (
        plain.fingerprint()
    )


def test_derived_rep_figures_are_converted_first(tmp_path: Path) -> None:
    crm = Path(__file__).parents[1] / "fixtures" / "crm" / "salesforce"
    won = "Closed Won,80000,100,2026-09-30,2026-03-02T08:00:00.000+0000,true,true,false,Closed,"
    rows = (crm / "Opportunity.csv").read_text().replace(won + "USD", won + "EUR")
    (tmp_path / "Opportunity.csv").write_text(rows)
    (tmp_path / "rates.csv").write_text("currency,rate\nEUR,1.5\n")
    report = build_report(
        tmp_path / "Opportunity.csv",
        crm / "User.csv",
        as_of=AS_OF,
        preset="salesforce",
        rates=tmp_path / "rates.csv",
    )
    trajectory = {r.rep_id: r for r in report.rep_trajectory}
    assert trajectory["005R2"].closed_won_3m_current == Decimal("120000")  # 80000 x 1.5
