"""The dashboard's drill-down (company → manager → rep → deal, teams, regions) and its
sortable tables, in-process. A hand-made hierarchy: VP runs M1 (who runs R1 and R2) and R3;
VP and M1 sell too. Every figure below is worked out by hand from the deals."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipereview import api
from pipereview.web import FileSource, create_app
from pipereview.web.levels import reports_of, scope
from pipereview.web.sorting import Sorting, number

AS_OF = dt.date(2026, 11, 20)  # FY2026-Q4: 2026-10-01 to 2026-12-31
REPS = """rep_id,rep_name,quota_usd,year_to_date_revenue_usd,manager_id,team,region
VP,Vera Price,400000,100000,,Leaders,EMEA
M1,Max Moss,200000,50000,VP,Leaders,EMEA
R1,Rita Ruiz,100000,40000,M1,Hunters,EMEA
R2,Raj Rao,100000,90000,M1,Hunters,APAC
R3,Rob Roy,100000,20000,VP,Farmers,APAC
"""
# deal, rep, status, value, probability, days in stage, stage, close date
DEALS = """deal_id,rep_id,status,deal_value_usd,probability,days_in_stage,stage,close_date
V1,VP,won,10000,1,0,Closed Won,2026-10-15
V2,VP,active,20000,0.9,3,Commit,2026-12-10
M1D,M1,active,30000,0.5,40,Proposal,2026-12-20
A1,R1,won,5000,1,0,Closed Won,2026-11-01
A2,R1,active,8000,0.3,2,Discovery,2026-12-05
B1,R2,active,40000,0.6,30,Proposal,2026-11-30
B2,R2,lost,7000,0,0,Closed Lost,2026-10-20
C1,R3,active,1000,0.2,1,Discovery,2026-12-31
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("drill")
    (folder / "deals.csv").write_text(DEALS, encoding="utf-8")
    (folder / "reps.csv").write_text(REPS, encoding="utf-8")
    return folder / "deals.csv", folder / "reps.csv"


@pytest.fixture(scope="module")
def client(files: tuple[Path, Path]) -> TestClient:
    return TestClient(create_app(FileSource(*files, as_of=AS_OF)))


def _rows(html: str, table_class: str = "forecast") -> list[list[str]]:
    """The body rows of the first table with the class, as cell texts."""
    table = html[html.index(f'<table class="{table_class}">') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
        for r in rows
    ]


def test_the_overview_links_every_manager_team_and_region(client: TestClient) -> None:
    page = client.get("/").text
    for href in ("/managers/VP", "/managers/M1", "/teams/Leaders", "/teams/Hunters"):
        assert f'href="{href}"' in page
    assert 'href="/regions/EMEA"' in page and 'href="/regions/APAC"' in page


def test_a_manager_page_adds_up_its_reports(client: TestClient) -> None:
    got = client.get("/managers/VP")
    assert got.status_code == 200
    assert "default-src 'none'" in got.headers["content-security-policy"]
    rows = _rows(got.text)
    # VP's own deals, M1's team (M1, R1, R2) as a manager row, R3; then the total
    assert [r[0] for r in rows] == ["Vera Price", "Max Moss", "Rob Roy", "Total"]
    assert 'href="/managers/M1"' in got.text and 'href="/reps/R3"' in got.text
    closed_won = {r[0]: r[2] for r in rows}  # Name, Quota, Closed won, ...
    assert closed_won == {
        "Vera Price": "$10,000.00",
        "Max Moss": "$5,000.00",
        "Rob Roy": "$0.00",
        "Total": "$15,000.00",
    }
    data = client.get("/api/managers/VP").json()
    assert data["reps_counted"] == ["M1", "R1", "R2", "R3", "VP"]
    for figure in ("closed_won", "open_pipeline", "commit_forecast", "best_case_forecast"):
        parts = sum(Decimal(str(r[figure])) for r in data["reports"])
        assert parts == Decimal(str(data["row"][figure])), figure
    # every active deal of the subtree is open pipeline closing in the quarter
    assert Decimal(str(data["row"]["open_pipeline"])) == 20000 + 30000 + 8000 + 40000 + 1000
    # the stalled deals (21 days and more) of the whole subtree, not only direct reports
    assert data["flagged_deals"] == ["B1", "M1D"]


def test_a_sub_manager_page_names_the_managers_above(client: TestClient) -> None:
    page = client.get("/managers/M1").text
    crumbs = re.search(r'<p class="crumbs muted">(.*?)</p>', page, re.S)
    assert crumbs is not None
    assert re.sub(r"<[^>]+>", "", crumbs.group(1)) == "Company \u203a Vera Price"
    assert [r[0] for r in _rows(page)] == ["Max Moss", "Rita Ruiz", "Raj Rao", "Total"]


def test_team_and_region_pages_list_their_reps(client: TestClient) -> None:
    hunters = client.get("/teams/Hunters")
    assert hunters.status_code == 200 and "Team: Hunters" in hunters.text
    assert [r[0] for r in _rows(hunters.text)] == ["Rita Ruiz", "Raj Rao", "Total"]
    apac = client.get("/api/regions/APAC").json()
    assert apac["reps_counted"] == ["R2", "R3"]
    assert Decimal(str(apac["row"]["open_pipeline"])) == 41000


