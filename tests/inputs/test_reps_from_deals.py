"""Reps read from the deals file (no reps input): the owners, and through the mapping's
``[reps.from_deals]`` each owner's one region, team or manager, so an export with only
owners rolls up by region and manager with no glue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipereview.api import build_report
from pipereview.errors import InputError, PolicyError
from pipereview.inputs.mapping import mapping_from_dict
from tests.support.cli import pipereview

AS_OF = dt.date(2026, 11, 22)
# Ann and Bob sell in EMEA (spelt two ways), Cy in AMER; Bob's deleted row says APAC.
DEALS = (
    "id,owner,region,boss,amount,stage,is_closed,is_won,gone\n"
    "D1,Ann Lee,EMEA,Max,100,Proposal,false,false,false\n"
    "D2,Ann Lee,emea ,Max,200,Won,true,true,false\n"
    "D3,Bob Roy,EMEA,Max,300,Lost,true,false,false\n"
    "D4,Bob Roy,,,400,Won,true,true,false\n"
    "D5,Bob Roy,APAC,Zed,999,Won,true,true,true\n"
    "D6,Cy Ng,AMER,Zed,50,Won,true,true,false\n"
    "D7,Cy Ng,AMER,Zed,70,Lost,true,false,false\n"
    "D8,Cy Ng,AMER,Zed,80,Lost,true,false,false\n"
)
MAPPING = (
    '[deals]\ndeal_id = "id"\nrep_id = "owner"\ndeal_value_usd = "amount"\nstage = "stage"\n'
    'status = { closed = "is_closed", won = "is_won" }\nprobability = { value = "" }\n'
    'deleted = ["gone"]\n'
    '[reps.from_deals]\nregion = "region"\nmanager_id = "boss"\n'
)


def _write(tmp_path: Path, deals: str = DEALS, mapping: str = MAPPING) -> tuple[Path, Path]:
    (tmp_path / "opps.csv").write_text(deals, encoding="utf-8")
    (tmp_path / "map.toml").write_text(mapping, encoding="utf-8")
    return tmp_path / "opps.csv", tmp_path / "map.toml"


def test_owners_take_their_one_region_and_manager_from_the_deals(tmp_path: Path) -> None:
    deals, mapping = _write(tmp_path)
    report = build_report(deals, None, as_of=AS_OF, mapping=mapping)
    regions = {r.id: r for r in report.rollup_rows("region")}
    assert sorted(regions) == ["AMER", "EMEA"]  # D5's APAC was deleted: not a second value
    emea, amer = regions["EMEA"], regions["AMER"]
    assert (emea.reps, emea.won_deals, emea.lost_deals, str(emea.won_value)) == (2, 2, 1, "600.00")
    assert emea.win_rate == 0.67  # 2 won of 3 closed
    assert (amer.reps, amer.won_deals, amer.lost_deals, str(amer.won_value)) == (1, 1, 2, "50.00")
    assert amer.win_rate == 0.33
    managers = {r.id: (r.reps, r.won_deals) for r in report.rollup_rows("manager")}
    assert managers == {"Max": (2, 2), "Zed": (1, 1)}
    # Ann's "emea " folds to EMEA (one value, not a refusal); Bob's blank D4 is no value
    (said,) = [f for f in report.data_quality if f.check == "reps_from_deals"]
    assert "region, manager_id come from the deals" in said.message


def test_an_owner_with_two_regions_is_refused_naming_both(tmp_path: Path) -> None:
    deals, mapping = _write(tmp_path, DEALS.replace("D2,Ann Lee,emea ", "D2,Ann Lee,APAC"))
    with pytest.raises(InputError) as caught:
        build_report(deals, None, as_of=AS_OF, mapping=mapping)
    text = str(caught.value)
    assert "owner 'Ann Lee' has more than one region among its deals ('APAC', 'EMEA')" in text
    assert "opps.csv" in text and "column 'region'" in text
    assert "drop region from the mapping's [reps.from_deals]" in text


def test_the_refusal_names_the_first_column_then_the_first_owner(tmp_path: Path) -> None:
    # Cy has two managers, Bob two regions (Bob's APAC row is no longer deleted) and Ann
    # two managers: region comes first in the mapping, so Bob's region is named; without
    # the region conflict, the first owner by id with two managers (Ann before Cy)
    both = DEALS.replace("D7,Cy Ng,AMER,Zed", "D7,Cy Ng,AMER,Max").replace(
        "D2,Ann Lee,emea ,Max", "D2,Ann Lee,emea ,Zed"
    )
    deals, mapping = _write(
        tmp_path, both.replace("999,Won,true,true,true", "9,Won,true,true,false")
    )
    with pytest.raises(InputError, match=r"owner 'Bob Roy' has more than one region .*'APAC'"):
        build_report(deals, None, as_of=AS_OF, mapping=mapping)
    deals, mapping = _write(tmp_path, both)
    with pytest.raises(InputError, match=r"owner 'Ann Lee' has more than one manager_id .*'Zed'"):
        build_report(deals, None, as_of=AS_OF, mapping=mapping)


def test_from_deals_with_a_reps_input_is_refused(tmp_path: Path) -> None:
    deals, mapping = _write(tmp_path)
    reps = tmp_path / "reps.csv"
    reps.write_text("rep_id\nAnn Lee\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"\[reps.from_deals\] reads the reps from the deals"):
        build_report(deals, reps, as_of=AS_OF, mapping=mapping)


def test_from_deals_keys_are_rep_columns() -> None:
    with pytest.raises(PolicyError, match=r"reps.from_deals.regoin.*did you mean 'region'"):
        mapping_from_dict({"reps": {"from_deals": {"regoin": "region"}}})
    with pytest.raises(PolicyError, match=r"reps.from_deals.rep_id"):  # the owner is rep_id
        mapping_from_dict({"reps": {"from_deals": {"rep_id": "owner"}}})
    with pytest.raises(PolicyError, match=r"'reps.from_deals': must be a table"):
        mapping_from_dict({"reps": {"from_deals": "region"}})
    carried = mapping_from_dict({"reps": {"from_deals": {"team": {"column": "squad"}}}})
    assert carried.reps.from_deals["team"].column == "squad"


def test_report_by_region_shows_the_levels_in_the_summary(tmp_path: Path) -> None:
    deals, mapping = _write(tmp_path)
    args = ["report", "--deals", deals, "--mapping", mapping, "--as-of", "2026-11-22"]
    shown = pipereview(*args, "--by", "region")
    assert shown.returncode == 0, shown.stderr
    assert "Performance by level" in shown.stdout
    lines = shown.stdout.splitlines()
    assert [line.split("│")[2].strip() for line in lines if "│ Region" in line] == ["AMER", "EMEA"]
    plain = pipereview(*args)
    assert plain.returncode == 0 and "Performance by level" not in plain.stdout
