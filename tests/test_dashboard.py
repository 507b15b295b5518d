"""The owner's dashboard: the page drawn from a report (every figure read back from the markup), and /admin in
`oncall-bot serve` — off without ONCALL_ADMIN_TOKEN, 401 without the token, the page with it, on a real store.

The rendering tests use a hand-written report with distinct numbers, so a figure shown in the wrong place is
caught; the endpoint tests play scripted conversations into a temp SQLite store and compare the page with
`build_report` on that store. tests/test_dashboard_browser.py opens the same page in a real browser.
"""

from __future__ import annotations

import asyncio
import copy
import re
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from insights_script import play

from adapters.admin import MAX_DAYS, MIN_TOKEN
from adapters.web import build_web_app
from bot.insights.dashboard import render_dashboard
from bot.insights.report import FUNNEL, build_report
from bot.insights.svg import MAX_DAYS as MAX_DRAWN_DAYS
from bot.insights.svg import period_days
from bot.storage.database import Database

TOKEN = "s3cret-admin-token-for-tests"
SCRIPT = "<script>alert('x')</script> do you place data scientists?"
CHARTS = ("chart-daily", "chart-funnel", "chart-dropoff", "chart-tiers", "chart-statuses", "chart-unanswered",
          "chart-intents")


def _funnel(*values: int) -> dict[str, int]:
    return dict(zip(FUNNEL, values, strict=True))


SAMPLE: dict[str, Any] = {
    "since": "2026-05-01", "until": "2026-05-07",
    "funnel": _funnel(41, 33, 17, 12, 9, 7, 5, 3),
    "form_dropoff": {"company": 6, "email": 2, "start": 1},
    "intents": {"pm.role": 25, "fallback": 11, "lead.start": 8},
    "unanswered": [{"text": SCRIPT, "count": 4}, {"text": "what's the weather & the time", "count": 2}],
    "by_channel": {"slack": _funnel(30, 24, 12, 8, 6, 5, 4, 2), "telegram": _funnel(11, 9, 5, 4, 3, 2, 1, 1)},
    "by_campaign": {"<b>spring</b>": _funnel(13, 10, 4, 3, 2, 2, 1, 0)},
    "daily": [{"day": "2026-05-01", "channel": "slack", "messages": 14},
              {"day": "2026-05-01", "channel": "telegram", "messages": 6},
              {"day": "2026-05-04", "channel": "slack", "messages": 21}],
    "leads_by_tier": {"cold": 2, "hot": 4, "warm": 3},
    "leads_by_status": {"new": 4, "claimed": 1, "contacted": 1, "won": 3},
    "recent_leads": [{"id": "L-0001", "created_at": "2026-05-04T10:11:12Z", "role": "project_manager",
                      "engagement": "full_time", "company": "Smith & <Sons>", "tier": "hot", "score": 88,
                      "status": "won", "channel": "slack"},
                     {"id": "L-0002", "created_at": "2026-05-03T09:00:00Z", "role": None, "engagement": None,
                      "company": None, "tier": None, "score": None, "status": "new", "channel": "telegram"}],
    "handoffs": {"requested": 5, "answered": 3, "unanswered": 1, "open": 1, "median_first_reply_s": 95.0,
                 "median_to_close_s": 1830.0},
}
EMPTY: dict[str, Any] = {
    "since": "2026-05-01", "until": "2026-05-07", "funnel": _funnel(0, 0, 0, 0, 0, 0, 0, 0), "form_dropoff": {},
    "intents": {}, "unanswered": [], "by_channel": {}, "by_campaign": {}, "daily": [], "leads_by_tier": {},
    "leads_by_status": {}, "recent_leads": [],
    "handoffs": {"requested": 0, "answered": 0, "unanswered": 0, "open": 0, "median_first_reply_s": None,
                 "median_to_close_s": None}}


