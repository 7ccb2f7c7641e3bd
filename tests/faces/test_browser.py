"""The HTML report and the dashboard in real headless Chromium (Debian's package, driven by
Playwright; never a downloaded browser). Nothing may be requested outside the page (the
report file, or the dashboard on 127.0.0.1), and nothing may be logged to the console.

Screenshots go to ``test-artifacts/`` (or ``$PIPEREVIEW_ARTIFACTS``).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from pipereview import api
from pipereview.render.html import render_html

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("PIPEREVIEW_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(
    os.environ.get("PIPEREVIEW_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TOKEN = "browser-test-token"
AS_OF = dt.date(2026, 11, 20)
POLICY = {"flags": {"max_per_rule": 25}}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (make browser)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


class Watched:
    """A page whose console errors and outside requests are recorded (and blocked)."""

    def __init__(self, browser: Browser, allowed: str) -> None:
        self.page: Page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.route("**/*", self._route)
        self.allowed = allowed

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(message.text)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(self.allowed):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def clean(self) -> None:
        assert self.errors == [] and self.outside == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return api.generate_demo(tmp_path_factory.mktemp("demo"), n_deals=800, n_reps=12)


# Every element no wider than its box (SVG internals aside), and the page no wider than
# the window: what a reader would see as something cut off or a sideways scroll.
OVERFLOW = """() => {
  const out = [];
  if (document.documentElement.scrollWidth > window.innerWidth)
    out.push(`page ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("svg") || el.clientWidth === 0) continue;
    if (el.scrollWidth > el.clientWidth + 1)
      out.push(`${el.tagName}#${el.id}.${el.className} ${el.scrollWidth} > ${el.clientWidth}`);
  }
  return out;
}"""
# Every SVG text inside its SVG's box: a label drawn past the frame is cut in print.
SVG_TEXT = """() => {
  const out = [];
  for (const svg of document.querySelectorAll("svg")) {
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll("text")) {
      const r = t.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 ||
          r.bottom > box.bottom + 1) out.push(t.textContent);
    }
  }
  return out;
}"""


def looks_right(page: Page, name: str, report: bool = True) -> None:
    """At 1280 and 800 pixels: nothing wider than its box, every chart label inside its
    chart, and (``report``: a whole report's page) the forecast above the deal lists; a
    screenshot of each width kept."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1280, 800):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(OVERFLOW) == [], (name, width)
        assert page.evaluate(SVG_TEXT) == [], (name, width)
        if not report:
            page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
            continue
        tops = {
            part: page.locator(part).first.bounding_box()["y"]  # type: ignore[index]
            for part in ("#summary", "#forecast", "#reps", "#deals", "#quality", "footer")
        }
        assert list(tops) == sorted(tops, key=tops.__getitem__), tops
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)


