"""/admin in `oncall-bot serve`: the owner's dashboard page, behind a bearer token.

Off unless ONCALL_ADMIN_TOKEN is set (then /admin answers 404 and says so). The token comes as
`Authorization: Bearer TOKEN`, or as `?token=TOKEN` so that a browser can open the page at all; the query form is
for local use, since a URL is kept in browser history and proxy logs (the app's own logs redact the token by
value, adapters/logs.py). The comparison is `hmac.compare_digest` on bytes: constant time, and a token with
non-ASCII characters is refused like any other wrong one instead of raising.

The page lists what people typed and who filed leads, so every answer forbids caching and framing, sends no
referrer (the token may be in the URL) and carries a CSP that allows no script and no request at all.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import date

from aiohttp import web

from adapters.cli_args import today as utc_today
from bot.storage.database import Database

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_DAYS = 366  # a page for a longer period would be slow to compute and unreadable
MIN_TOKEN = 16  # shorter tokens can be guessed; the page stays off and the log says why
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",  # the 400 answers echo the parameter back: never sniffed as HTML
}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CHANNEL = re.compile(r"[A-Za-z0-9_.-]{1,64}")
OFF = ("The admin page is off: start `oncall-bot serve` with ONCALL_ADMIN_TOKEN set (at least "
       f"{MIN_TOKEN} characters) to turn it on.\n")
UNAUTHORIZED = ("This page needs the admin token: send `Authorization: Bearer TOKEN`, or open /admin?token=TOKEN "
                "(on your own machine only: the URL is kept in your browser's history).\n")


def _text(status: int, text: str, **headers: str) -> web.Response:
    return web.Response(status=status, text=text, headers={**HEADERS, **headers})


def _given_token(request: web.Request) -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.query.get("token")


def authorized(request: web.Request, expected: bytes) -> bool:
    given = _given_token(request)
    # bytes, not str: compare_digest raises TypeError on a str with non-ASCII characters
    return given is not None and hmac.compare_digest(given.encode("utf-8"), expected)


def _day(query: Mapping[str, str], name: str) -> date | None:
    text = query.get(name)
    if text is None or text == "":
        return None
    if _DAY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass  # 2026-02-30 and the like: the same message as any other bad date
    raise ValueError(f"{name} must be a date written YYYY-MM-DD (a UTC day), not {text[:40]!r}")


def period(query: Mapping[str, str], today: date) -> tuple[date, date, str | None]:
    """`?since=&until=&channel=` read and checked; ValueError says what is wrong, for a 400."""
    from bot.insights.report import report_period

    since, until = report_period(_day(query, "since"), _day(query, "until"), today)
    if (until - since).days + 1 > MAX_DAYS:
        raise ValueError(f"the period is longer than {MAX_DAYS} days: ask for a shorter one")
    channel = query.get("channel") or None
    if channel is not None and not _CHANNEL.fullmatch(channel):
        raise ValueError("channel must be a channel name such as slack, telegram or console")
    return since, until, channel


def admin_page(db: Database, token: str | None, today: Callable[[], date] = utc_today) -> Handler:
    """The /admin handler; `token` is ONCALL_ADMIN_TOKEN (None or too short: the page is off)."""
    if token and len(token) < MIN_TOKEN:
        log.warning("admin: ONCALL_ADMIN_TOKEN is shorter than %s characters, so /admin stays off", MIN_TOKEN)
        token = None
    expected = token.encode("utf-8") if token else None

    async def handle(request: web.Request) -> web.StreamResponse:
        if expected is None:
            return _text(404, OFF)
        if not authorized(request, expected):
            log.warning("admin: refused a request without the admin token")
            return _text(401, UNAUTHORIZED, **{"WWW-Authenticate": "Bearer"})
        try:
            since, until, channel = period(request.query, today())
        except ValueError as error:
            return _text(400, f"Bad request: {error}.\n")
        # the queries (and the drawing) run in a thread: the event loop keeps serving Slack and Telegram meanwhile
        # imported when the page is asked for: `serve` starts without loading the report's modules
        from bot.insights.dashboard import dashboard_page

        page = await asyncio.to_thread(dashboard_page, db, since, until, channel)
        return web.Response(text=page, content_type="text/html", charset="utf-8", headers=HEADERS)

    return handle
