"""/admin in a real headless browser: `oncall-bot serve` as a real process on a store filled by the real engine
(tests/insights_script.py), opened by Debian's Chromium driven with Playwright (no browser download: the
package's own driver talks to the system's `chromium`).

What a person would see is checked: every chart is drawn with bars of real size, the funnel's figures are
`build_report`'s for the same store and period, the page's styles survive its own Content-Security-Policy, and
without the token the browser gets a 401 and no chart. A full-page screenshot is kept in the test's tmp_path,
and copied to $ONCALL_SCREENSHOT when set (docs/dashboard.png is made that way).

In CI (CI=true) a missing Chromium or Playwright fails the test; elsewhere it is skipped.
"""

from __future__ import annotations

import importlib
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from insights_script import play
from test_channel_processes import free_port, start, stop, wait_until_serving

from bot.insights.report import FUNNEL, build_report
from bot.storage.database import open_db

from conftest import ROOT

pytestmark = pytest.mark.browser

TOKEN = "browser-test-admin-token-0123456789"
CHARTS = ("chart-daily", "chart-funnel", "chart-dropoff", "chart-tiers", "chart-statuses", "chart-unanswered",
          "chart-intents")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        message = "chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def playwright_api(kind: str = "sync"):
    """`sync_playwright` or `async_playwright`; like chromium, missing is a failure in CI and a skip here."""
    try:
        module = importlib.import_module(f"playwright.{kind}_api")
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed: pip install -e '.[test]'")
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    return getattr(module, f"{kind}_playwright")


def _sync_playwright():
    return playwright_api("sync")


@pytest.fixture
def server(tmp_path):
    """`oncall-bot serve` with the admin token, on the scripted store; yields (base URL, store path)."""
    path = tmp_path / "dashboard.db"
    db = open_db(path)
    play(db)
    db.close()
    port = free_port()
    process = start(["serve", "--host", "127.0.0.1", "--port", str(port)], {"ONCALL_ADMIN_TOKEN": TOKEN}, tmp_path,
                    db=path)
    try:
        wait_until_serving(port, process)
        yield f"http://127.0.0.1:{port}", path
    finally:
        err = stop(process)
    assert TOKEN not in err  # refused and served requests alike: the token never reaches the log


@pytest.fixture
def browser_parts():
    """Checked before the server starts: the system's chromium and Playwright, or a skip (a failure in CI)."""
    return _chromium(), _sync_playwright()


def test_the_dashboard_in_a_real_browser(browser_parts, server, tmp_path):
    chromium, sync_playwright = browser_parts
    base, path = server
    until = datetime.now(UTC).date()
    since = until - timedelta(days=29)
    db = open_db(path)
    expected = build_report(db, since, until)
    db.close()
    assert expected["funnel"]["leads"] >= 1 and expected["recent_leads"]  # the script filed a talent request

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900})
        try:
            page = browser.new_page()
            problems: list[str] = []  # a CSP violation or any other error the page logs
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            response = page.goto(f"{base}/admin?token={TOKEN}&since={since}&until={until}")
            assert response is not None and response.status == 200

            for chart in CHARTS:
                assert page.locator(f"svg#{chart}").count() == 1, chart
                sizes = [page.locator(f"#{chart} rect.bar").nth(i).bounding_box()
                         for i in range(page.locator(f"#{chart} rect.bar").count())]
                assert any(box and box["width"] > 0 and box["height"] > 0 for box in sizes), chart
            shown = {key: page.locator(f'#chart-funnel [data-figure="{key}"]').text_content() for key in FUNNEL}
            assert shown == {key: str(value) for key, value in expected["funnel"].items()}
            # the widest funnel bar is the largest figure: the bars are drawn to scale
            widths = {key: page.locator(f'#chart-funnel rect.bar[data-key="{key}"]').bounding_box()["width"]
                      for key in FUNNEL}
            assert max(widths, key=widths.get) == max(expected["funnel"], key=expected["funnel"].get)
            assert page.locator("#recent-leads tbody tr").count() == len(expected["recent_leads"])
            # the inline stylesheet applied under the page's own CSP (style-src 'unsafe-inline')
            assert page.locator(".swatch").first.evaluate("e => getComputedStyle(e).display") == "inline-block"
            assert page.get_by_text("No data in this period").count() == 0
            assert problems == []

            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            if os.environ.get("ONCALL_SCREENSHOT"):
                target = Path(os.environ["ONCALL_SCREENSHOT"])
                target = target if target.is_absolute() else ROOT / target
                shutil.copyfile(shot, target)

            refused = browser.new_page()
            response = refused.goto(f"{base}/admin?since={since}")
            assert response is not None and response.status == 401
            assert response.headers["www-authenticate"] == "Bearer"
            assert refused.locator("svg").count() == 0
            assert "admin token" in refused.locator("body").inner_text()
            response = refused.goto(f"{base}/admin?token=not-the-token-{TOKEN}")
            assert response is not None and response.status == 401 and refused.locator("svg").count() == 0
        finally:
            browser.close()
