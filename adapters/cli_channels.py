"""`oncall-bot slack` (Socket Mode), `oncall-bot telegram` (long polling), `oncall-bot serve` (HTTP).

Each checks its tokens and prints one line saying who it is connected as, sends the replies left queued
by a previous process, runs the background threads (webhook deliveries, pruning), and stops cleanly on
SIGTERM: the turn in hand is finished and confirmed first.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from adapters.lifecycle import Background, banner, cancel, check_slack, check_telegram, stop_on_signals
from adapters.sinks import configured_sinks
from adapters.slack.app import build_app, web_client
from adapters.slack.config import SlackConfig
from adapters.slack.replies import SlackReplies
from adapters.slack.sales import SalesChannelWorker
from bot.engine import Engine
from bot.sales.desk import SalesDesk
from bot.sales.outbox import Outbox
from bot.storage.database import open_db
from bot.storage.pacing import Pacer


def slack_parts(db, engine: Engine, config: SlackConfig):
    """The Bolt app, the reply sender, and (with a sales channel) the worker that posts lead cards."""
    desk, limiter = SalesDesk(db, config.sales_users), Pacer(db, interval_s=1.0)  # Slack: ~1 post/s a channel
    client = web_client(config)
    replies = SlackReplies(engine.replies, client, limiter)
    app = build_app(engine, config, desk, client, replies)
    worker = SalesChannelWorker(Outbox(db), desk, client, config.sales_channel, limiter) if (
        config.sales_channel) else None
    return app, worker, replies


def _slack_tasks(worker, replies) -> list[asyncio.Task]:
    tasks = [asyncio.create_task(replies.run_forever())]
    if worker:
        tasks.append(asyncio.create_task(worker.run_forever()))
    return tasks


async def _run_slack_socket(args: argparse.Namespace, config: SlackConfig) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_sdk.errors import SlackApiError

    db = open_db(args.db)
    app, worker, replies = slack_parts(db, Engine(db, notify=configured_sinks()), config)
    line = await check_slack(app.client, "Socket Mode")
    handler = AsyncSocketModeHandler(app, config.app_token)
    try:
        await handler.connect_async()
    except SlackApiError as error:
        raise SystemExit(f"error: Slack rejected SLACK_APP_TOKEN ({error.response.get('error')})") from None
    banner(line)
    stopping = asyncio.Event()
    stop_on_signals(stopping.set)
    background, tasks = Background(args.db), _slack_tasks(worker, replies)
    try:
        await stopping.wait()
    finally:
        cancel(tasks)
        background.close()
        await handler.close_async()


def cmd_slack(args: argparse.Namespace) -> int:
    asyncio.run(_run_slack_socket(args, SlackConfig.from_env("socket")))
    return 0


def cmd_telegram(args: argparse.Namespace) -> int:
    from adapters.telegram.config import TelegramConfig
    from adapters.telegram.runner import Poller

    config = TelegramConfig.from_env("polling")
    db = open_db(args.db)

    async def main() -> None:
        poller = Poller(Engine(db, notify=configured_sinks()), config)
        banner(await check_telegram(poller.application, "long polling", poller.start))
        stop_on_signals(poller.request_stop)
        background = Background(args.db)
        sender = asyncio.create_task(poller.translator.replies.run_forever())
        try:
            await poller.run_forever(started=True)
        finally:
            sender.cancel()
            background.close()

    asyncio.run(main())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from adapters.web import build_web_app

    db = open_db(args.db)
    engine = Engine(db, notify=configured_sinks())
    slack = slack_parts(db, engine, SlackConfig.from_env("http")) if os.environ.get("SLACK_BOT_TOKEN") else None
    telegram = None
    if os.environ.get("TELEGRAM_BOT_TOKEN") and os.environ.get("TELEGRAM_WEBHOOK_URL"):
        from adapters.telegram.runner import webhook_service

        telegram = webhook_service(engine)
    app = build_web_app(db, slack[0] if slack else None, telegram.handle if telegram else None,
                        os.environ.get("SLACK_SIGNING_SECRET"), admin_token=os.environ.get("ONCALL_ADMIN_TOKEN"))
    tasks: list[asyncio.Task] = []

    async def start(_app) -> None:
        if slack:
            banner(await check_slack(slack[0].client, "HTTP at /slack/events"))
            tasks.extend(_slack_tasks(slack[1], slack[2]))
        if telegram:
            banner(await check_telegram(telegram.application, "webhook at /telegram/webhook", telegram.start))
            tasks.append(asyncio.create_task(telegram.translator.replies.run_forever()))
        if not (slack or telegram):
            polling = " (Telegram long polling runs in `oncall-bot telegram`)" if (
                os.environ.get("TELEGRAM_BOT_TOKEN")) else ""
            banner("Serving /healthz only: neither Slack (SLACK_BOT_TOKEN) nor a Telegram webhook "
                   f"(TELEGRAM_WEBHOOK_URL) is configured{polling}")
        admin_token = os.environ.get("ONCALL_ADMIN_TOKEN")
        if admin_token:
            from adapters.admin import MIN_TOKEN

            banner("Owner dashboard at /admin (ONCALL_ADMIN_TOKEN)" if len(admin_token) >= MIN_TOKEN else
                   f"/admin stays off: ONCALL_ADMIN_TOKEN is shorter than {MIN_TOKEN} characters")
        _app["background"] = Background(args.db)

    async def stop(_app) -> None:
        cancel(tasks)
        if "background" in _app:
            _app["background"].close()
        if telegram:
            await telegram.stop()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    web.run_app(app, host=args.host, port=args.port or int(os.environ.get("PORT", "8000")), print=None)
    return 0
