"""`oncall-bot slack` (Socket Mode), `oncall-bot telegram` (long polling), `oncall-bot serve` (HTTP)."""

from __future__ import annotations

import argparse
import asyncio
import os
import threading

from adapters.sinks import configured_sinks
from adapters.slack.app import ChannelLimiter, build_app, web_client
from adapters.slack.config import SlackConfig
from adapters.slack.replies import SlackReplies
from adapters.slack.sales import SalesChannelWorker
from adapters.workers import start_webhook_worker
from bot.engine import Engine
from bot.sales.desk import SalesDesk
from bot.sales.outbox import Outbox
from bot.storage.store import open_db


def slack_parts(db, engine: Engine, config: SlackConfig):
    """The Bolt app, the reply sender, and (with a sales channel) the worker that posts lead cards."""
    desk, limiter = SalesDesk(db, config.sales_users), ChannelLimiter()
    client = web_client(config)
    replies = SlackReplies(engine.replies, client, limiter)
    app = build_app(engine, config, desk, client, replies)
    worker = SalesChannelWorker(Outbox(db), desk, client, config.sales_channel, limiter) if (
        config.sales_channel) else None
    return app, worker, replies


async def _run_slack_socket(args: argparse.Namespace, config: SlackConfig) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    db = open_db(args.db)
    app, worker = slack_parts(db, Engine(db, notify=configured_sinks()), config)
    background = [asyncio.create_task(worker.run_forever())] if worker else []
    stop = threading.Event()
    start_webhook_worker(args.db, stop)
    try:
        await AsyncSocketModeHandler(app, config.app_token).start_async()
    finally:
        stop.set()
        for task in background:
            task.cancel()


def cmd_slack(args: argparse.Namespace) -> int:
    config = SlackConfig.from_env("socket")
    asyncio.run(_run_slack_socket(args, config))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from adapters.web import build_web_app

    db = open_db(args.db)
    engine = Engine(db, notify=configured_sinks())
    slack_app = slack_worker = None
    if os.environ.get("SLACK_BOT_TOKEN"):
        slack_app, slack_worker = slack_parts(db, engine, SlackConfig.from_env("http"))
    telegram = None
    if os.environ.get("TELEGRAM_BOT_TOKEN") and os.environ.get("TELEGRAM_WEBHOOK_URL"):
        from adapters.telegram.runner import webhook_service

        telegram = webhook_service(engine)
    if slack_app is None and telegram is None:
        raise SystemExit("error: nothing to serve: set SLACK_BOT_TOKEN (Slack over HTTP) and/or "
                         "TELEGRAM_BOT_TOKEN with TELEGRAM_WEBHOOK_URL (Telegram webhook)")
    app = build_web_app(db, slack_app, telegram.handle if telegram else None,
                        os.environ.get("SLACK_SIGNING_SECRET"))
    stop = threading.Event()

    async def start_background(_app) -> None:
        if slack_worker:
            _app["sales_worker"] = asyncio.create_task(slack_worker.run_forever())
        if telegram:
            await telegram.start()
        start_webhook_worker(args.db, stop)

    async def stop_background(_app) -> None:
        stop.set()
        if "sales_worker" in _app:
            _app["sales_worker"].cancel()
        if telegram:
            await telegram.stop()

    app.on_startup.append(start_background)
    app.on_cleanup.append(stop_background)
    web.run_app(app, host=args.host, port=args.port or int(os.environ.get("PORT", "8000")), print=None)
    return 0


def cmd_telegram(args: argparse.Namespace) -> int:
    from adapters.telegram.config import TelegramConfig
    from adapters.telegram.runner import Poller

    config = TelegramConfig.from_env("polling")
    db = open_db(args.db)
    engine = Engine(db, notify=configured_sinks())

    async def main() -> None:
        stop = threading.Event()
        start_webhook_worker(args.db, stop)
        try:
            await Poller(engine, config).run_forever()
        finally:
            stop.set()

    asyncio.run(main())
    return 0