class Page(HTMLParser):
    """What the tests read back: every element with its attributes and the chart (svg id) it is in, the text of
    every `data-figure` element by chart, and the text of every table cell by table id."""

    VOID = {"meta", "br", "img", "input", "link", "hr", "line"}

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str | None, str, dict[str, str | None]]] = []
        self.figures: dict[str, dict[str, str]] = {}
        self.cells: dict[str, list[list[str]]] = {}
        self.text: list[str] = []
        self._chart: str | None = None
        self._table: str | None = None
        self._open: list[tuple[str, list[str]]] = []  # (figure key or "", its text so far)
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "svg":
            self._chart = found.get("id")
        if tag == "table":
            self._table = found.get("id") or ""
            self.cells[self._table] = []
        if tag == "tr" and self._table is not None:
            self.cells[self._table].append([])
        self.elements.append((self._chart, tag, found))
        if tag not in self.VOID:
            self._open.append((found.get("data-figure") or "", []))
            if tag in ("td", "th") and self._table is not None:
                self._open[-1] = ("\0cell", self._open[-1][1])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((self._chart, tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID or not self._open:
            return
        key, text = self._open.pop()
        if key == "\0cell":
            self.cells[self._table][-1].append("".join(text).strip())
        elif key and self._chart:
            self.figures.setdefault(self._chart, {})[key] = "".join(text).strip()
        if tag == "svg":
            self._chart = None
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for _, text in self._open:
            text.append(data)

    def bars(self, chart: str) -> list[dict[str, str | None]]:
        return [attrs for where, tag, attrs in self.elements
                if where == chart and tag == "rect" and attrs.get("class") == "bar"]

    def values(self, chart: str) -> dict[str, int]:
        return {bar["data-key"]: int(bar["data-value"]) for bar in self.bars(chart)}

    def ids(self) -> set[str]:
        return {attrs["id"] for _, _, attrs in self.elements if attrs.get("id")}

    def empty_notes(self) -> set[str]:
        return {attrs["data-empty"] for _, _, attrs in self.elements if attrs.get("data-empty")}


# -- the page, from a report ---------------------------------------------------------------------------------------

def test_every_chart_draws_the_reports_numbers():
    page = Page(render_dashboard(SAMPLE, "2026-05-07 12:00 UTC"))
    assert set(CHARTS) <= page.ids()
    assert page.figures["chart-funnel"] == {key: str(value) for key, value in SAMPLE["funnel"].items()}
    assert page.values("chart-funnel") == SAMPLE["funnel"]
    assert page.values("chart-dropoff") == SAMPLE["form_dropoff"]
    assert page.figures["chart-dropoff"] == {k: str(v) for k, v in SAMPLE["form_dropoff"].items()}
    assert page.values("chart-tiers") == SAMPLE["leads_by_tier"]
    assert [bar["data-key"] for bar in page.bars("chart-tiers")] == ["hot", "warm", "cold"]  # not by count
    assert page.values("chart-statuses") == SAMPLE["leads_by_status"]
    assert page.values("chart-intents") == SAMPLE["intents"]
    assert [int(bar["data-value"]) for bar in page.bars("chart-unanswered")] == [4, 2]
    # the daily chart: one segment per day and channel with messages, the day's total printed above it
    segments = {(bar["data-day"], bar["data-key"]): int(bar["data-value"]) for bar in page.bars("chart-daily")}
    assert segments == {(row["day"], row["channel"]): row["messages"] for row in SAMPLE["daily"]}
    assert page.figures["chart-daily"] == {"2026-05-01": "20", "2026-05-04": "21"}
    assert {attrs["data-key"] for _, tag, attrs in page.elements if tag == "li"} == {"slack", "telegram"}
    days = [attrs["data-day"] for chart, tag, attrs in page.elements if chart == "chart-daily" and tag == "g"]
    assert days == [f"2026-05-0{d}" for d in range(1, 8)]  # quiet days keep their place on the axis


def test_tables_show_the_funnel_by_channel_and_campaign_and_the_recent_leads():
    page = Page(render_dashboard(SAMPLE, "2026-05-07 12:00 UTC"))
    for table, funnels in (("by-channel", SAMPLE["by_channel"]), ("by-campaign", SAMPLE["by_campaign"])):
        header, *rows = page.cells[table]
        assert header[1:] == [key.replace("_", " ") for key in FUNNEL]
        assert {row[0]: [int(v) for v in row[1:]] for row in rows} == {
            name: [figures[key] for key in FUNNEL] for name, figures in funnels.items()}
    header, *rows = page.cells["recent-leads"]
    assert rows[0][:8] == ["2026-05-04 10:11", "project_manager", "full_time", "Smith & <Sons>", "hot", "88", "won",
                           "slack"]
    assert rows[1][1:6] == ["—", "—", "—", "—", "—"]  # a lead still missing its details


def test_bar_lengths_are_proportional_to_the_values():
    page = Page(render_dashboard(SAMPLE, "now"))
    widths = {bar["data-key"]: float(bar["width"]) for bar in page.bars("chart-funnel")}
    assert widths["conversations"] > 0
    for key, value in SAMPLE["funnel"].items():
        assert widths[key] == pytest.approx(widths["conversations"] * value / SAMPLE["funnel"]["conversations"],
                                            abs=0.1)
    heights = {bar["data-day"] + bar["data-key"]: float(bar["height"]) for bar in page.bars("chart-daily")}
    assert heights["2026-05-01slack"] == pytest.approx(heights["2026-05-04slack"] * 14 / 21, abs=0.05)


def test_what_people_typed_is_escaped_and_the_page_loads_nothing():
    html = render_dashboard(SAMPLE, "<now>")
    page = Page(html)
    tags = {tag for _, tag, _ in page.elements}
    assert "script" not in tags and "<script>" not in html
    assert "&lt;script&gt;" in html and "Smith &amp; &lt;Sons&gt;" in html and "&lt;b&gt;spring&lt;/b&gt;" in html
    assert SCRIPT in "".join(page.text)  # shown, as text
    assert not tags & {"img", "link", "iframe", "object", "embed", "form"}
    for _, _, attrs in page.elements:
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler {name}"
            assert name not in ("src", "href") and "url(" not in (value or ""), f"{name}={value}: an external asset"


def test_an_empty_period_says_so_instead_of_drawing_empty_charts():
    page = Page(render_dashboard(EMPTY, "2026-05-07 12:00 UTC"))
    assert "no-data" in page.ids()
    assert not set(CHARTS) & page.ids()
    assert not [tag for _, tag, _ in page.elements if tag in ("rect", "svg")]
    assert page.empty_notes() == {"daily", "funnel", "dropoff", "tiers", "statuses", "unanswered", "intents",
                                  "by-channel", "by-campaign", "recent-leads", "handoffs"}
    assert "".join(page.text).count("No data in this period") >= 10


def test_the_hand_off_figures_are_shown():
    page = render_dashboard(SAMPLE, "now")
    table = page[page.index('id="handoffs-table"'):]
    for figure, value in (("requested", 5), ("answered", 3), ("unanswered", 1), ("open", 1)):
        assert f'data-figure="{figure}">{value}<' in table
    assert "1m35s" in table and "30m30s" in table


def test_a_quiet_part_is_noted_and_the_rest_still_drawn():
    report = copy.deepcopy(SAMPLE)
    report["form_dropoff"], report["by_campaign"] = {}, {}
    report["leads_by_status"] = {"new": 0}
    page = Page(render_dashboard(report, "now"))
    assert page.empty_notes() == {"dropoff", "by-campaign", "statuses"}
    assert "no-data" not in page.ids() and {"chart-funnel", "chart-daily"} <= page.ids()


def test_a_period_too_long_to_draw_day_by_day_keeps_its_busy_days():
    assert len(period_days("2026-01-01", "2026-01-31", set())) == 31
    assert period_days("2020-01-01", "2026-01-01", {"2024-03-01", "2021-02-02"}) == ["2021-02-02", "2024-03-01"]
    assert (date(2026, 1, 1) - date(2020, 1, 1)).days > MAX_DRAWN_DAYS


# -- /admin in `oncall-bot serve` -----------------------------------------------------------------------------------

SECURITY_HEADERS = {"Cache-Control": "no-store",
                    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
                    "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


@pytest.fixture
def played(fresh_db):
    """The scripted conversations (tests/insights_script.py) in a temp SQLite store."""
    play(fresh_db)
    return fresh_db


def _default_period() -> tuple[date, date]:
    today = datetime.now(UTC).date()
    return today - timedelta(days=29), today


class _Admin:
    def __init__(self, db: Database, token: str | None):
        self.client = TestClient(TestServer(build_web_app(db, admin_token=token)))

    async def __aenter__(self) -> TestClient:
        await self.client.start_server()
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()


def _assert_secured(response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name


@pytest.mark.parametrize("token", [None, "", "short-token"])
@pytest.mark.asyncio
async def test_admin_is_off_without_a_long_enough_token(played, token):
    assert token is None or len(token) < MIN_TOKEN
    async with _Admin(played, token) as client:
        for url in ("/admin", f"/admin?token={token}"):
            response = await client.get(url, headers={"Authorization": f"Bearer {token}"})
            assert response.status == 404
            assert "ONCALL_ADMIN_TOKEN" in await response.text()
            _assert_secured(response)


WRONG = [
    {},  # none at all
    {"headers": {"Authorization": "Bearer " + "x" * len(TOKEN)}},  # same length
    {"headers": {"Authorization": "Bearer " + TOKEN[:-1]}},  # a prefix
    {"headers": {"Authorization": "Bearer " + TOKEN + "x"}},  # longer
    {"headers": {"Authorization": "Bearer " + TOKEN.upper()}},
    {"headers": {"Authorization": "Basic " + TOKEN}},  # not a bearer token
    {"headers": {"Authorization": "Bearer"}},
    {"params": {"token": ""}},
    {"params": {"token": TOKEN[1:]}},
    {"params": {"token": "é" * len(TOKEN)}},  # non-ASCII: refused like any wrong token, never a 500
]


@pytest.mark.parametrize("request_args", WRONG)
@pytest.mark.asyncio
async def test_admin_refuses_a_missing_or_wrong_token(played, request_args):
    async with _Admin(played, TOKEN) as client:
        response = await client.get("/admin", **request_args)
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        body = await response.text()
        assert "Authorization: Bearer" in body and "<svg" not in body and "conversations" not in body
        _assert_secured(response)


def _funnel_on(html: str) -> dict[str, int]:
    return {key: int(value) for key, value in Page(html).figures["chart-funnel"].items()}


@pytest.mark.parametrize("how", ["header", "query"])
@pytest.mark.asyncio
async def test_admin_serves_the_dashboard_of_the_store_with_the_token(played, how):
    since, until = _default_period()
    expected = build_report(played, since, until)
    assert expected["funnel"]["conversations"] > 0 and expected["funnel"]["leads"] > 0  # the script filed a lead
    request_args = {"headers": {"Authorization": f"Bearer {TOKEN}"}} if how == "header" else {
        "params": {"token": TOKEN}}
    async with _Admin(played, TOKEN) as client:
        response = await client.get("/admin", **request_args)
        assert response.status == 200
        assert response.content_type == "text/html" and response.charset == "utf-8"
        _assert_secured(response)
        html = await response.text()
    page = Page(html)
    assert _funnel_on(html) == expected["funnel"]
    assert page.values("chart-dropoff") == expected["form_dropoff"]
    assert page.values("chart-statuses") == expected["leads_by_status"]
    assert [int(bar["data-value"]) for bar in page.bars("chart-unanswered")] == [
        item["count"] for item in expected["unanswered"]]
    assert sum(int(bar["data-value"]) for bar in page.bars("chart-daily")) == sum(
        row["messages"] for row in expected["daily"])
    assert re.search(rf'id="since">{since}<.*id="until">{until}<', html)  # the last 30 UTC days by default
    assert [row[-1] for row in page.cells["recent-leads"][1:]] == [lead["id"] for lead in expected["recent_leads"]]


@pytest.mark.asyncio
async def test_admin_takes_a_period_and_a_channel(played):
    today = datetime.now(UTC).date()
    async with _Admin(played, TOKEN) as client:
        for params, args in (({"since": str(today), "until": str(today)}, (today, today, None)),
                             ({"channel": "telegram"}, (*_default_period(), "telegram")),
                             ({"since": str(today - timedelta(days=1)), "channel": "slack"},
                              (today - timedelta(days=1), today, "slack"))):
            response = await client.get("/admin", params={"token": TOKEN, **params})
            assert response.status == 200, await response.text()
            assert _funnel_on(await response.text()) == build_report(played, *args)["funnel"], params
    # today only leaves the conversations of two days ago out: the figures above did differ
    assert build_report(played, today, today)["funnel"] != build_report(played, *_default_period())["funnel"]


@pytest.mark.parametrize(("params", "says"), [
    ({"since": "2026-13-01"}, "since must be a date written YYYY-MM-DD"),
    ({"until": "yesterday"}, "until must be a date written YYYY-MM-DD"),
    ({"since": "2026-02-30"}, "since must be a date"),
    ({"since": "20260501"}, "since must be a date"),
    ({"since": "2026-05-07", "until": "2026-05-01"}, "the period ends (2026-05-01) before it starts (2026-05-07)"),
    ({"since": "2020-01-01", "until": "2026-01-01"}, f"longer than {MAX_DAYS} days"),
    ({"channel": "slack' or 1=1 --"}, "channel must be a channel name"),
])
@pytest.mark.asyncio
async def test_admin_refuses_a_bad_period_with_a_clear_400(played, params, says):
    async with _Admin(played, TOKEN) as client:
        response = await client.get("/admin", params={"token": TOKEN, **params})
        assert response.status == 400
        assert says in await response.text()
        _assert_secured(response)


class _HeldDatabase(Database):
    """The real store, whose queries of the turn log wait until the test lets them go: the report is then held
    in the middle of its queries, as a slow database would hold it."""

    def __init__(self, db: Database):
        self.db, self.backend, self.url = db, db.backend, db.url
        self.held, self.release = threading.Event(), threading.Event()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict]:
        if "from turns" in sql:
            self.held.set()
            assert self.release.wait(10), "never released"
        return self.db.query(sql, params)


@pytest.mark.asyncio
async def test_the_report_queries_do_not_hold_up_the_server(played):
    held = _HeldDatabase(played)
    async with _Admin(held, TOKEN) as client:
        page = asyncio.create_task(client.get("/admin", params={"token": TOKEN}))
        assert await asyncio.to_thread(held.held.wait, 10)
        health = await asyncio.wait_for(client.get("/healthz"), 5)  # answered while the report waits on its store
        assert health.status == 200 and not page.done()
        held.release.set()
        response = await page
        assert response.status == 200
        assert _funnel_on(await response.text()) == build_report(played, *_default_period())["funnel"]