def test_a_rep_page_names_the_manager_and_shows_the_quarter(client: TestClient) -> None:
    page = client.get("/reps/R1").text
    crumbs = re.search(r'<p class="crumbs muted">(.*?)</p>', page, re.S)
    assert crumbs is not None
    assert re.sub(r"<[^>]+>", "", crumbs.group(1)) == (
        "Reports to Max Moss \u203a Vera Price · Team Hunters · Region EMEA"
    )
    assert "Forecast FY2026-Q4 (2026-10-01 to 2026-12-31)" in page
    assert "$5.0K" in page  # closed won in the quarter: A1


def test_unknown_subjects_are_404_pages(client: TestClient) -> None:
    for path in ("/managers/R1", "/teams/Nobody", "/regions/%00"):
        got = client.get(path)
        assert got.status_code == 404 and "Traceback" not in got.text
    assert client.get("/api/teams/Nobody").status_code == 404


def test_tables_sort_by_any_column(client: TestClient) -> None:
    page = client.get("/managers/M1?sort=reports.2&dir=desc").text  # closed won, largest first
    assert [r[0] for r in _rows(page)] == ["Rita Ruiz", "Max Moss", "Raj Rao", "Total"]
    assert "Closed won ▼" in page
    up = client.get("/managers/M1?sort=reports.0").text  # by name
    assert [r[0] for r in _rows(up)] == ["Max Moss", "Raj Rao", "Rita Ruiz", "Total"]
    assert 'href="?sort=reports.0&amp;dir=desc"' in up  # the sorted header flips the order
    reps = client.get("/?sort=reps.2&dir=desc").text  # the rep table by pipeline
    names = [r[0].split()[0] for r in _rows(reps, "reps")]
    assert names == ["Raj", "Max", "Vera", "Rita", "Rob"]
    odd = client.get("/?sort=reps.99&dir=sideways")  # nonsense leaves the report's order
    assert odd.status_code == 200


@pytest.mark.parametrize(
    ("shown", "value"),
    [
        ("$1,234.50", Decimal("1234.50")),
        ("-$1.2M", Decimal("-1200000.0")),
        ("€3.5K", Decimal("3500.0")),
        ("45%", Decimal("45")),
        ("3.10x low", Decimal("3.10")),
        ("USD 12", Decimal("12")),
        ("—", None),
        ("", None),
    ],
)
def test_a_cell_sorts_by_the_number_it_shows(shown: str, value: Decimal | None) -> None:
    assert number(shown) == value


def test_blank_cells_sort_last_both_ways() -> None:
    rows = [["a", "—"], ["b", "$2.00"], ["c", "-$1.00"], ["d", "$10.00"]]
    up = Sorting.parse("0.1", None, {})
    down = Sorting.parse("0.1", "desc", {})
    assert [r[0] for r in up.rows("0", rows, [1])] == ["c", "b", "d", "a"]
    assert [r[0] for r in down.rows("0", rows, [1])] == ["d", "b", "c", "a"]
    assert [r[0] for r in up.rows("1", rows, [1])] == ["a", "b", "c", "d"]  # another table


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=-1, max_value=5), min_size=6, max_size=6))
def test_reports_add_up_to_every_manager(
    tmp_path_factory: pytest.TempPathFactory, parents: list[int]
) -> None:
    """Random trees (a rep's manager is an earlier rep, so there is no loop): under every
    manager, the rows the page lists add up to the manager's row, and the reps it counts
    are its whole subtree."""
    ids = [f"P{i}" for i in range(6)]
    boss = {ids[i]: (ids[p] if 0 <= p < i else None) for i, p in enumerate(parents)}
    reps = "rep_id,rep_name,quota_usd,year_to_date_revenue_usd,manager_id\n" + "".join(
        f"{r},Name {r},100000,1000,{boss[r] or ''}\n" for r in ids
    )
    deals = "deal_id,rep_id,status,deal_value_usd,probability,days_in_stage,stage,close_date\n"
    deals += "".join(
        f"D{i},{r},{'won' if i % 2 else 'active'},{1000 * (i + 1)},0.5,1,S,2026-11-{10 + i}\n"
        for i, r in enumerate(ids)
    )
    folder = tmp_path_factory.mktemp("tree")
    (folder / "d.csv").write_text(deals, encoding="utf-8")
    (folder / "r.csv").write_text(reps, encoding="utf-8")
    f = api.build_report(folder / "d.csv", folder / "r.csv", as_of=AS_OF).forecast
    assert f is not None
    for manager in f.by_manager:
        assert manager.id is not None
        parts = reports_of(f, "manager", manager.id)
        for figure in ("closed_won", "open_pipeline", "quota", "reps"):
            total = sum(getattr(p, figure) for p in parts)
            assert total == getattr(manager, figure), (manager.id, figure)
        under, todo = {manager.id}, [manager.id]
        while todo:
            top = todo.pop()
            for rep, above in boss.items():
                if above == top and rep not in under:
                    under.add(rep)
                    todo.append(rep)
        assert scope(f, "manager", manager.id) == under
