"""CRM exports through the shipped presets, with expected numbers computed by hand.

The fixtures in tests/fixtures/crm have the exact shape of real exports: a Salesforce API
export (``true``/``false``, ``2026-11-20T16:40:12.000+0000`` date-times, Probability 0-100,
IsDeleted), a HubSpot CRM API export (stage ids, epoch milliseconds and ISO date-times,
``archived``, owners with first and last names, a pipeline-stages table with
``metadata.probability``) and Fivetran's own seed tables (Apache-2.0, see NOTICE.md).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from pipereview.api import build_report, load_preset, preset_text, validate
from pipereview.errors import InputError
from pipereview.report import Report

CRM = Path(__file__).parents[1] / "fixtures" / "crm"
SF, HS, FIVETRAN = CRM / "salesforce", CRM / "hubspot", CRM / "fivetran"
AS_OF = dt.date(2026, 11, 22)


def _summary(report: Report) -> dict[str, object]:
    return json.loads(report.to_json())["pipeline_summary"]


def _dq(report: Report) -> dict[tuple[str, str], dict[str, object]]:
    items = json.loads(report.to_json())["data_quality"]
    return {(i["table"], i["check"] + ":" + ",".join(i["examples"])): i for i in items}


@pytest.fixture(scope="module")
def salesforce() -> Report:
    return build_report(SF / "Opportunity.csv", SF / "User.csv", as_of=AS_OF, preset="salesforce")


def test_salesforce_pipeline_by_hand(salesforce: Report) -> None:
    # 8 rows, 006A7 deleted. Active: A1 120000.50 x 0.90, A2 45000 x 0.10, A6 60000 x 0.75.
    # Won: A3, A5, A8; lost: A4. Days in stage from LastStageChangeDate to 2026-11-22:
    # A1 30 (stalled at 21), A2 12, A6 1.
    assert _summary(salesforce) == {
        "total_deals": 7,
        "active_deals": 3,
        "won_deals": 3,
        "lost_deals": 1,
        "total_pipeline_value": 225000.5,
        "weighted_pipeline_value": 157500.45,  # 108000.45 + 4500 + 45000
        "average_deal_size": 75000.17,  # 225000.50 / 3
        "win_rate": 0.75,
        "stalled_deals_count": 1,
        "at_risk_deals_count": 0,
        # Won A3 80000 (2026-09-30, 212 days from 2026-03-02), A5 25000.25 (2026-03-31, 80
        # days), A8 40000 (2025-12-20, 202 days); none closed in FY2026-Q4 by 2026-11-22
        "won_value": 145000.25,
        "won_value_quarter_to_date": 0.0,
        "won_value_year_to_date": 105000.25,  # A3 + A5
        "sales_cycle_deals": 3,
        "recorded_year_to_date_revenue": 105000.25,  # derived from the deals (A3 + A5)
        "average_won_deal_size": 48333.42,  # 145000.25 / 3 = 48333.4166...
        "median_sales_cycle_days": 202.0,  # 80, 202, 212
    }
    (stalled,) = [f for f in salesforce.flags if f.rule == "stalled_deal"]
    assert stalled.subject_id == "006A1"
    assert stalled.observed["days_in_stage"] == 30
    assert stalled.observed["stage"] == "Negotiation/Review"


def test_salesforce_reps_derived_from_deals(salesforce: Report) -> None:
    reps = {r.rep_id: r for r in salesforce.rep_performance}
    assert list(reps) == ["005M1", "005R1", "005R2"]  # 005X9 is deleted
    assert reps["005R1"].rep_name == "Avery Stone"
    assert reps["005R1"].pipeline_value == Decimal("165000.50")
    assert reps["005R1"].top_opportunities == ["006A1", "006A2"]
    assert reps["005R2"].close_rate == 0.67  # A3, A8 won; A4 lost
    assert reps["005R2"].close_rate_source == "deals"
    trajectory = {r.rep_id: r for r in salesforce.rep_trajectory}
    # closed won after 2026-08-22: A3 (2026-09-30) only; A5 closed 2026-03-31.
    assert trajectory["005R2"].closed_won_3m_current == Decimal("80000")
    assert trajectory["005R1"].closed_won_3m_current == Decimal("0")
    assert trajectory["005R1"].current_pipeline_value == Decimal("165000.50")
    assert trajectory["005M1"].current_pipeline_value == Decimal("0")
    items = _dq(salesforce)
    deleted = items[("deals", "deleted_rows:")]
    assert deleted["count"] == 1
    assert "IsDeleted" in deleted["message"]
    assert items[("reps", "deleted_rows:")]["count"] == 1
    ytd = items[("reps", "derived_from_deals:year_to_date_revenue_usd")]
    assert ytd["count"] == 3
    assert "2026-01-01 to 2026-11-22" in ytd["message"]


def test_salesforce_year_to_date_follows_the_fiscal_calendar() -> None:
    # A fiscal year from February: A5 (2026-03-31) and A3 (2026-09-30) are in it, A8
    # (2025-12-20) is not. With the calendar year they are too; from October, only A3 is.
    report = build_report(
        SF / "Opportunity.csv",
        SF / "User.csv",
        as_of=AS_OF,
        preset="salesforce",
        policy={"calendar": {"fiscal_year_start_month": 10}},
    )
    items = _dq(report)
    assert "2026-10-01 to 2026-11-22" in str(
        items[("reps", "derived_from_deals:year_to_date_revenue_usd")]["message"]
    )


def test_fivetran_snake_case_reads_like_api_names(tmp_path: Path) -> None:
    snake = {
        "Id": "id",
        "OwnerId": "owner_id",
        "StageName": "stage_name",
        "CloseDate": "close_date",
        "CreatedDate": "created_date",
        "IsClosed": "is_closed",
        "IsWon": "is_won",
        "IsDeleted": "is_deleted",
        "ForecastCategoryName": "forecast_category_name",
        "CurrencyIsoCode": "currency_iso_code",
        "LastStageChangeDate": "last_stage_change_date",
        "AccountId": "account_id",
    }
    for name in ("Opportunity.csv", "User.csv"):
        lines = (SF / name).read_text().splitlines()
        header = ",".join(snake.get(c, c.lower()) for c in lines[0].split(","))
        (tmp_path / name).write_text("\n".join([header, *lines[1:]]) + "\n")
    api_names = build_report(
        SF / "Opportunity.csv", SF / "User.csv", as_of=AS_OF, preset="salesforce"
    )
    fivetran = build_report(
        tmp_path / "Opportunity.csv", tmp_path / "User.csv", as_of=AS_OF, preset="salesforce"
    )
    theirs, ours = json.loads(fivetran.to_json()), json.loads(api_names.to_json())
    # the same numbers and input fingerprint; messages name each file's own column spelling
    assert [(i["check"], i["count"]) for i in theirs.pop("data_quality")] == [
        (i["check"], i["count"]) for i in ours.pop("data_quality")
    ]
    assert theirs == ours


@pytest.fixture(scope="module")
def hubspot() -> Report:
    return build_report(
        HS / "deals.csv",
        HS / "owners.csv",
        as_of=AS_OF,
        preset="hubspot",
        stages=HS / "pipeline_stages.csv",
    )


def test_hubspot_pipeline_by_hand(hubspot: Report) -> None:
    # 7 rows, 9006 archived. Stages: appointmentscheduled 0.2, qualifiedtobuy 0.4,
    # contractsent 0.9, closedwon (closed, probability 1 -> won), closedlost (lost).
    # 9007's stage is not in the table: no status. Active: 9001 10000 x 0.2, 9002
    # 50000.75 x 0.9 = 45000.675, 9005 no amount (0) x 0.4.
    assert _summary(hubspot) == {
        "total_deals": 6,
        "active_deals": 3,
        "won_deals": 1,
        "lost_deals": 1,
        "total_pipeline_value": 60000.75,
        "weighted_pipeline_value": 47000.68,  # 47000.675 rounded half-even
        "average_deal_size": 20000.25,
        "win_rate": 0.5,
        "stalled_deals_count": 1,  # 9002 entered its stage 2026-10-01: 52 days
        "at_risk_deals_count": 0,
        # 9003 won 30000, created 2026-09-15, closed 2026-10-01 (epoch ms): this quarter
        "won_value": 30000.0,
        "won_value_quarter_to_date": 30000.0,
        "won_value_year_to_date": 30000.0,
        "sales_cycle_deals": 1,
        "recorded_year_to_date_revenue": 30000.0,  # derived from the deals
        "average_won_deal_size": 30000.0,
        "median_sales_cycle_days": 16.0,  # 2026-09-15 -> 2026-10-01
    }
    details = {d.deal_id: d for d in hubspot.deal_details}
    assert details["9001"].stage == "Appointment Scheduled"  # the stage's label
    assert details["9001"].close_date == dt.date(2026, 12, 31)  # from epoch milliseconds
    assert details["9001"].days_in_stage == 10  # entered 2026-11-12T09:30Z (epoch ms)
    assert details["9002"].close_date == dt.date(2026, 12, 5)  # from ISO text
    assert details["9002"].days_in_stage == 52


def test_hubspot_reps_and_findings(hubspot: Report) -> None:
    reps = {r.rep_id: r for r in hubspot.rep_performance}
    assert [reps["501"].rep_name, reps["502"].rep_name] == ["Ana Lopez", "Ben"]
    trajectory = {r.rep_id: r for r in hubspot.rep_trajectory}
    assert trajectory["501"].closed_won_3m_current == Decimal("30000")  # 9003, 2026-10-01
    assert trajectory["502"].current_pipeline_value == Decimal("50000.75")
    items = _dq(hubspot)
    assert items[("deals", "unknown_stage:mystagexyz")]["count"] == 1
    assert items[("deals", "deleted_rows:")]["count"] == 1
    assert items[("deals", "unknown_status:(missing)")]["count"] == 1
    absent = [i for (table, key), i in items.items() if key.startswith("absent_column")]
    assert all("stage" not in i["examples"] for i in absent)  # filled from the stage table


def test_fivetran_seeds_produce_reports() -> None:
    # Every seed opportunity is marked deleted, so the Salesforce report is empty but says so.
    sf = build_report(
        FIVETRAN / "sf_opportunity_data.csv",
        FIVETRAN / "sf_user_data.csv",
        as_of=dt.date(2019, 12, 31),
        preset="salesforce",
    )
    assert _summary(sf)["total_deals"] == 0
    assert _dq(sf)[("deals", "deleted_rows:")]["count"] == 10
    assert len(sf.rep_performance) == 5  # 10 users, 5 deleted by Fivetran
    hs = build_report(
        FIVETRAN / "deal_data.csv",
        FIVETRAN / "owner_data.csv",
        as_of=dt.date(2021, 1, 31),
        preset="hubspot",
        stages=FIVETRAN / "deal_pipeline_stage_data.csv",
    )
    assert _summary(hs)["total_deals"] == 44
    assert len(hs.rep_performance) == 100


def test_validate_runs_the_mapping() -> None:
    items = validate(
        HS / "deals.csv",
        HS / "owners.csv",
        as_of=AS_OF,
        preset="hubspot",
        stages=HS / "pipeline_stages.csv",
    )
    checks = {(i.table, i.check) for i in items}
    assert ("deals", "unknown_stage") in checks
    assert ("reps", "derived_from_deals") in checks


@pytest.mark.parametrize("name", ["salesforce", "salesforce-report", "hubspot"])
def test_presets_load_and_show(name: str) -> None:
    mapping = load_preset(name)
    assert mapping.name == name
    assert preset_text(name).startswith("# pipereview mapping")
    assert mapping.reps.derive == [
        "year_to_date_revenue_usd",
        "closed_won_3m_current",
        "current_pipeline_value",
    ]


def test_salesforce_quotas_from_forecasting_quota() -> None:
    report = build_report(
        SF / "Opportunity.csv",
        SF / "User.csv",
        as_of=AS_OF,
        preset="salesforce",
        quotas=SF / "ForecastingQuota.csv",
    )
    # 005R1: 7 x 10000 (Jan-Jul) + 5 x 20000 (Aug-Dec) = 170000 in fiscal 2026; periods
    # starting after 2026-08-22: Sep, Oct, Nov = 60000. 005R2: quarters 220000; Oct 60000.
    trajectory = {r.rep_id: r for r in report.rep_trajectory}
    assert trajectory["005R1"].quota_3m == Decimal("60000")
    assert trajectory["005R2"].quota_3m == Decimal("60000")
    assert trajectory["005M1"].quota_3m is None  # no rows: still missing, not zero
    assert trajectory["005R2"].quota_attainment_pct == 133.3  # 80000 / 60000
    assert trajectory["005R1"].quota_attainment_pct == 0.0
    assert trajectory["005R2"].benchmark
    assert trajectory["005R1"].coaching_candidate
    performance = {r.rep_id: r for r in report.rep_performance}
    assert performance["005R1"].quota_achievement == 0.15  # 25000.25 / 170000
    assert performance["005R2"].quota_achievement == 0.36  # 80000 / 220000
    items = _dq(report)
    quota = items[("reps", "quota_from_table:quota_usd")]
    assert quota["count"] == 2
    assert "2026-01-01 to 2026-12-31" in quota["message"]
    assert "missing_quota" in {key.split(":")[0] for (_, key) in items}  # 005M1


def test_salesforce_field_history_through_the_preset(tmp_path: Path) -> None:
    from pipereview.api import velocity

    mapped = velocity(
        SF / "Opportunity.csv",
        as_of=AS_OF,
        field_history=SF / "OpportunityFieldHistory.csv",
        preset="salesforce",
    )
    stages = {s.stage: s for s in mapped.stages}
    # 006A1: Qualification 2026-07-01 -> 2026-10-23 (114 days), then Negotiation/Review, open
    # 30 days to 2026-11-22. The deleted row (017A7) is left out: 006A4 never qualified.
    assert stages["Qualification"].mean_days == 114.0
    assert stages["Negotiation/Review"].mean_days == 30.0
    assert stages["Qualification"].deals == 1
    # The same rows in canonical columns give the same velocity.
    lines = (SF / "OpportunityFieldHistory.csv").read_text().splitlines()[1:]
    rows = [line.split(",") for line in lines if not line.endswith(",true")]
    canonical = tmp_path / "history.csv"
    canonical.write_text(
        "deal_id,field,old_value,new_value,changed_at\n"
        + "".join(f"{r[1]},{r[4]},{r[6]},{r[7]},{r[3]}\n" for r in rows)
    )
    deals = build_report(SF / "Opportunity.csv", SF / "User.csv", as_of=AS_OF, preset="salesforce")
    assert deals.pipeline_summary.total_deals == 7
    direct = build_report(
        SF / "Opportunity.csv",
        SF / "User.csv",
        as_of=AS_OF,
        preset="salesforce",
        field_history=canonical,
    )
    assert direct.velocity is not None
    assert direct.velocity.stages == mapped.stages


def test_salesforce_report_export_matches_the_api_export() -> None:
    """The same opportunities as a report export (labels, owner names, US dates, Stage
    Duration) give the same numbers as the API export, reps keyed by name instead of id."""
    report = build_report(
        SF / "opportunity_report.csv",
        SF / "users_report.csv",
        as_of=AS_OF,
        preset="salesforce-report",
    )
    api_export = build_report(
        SF / "Opportunity.csv", SF / "User.csv", as_of=AS_OF, preset="salesforce"
    )
    assert _summary(report) == _summary(api_export)
    details = {d.deal_id: d for d in report.deal_details}
    assert details["006A1"].close_date == dt.date(2026, 12, 15)  # 12/15/2026
    assert details["006A1"].days_in_stage == 30
    reps = {r.rep_id: r for r in report.rep_performance}
    assert reps["Avery Stone"].pipeline_value == Decimal("165000.50")
    trajectory = {r.rep_id: r for r in report.rep_trajectory}
    assert trajectory["Blake Rivera"].closed_won_3m_current == Decimal("80000")


def test_report_footer_is_named_with_the_fix(tmp_path: Path) -> None:
    footer = (
        '""\n"Opportunities Report"\n'
        '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
        '"Generated By:  Casey Morgan  11/22/2026 9:00 AM"\n'
    )
    export = tmp_path / "report.csv"
    export.write_text((SF / "opportunity_report.csv").read_text() + footer)
    with pytest.raises(InputError) as caught:
        build_report(export, SF / "users_report.csv", as_of=AS_OF, preset="salesforce-report")
    assert caught.value.line == 9
    assert "the file ends with 4 lines that are not records" in str(caught.value)
