"""`oncall-bot serve`: one aiohttp server for Slack's Events API, Telegram's webhook, /healthz and /admin."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from adapters.admin import admin_page
from bot.storage.database import Database

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def slack_events(app: AsyncApp, signing_secret: str) -> Handler:
    """Slack's Events API. The signature is checked on the raw body before anything is parsed: a request
    that is not from Slack, or not well formed, gets a 4xx and one short log line — never a traceback."""
    verifier = SignatureVerifier(signing_secret)

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        try:
            valid = verifier.is_valid(body, request.headers.get("X-Slack-Request-Timestamp", ""),
                                      request.headers.get("X-Slack-Signature", ""))
        except (ValueError, TypeError):  # a timestamp that is not a number, and the like
            valid = False
        if not valid:
            log.warning("slack: refused a request without a valid signature (%s bytes)", len(body))
            return web.Response(status=401, text="invalid signature")
        try:
            bolt_request = await to_bolt_request(request)
            problem = _shape_problem(bolt_request.body)
            if problem:
                raise ValueError(problem)
            response = await app.async_dispatch(bolt_request)
        except Exception as error:  # noqa: BLE001 - a signed but malformed request: say so, briefly
            log.warning("slack: refused a malformed request: %s", type(error).__name__)
            return web.Response(status=400, text="malformed request")
        if response.status == 404:  # signed, but no event, action or command Bolt knows
            log.warning("slack: refused a signed request that no listener handles")
            return web.Response(status=400, text="not a Slack request this app handles")
        return await to_aiohttp_response(response)

    return handle


_OBJECTS = ("event", "container", "view", "message", "state", "enterprise")
_NAMES = ("type", "team_id", "event_id", "api_app_id", "command", "trigger_id", "response_url", "text")


def _shape_problem(body: object) -> str | None:
    """Bolt's middleware assumes Slack's shapes (`body["event"].get(...)`) and answers 500 with a traceback
    when a field has another type; such a body is refused here first."""
    if not isinstance(body, dict):
        return "the body is not an object"
    for key in _OBJECTS:
        if key in body and not isinstance(body[key], dict):
            return f"{key} is not an object"
    for key in _NAMES:
        if key in body and not isinstance(body[key], str):
            return f"{key} is not a string"
    if "actions" in body and not (isinstance(body["actions"], list) and all(isinstance(a, dict)
                                                                               for a in body["actions"])):
        return "actions is not a list of objects"
    for key in ("user", "team", "channel"):
        if key in body and not isinstance(body[key], (dict, str)):
            return f"{key} is neither an object nor an id"
    event = body.get("event", {})
    for key in ("type", "user", "channel", "text", "ts", "thread_ts", "channel_type", "bot_id", "subtype"):
        if event.get(key) is not None and not isinstance(event[key], str):
            return f"event.{key} is not a string"
    return None


def build_web_app(db: Database, slack: AsyncApp | None = None, telegram: Handler | None = None,
                  slack_secret: str | None = None, admin_token: str | None = None) -> web.Application:
    """`admin_token`: ONCALL_ADMIN_TOKEN; without it /admin answers 404 (adapters/admin.py)."""
    app = web.Application(client_max_size=1024 ** 2)

    async def healthz(request: web.Request) -> web.Response:
        db.scalar("select 1")
        body = {"ok": True, "slack": slack is not None, "telegram": telegram is not None}
        return web.Response(text=json.dumps(body), content_type="application/json")

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/admin", admin_page(db, admin_token))
    if slack is not None:
        app.router.add_post("/slack/events", slack_events(slack, slack_secret or ""))
    if telegram is not None:
        app.router.add_post("/telegram/webhook", telegram)
    return app
