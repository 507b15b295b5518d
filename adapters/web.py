"""`oncall-bot serve`: one aiohttp server for Slack's Events API, Telegram's webhook and /healthz."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import sqlite_utils
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def slack_events(app: AsyncApp) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    return handle


def build_web_app(db: sqlite_utils.Database, slack: AsyncApp | None = None,
                  telegram: Handler | None = None) -> web.Application:
    app = web.Application(client_max_size=1024 ** 2)

    async def healthz(request: web.Request) -> web.Response:
        db.execute("select 1").fetchone()
        body = {"ok": True, "slack": slack is not None, "telegram": telegram is not None}
        return web.Response(text=json.dumps(body), content_type="application/json")

    app.router.add_get("/healthz", healthz)
    if slack is not None:
        app.router.add_post("/slack/events", slack_events(slack))
    if telegram is not None:
        app.router.add_post("/telegram/webhook", telegram)
    return app
