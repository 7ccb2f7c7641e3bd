"""The dashboard in-process (FastAPI's TestClient): routes, 404s, escaping, headers and
auth. ``test_browser.py`` drives the served dashboard in Chromium."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipereview import api
from pipereview.web import FileSource, StoreSource, create_app
from pipereview.web.auth import COOKIE, is_loopback, safe_next, session_valid, session_value
from tests.conftest import AS_OF

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def source(small_files: tuple[Path, Path]) -> FileSource:
    return FileSource(*small_files, as_of=AS_OF)


@pytest.fixture(scope="module")
def client(source: FileSource) -> TestClient:
    return TestClient(create_app(source))


@pytest.fixture(scope="module")
def guarded(source: FileSource) -> TestClient:
    return TestClient(create_app(source, token=TOKEN), follow_redirects=False)


def test_pages_and_api(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "Pipeline review — FY2026-Q4, as of 2026-11-20" in page.text
    assert '<a href="/reps/R1">Ada Lovelace</a>' in page.text
    assert '<a href="/deals/D1">D1</a>' in page.text
    rep = client.get("/reps/R2")
    assert rep.status_code == 200 and "Grace Hopper" in rep.text and "Needs coaching" in rep.text
    deal = client.get("/deals/D1")
    assert deal.status_code == 200 and "Ada Lovelace" in deal.text
    assert "At risk" in deal.text and "no_champion" in deal.text
    report = client.get("/api/report")
    assert report.headers["content-type"] == "application/json"
    assert report.json()["pipeline_summary"]["total_pipeline_value"] == 270000.0
    one = client.get("/api/deals/D1").json()
    assert [v["rule"] for v in one["verdicts"] if v["fired"]] == ["stalled_deal", "at_risk_deal"]
    assert one["details"][0]["rep_name"] == "Ada Lovelace"
    rep_json = client.get("/api/reps/R2").json()
    assert rep_json["performance"]["quota_achievement"] == 0.5
    assert {f["rule"] for f in rep_json["flags"]} >= {"needs_coaching"}
    assert client.get("/api/dates").json() == ["2026-11-20"]
    spec = client.get("/openapi.json").json()
    assert {"/api/report", "/api/reps/{rep_id}", "/api/deals/{deal_id}"} <= set(spec["paths"])
    assert "/api/report" in client.get("/api").text


def test_a_deal_page_says_when_its_id_is_on_several_rows(client: TestClient) -> None:
    # four deal rules judge D1's one row: four verdicts are not "more than one row"
    one = client.get("/deals/D1").text
    assert "More than one row has this deal_id" not in one
    two = client.get("/deals/D9").text  # two rows share D9
    assert "More than one row has this deal_id; each row is judged." in two


def test_people_read_labels_not_codes(client: TestClient) -> None:
    rep = client.get("/reps/R2").text
    for code in ("velocity_matches", "closed_won_3m_current", "needs_coaching_below"):
        assert code not in rep, code
    assert "Closed won, last 3 months" in rep and "Risk velocity" in rep


def test_unknown_ids_are_404_pages_never_tracebacks(client: TestClient) -> None:
    for path in ("/reps/nobody", "/deals/nothing", "/no/such/page", "/?date=2020-01-01"):
        got = client.get(path)
        assert got.status_code == 404, path
        assert "Traceback" not in got.text and "<h1>Not found</h1>" in got.text
    assert client.get("/api/deals/nothing").status_code == 404
    assert "no deal" in client.get("/api/deals/nothing").json()["detail"]
    assert client.get("/?date=yesterday").status_code == 404


def test_ids_in_urls_are_escaped(client: TestClient) -> None:
    evil = "<script>alert(1)</script>"
    got = client.get("/deals/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert got.status_code == 404
    shown = got.text.replace("<wbr>", "")  # a long word may break: <wbr> adds no text
    assert evil not in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/", "/api/report", "/deals/nothing", "/login"):
        headers = client.get(path).headers
        assert "default-src 'none'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff"


def test_the_api_needs_the_bearer_token(guarded: TestClient) -> None:
    assert guarded.get("/api/report").status_code == 401
    assert guarded.get("/openapi.json").status_code == 401
    wrong = guarded.get("/api/report", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    right = guarded.get("/api/report", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200


def test_pages_need_a_login(guarded: TestClient) -> None:
    for path in ("/", "/reps/R1", "/deals/D1", "/api", "/logout"):
        got = guarded.get(path)
        assert got.status_code == 303 and got.headers["location"].startswith("/login?next="), path
    assert guarded.get("/login").status_code == 200
    bad = guarded.post("/login", data={"token": "nope", "next": "/reps/R1"})
    assert bad.status_code == 303 and "failed=true" in bad.headers["location"]
    assert COOKIE not in bad.cookies
    good = guarded.post("/login", data={"token": TOKEN, "next": "/reps/R1"})
    assert good.status_code == 303 and good.headers["location"] == "/reps/R1"
    cookie = good.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
    assert "Max-Age=43200" in cookie
    with TestClient(guarded.app, follow_redirects=False) as browser:
        browser.cookies.set(COOKIE, session_value(TOKEN))
        assert browser.get("/reps/R1").status_code == 200
        browser.cookies.set(COOKIE, session_value("another"))
        assert browser.get("/reps/R1").status_code == 303
        browser.cookies.set(COOKIE, session_value(TOKEN, expires=int(time.time()) - 1))
        assert browser.get("/reps/R1").status_code == 303  # expired
        browser.cookies.set(COOKIE, "9999999999." + session_value(TOKEN).split(".")[1])
        assert browser.get("/reps/R1").status_code == 303  # expiry changed: signature fails


@pytest.mark.parametrize("expiry", ["9" * 5000, "-1", ""])  # 5000 digits: beyond int()'s limit
def test_a_forged_cookie_expiry_is_refused_not_a_crash(guarded: TestClient, expiry: str) -> None:
    # issue 32: a cookie whose expiry int() cannot read gave HTTP 500 (test_served.py sends
    # the "¹²³" as raw bytes: the TestClient re-encodes a header as UTF-8)
    signed = session_value(TOKEN).split(".")[1]
    with TestClient(guarded.app, follow_redirects=False) as browser:
        browser.cookies.set(COOKIE, f"{expiry}.{signed}")
        assert browser.get("/api/report").status_code == 401
        page = browser.get("/reps/R1")
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
    assert not session_valid(f"¹²³.{signed}", TOKEN)  # str.isdigit() says yes, int() no


def test_login_only_goes_back_to_this_site() -> None:
    assert safe_next("/reps/R1?date=2026-11-20") == "/reps/R1?date=2026-11-20"
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "", None):
        assert safe_next(target) == "/"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_a_store_shows_every_date_with_history(small_files: tuple[Path, Path], tmp_path: Path):
    store = tmp_path / "s.duckdb"
    import datetime as dt

    first = dt.date(2026, 11, 13)
    api.snapshot(*small_files, as_of=first, store=store)
    api.snapshot(*small_files, as_of=AS_OF, store=store)
    client = TestClient(create_app(StoreSource(str(store))))
    page = client.get("/")
    assert "Pipeline at each snapshot" in page.text and 'id="date-picker"' in page.text
    assert '<option value="2026-11-13">' in page.text
    earlier = client.get("/?date=2026-11-13")
    assert earlier.status_code == 200 and "as of 2026-11-13" in earlier.text
    assert '<a href="/reps/R1?date=2026-11-13">' in earlier.text
    assert "Changes since 2026-11-13" in page.text
    deal = client.get("/deals/D1?date=2026-11-13")
    assert deal.status_code == 200 and "At risk" in deal.text
    assert "Open pipeline at each snapshot" in client.get("/reps/R1").text
    # a snapshot taken while the dashboard runs shows at once
    api.snapshot(*small_files, as_of=dt.date(2026, 11, 27), store=store)
    assert client.get("/api/dates").json() == ["2026-11-13", "2026-11-20", "2026-11-27"]
    assert "as of 2026-11-27" in client.get("/").text
    api.delete_snapshot(dt.date(2026, 11, 27), store)
    assert client.get("/?date=2026-11-27").status_code == 404


def test_serve_refuses_a_public_address_without_a_token(small_files: tuple[Path, Path]) -> None:
    deals, reps = small_files
    base = [sys.executable, "-m", "pipereview", "serve", "--deals", str(deals), "--reps"]
    done = subprocess.run(
        [*base, str(reps), "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: refusing to serve on 0.0.0.0 without a token")
    neither = subprocess.run(
        [sys.executable, "-m", "pipereview", "serve"], capture_output=True, text=True
    )
    assert neither.returncode == 1 and "needs either --store or both" in neither.stderr


def test_odd_requests_get_pages_with_headers(client: TestClient, source: FileSource) -> None:
    guarded = TestClient(create_app(source, token=TOKEN), follow_redirects=False)
    nul = client.get("/deals/%00")
    assert nul.status_code == 404 and "default-src 'none'" in nul.headers["content-security-policy"]
    put = client.put("/")
    assert put.status_code == 405 and "<h1>Method not allowed</h1>" in put.text
    assert put.headers["allow"] == "GET" and "content-security-policy" in put.headers
    # the page asked for comes back after login exactly as it was sent (%25 stays encoded)
    went = guarded.get("/deals/50%2525off?date=2026-11-20")
    assert went.headers["location"] == "/login?next=%2Fdeals%2F50%252525off%3Fdate%3D2026-11-20"
    back = guarded.post("/login", data={"token": TOKEN, "next": "/deals/50%2525off?date=x"})
    assert back.headers["location"] == "/deals/50%2525off?date=x"


def test_a_crash_is_one_line_with_headers(source: FileSource) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    app = create_app(source)
    app.add_api_route("/broken", broken)
    client = TestClient(app, raise_server_exceptions=False)
    got = client.get("/broken")
    assert got.status_code == 500 and "boom" not in got.text and "Traceback" not in got.text
    assert "default-src 'none'" in got.headers["content-security-policy"]


def test_history_charts_name_the_reports_currency(
    small_files: tuple[Path, Path], tmp_path: Path
) -> None:
    """A store written under a EUR policy draws its history in EUR (no $ on the axis)."""
    import datetime as dt

    store = tmp_path / "eur.duckdb"
    policy = {"currency": {"base": "EUR"}}
    api.snapshot(*small_files, as_of=dt.date(2026, 11, 13), store=store, policy=policy)
    api.snapshot(*small_files, as_of=AS_OF, store=store, policy=policy)
    client = TestClient(create_app(StoreSource(str(store), policy=policy)))
    for page in (client.get("/").text, client.get("/reps/R1").text):
        title = page.index("at each snapshot</text>")
        chart = page[page.rindex("<svg", 0, title) : page.index("</svg>", title)]
        assert "EUR" in chart and "$" not in chart