def test_the_html_report_loads_offline(browser: Browser, tmp_path: Path, demo) -> None:  # type: ignore[no-untyped-def]
    report = api.build_report(*demo, as_of=AS_OF, policy=POLICY)
    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(report), encoding="utf-8")
    watched = Watched(browser, page_file.as_uri())
    watched.page.goto(page_file.as_uri())
    # the quarter against quota by manager, and pipeline by stage
    assert watched.page.locator("figure.chart svg").count() == 2
    assert watched.page.locator("#reps tbody tr").count() == 12
    text = watched.page.inner_text("#headline")
    for card in ("Quota attainment", "Commit forecast", "Gap to quota", "Coverage", "Pace"):
        assert card in text
    assert watched.page.locator("#summary .deals tbody tr").count() == 8
    looks_right(watched.page, "demo-report")
    watched.page.emulate_media(media="print")  # the print stylesheet loads cleanly too
    watched.clean()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory, demo) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """``pipereview serve --store`` with two snapshots, on a free loopback port."""
    folder = tmp_path_factory.mktemp("dash")
    store = folder / "store.duckdb"
    policy = folder / "policy.toml"
    policy.write_text("[flags]\nmax_per_rule = 25\n", encoding="utf-8")
    api.snapshot(*demo, as_of=AS_OF - dt.timedelta(days=7), store=store, policy=policy)
    api.snapshot(*demo, as_of=AS_OF, store=store, policy=policy)
    port = _free_port()
    env = {**os.environ, "PIPEREVIEW_TOKEN": TOKEN}
    server = subprocess.Popen(
        [sys.executable, "-m", "pipereview", "serve", "--store", str(store), "--port", str(port)],
        env=env,
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_dashboard_logs_in_and_navigates(browser: Browser, dashboard: str) -> None:
    watched = Watched(browser, dashboard + "/")
    page = watched.page
    page.goto(dashboard + "/")
    assert page.url.startswith(dashboard + "/login")
    page.fill("#token", "wrong")
    page.click("#login button")
    assert "That token is not right." in page.inner_text("body")
    watched.errors.clear()  # the refused login answers 401, which Chromium logs
    page.fill("#token", TOKEN)
    page.click("#login button")
    assert page.url == dashboard + "/"
    # the quarter by manager, history, by stage, and the quarter's flow (a waterfall)
    assert page.locator("figure.chart svg").count() == 4
    assert "Open pipeline flow since 2026-11-13" in page.inner_text("#flow h2")
    assert "Changes since 2026-11-13" in page.inner_text("#changes h2")
    looks_right(page, "dashboard-overview")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#reps tbody tr td a").first.click()
    assert page.url.startswith(dashboard + "/reps/")
    assert "Every rule's verdict" in page.inner_text("body")
    assert page.locator("figure.chart svg").count() == 1  # the rep's pipeline history
    looks_right(page, "dashboard-rep", report=False)
    page.goto(dashboard + "/")
    page.locator("#deals tbody tr td a").first.click()
    assert page.url.startswith(dashboard + "/deals/")
    assert "Why it is (or is not) flagged" in page.inner_text("body")
    assert page.locator("table.verdicts .fired").count() >= 1
    looks_right(page, "dashboard-deal", report=False)
    # the drill-down: a manager from the forecast, a rep of that manager, and back up
    page.goto(dashboard + "/")
    page.locator("#forecast tbody tr td a").first.click()
    assert page.url.startswith(dashboard + "/managers/")
    assert page.inner_text("h1").startswith("Manager: ")
    looks_right(page, "dashboard-manager", report=False)
    page.locator("table.forecast tbody tr td a").first.click()
    assert page.url.startswith(dashboard + "/reps/")
    assert page.inner_text("p.crumbs").startswith("Reports to ")
    page.locator("p.crumbs a").first.click()
    assert page.url.startswith(dashboard + "/managers/")
    # a click on a header sorts the table by it; a second click reverses it
    page.goto(dashboard + "/")
    page.locator("#reps thead th a").nth(2).click()
    assert page.url == dashboard + "/?sort=reps.2"
    shown = page.locator("#reps tbody tr td:nth-child(3)").all_inner_texts()
    values = [float(v.replace("$", "").replace(",", "")) for v in shown]
    assert values == sorted(values)
    page.locator("#reps thead th a").nth(2).click()
    assert page.url == dashboard + "/?sort=reps.2&dir=desc"
    shown = page.locator("#reps tbody tr td:nth-child(3)").all_inner_texts()
    assert [float(v.replace("$", "").replace(",", "")) for v in shown] == sorted(values)[::-1]
    page.goto(dashboard + "/")
    page.select_option("#date", "2026-11-13")
    page.click("#date-picker button")
    assert page.url == dashboard + "/?date=2026-11-13"
    assert "as of 2026-11-13" in page.inner_text("h1")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-overview.png"))
    page.goto(dashboard + "/logout")
    assert page.url.startswith(dashboard + "/login")
    watched.clean()


def test_the_dashboard_api_needs_the_token(dashboard: str) -> None:
    assert httpx.get(f"{dashboard}/api/report").status_code == 401
    got = httpx.get(f"{dashboard}/api/report", headers={"Authorization": f"Bearer {TOKEN}"})
    assert got.status_code == 200 and got.json()["as_of"] == "2026-11-20"
    missing = httpx.get(
        f"{dashboard}/api/reps/nobody", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert missing.status_code == 404
