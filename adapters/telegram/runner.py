"""Running the Telegram bot: our own long-polling loop, or the webhook behind `oncall-bot serve`.

Polling moves the offset only after an update has been handled (its effects committed by the engine),
so a crash between receiving and storing gets the update again, and the engine's update-id check keeps
a crash after storing from answering twice. The webhook answers 403 to any request without the secret
token Telegram was given in setWebhook, and an error status when handling failed, so Telegram retries.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from aiohttp import web
from telegram import Update

from adapters.telegram.bot import build_application, register_commands
from adapters.telegram.config import TelegramConfig
from bot.engine import Engine

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "callback_query"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Poller:
    def __init__(self, engine: Engine, config: TelegramConfig, poll_timeout: int = 30, read_timeout: float = 10.0):
        self.application = build_application(config, engine, read_timeout)
        self.translator = self.application.bot_data["translator"]
        self.poll_timeout = poll_timeout
        self.offset: int | None = None

    async def start(self) -> None:
        await self.application.initialize()
        await self.application.bot.delete_webhook()  # polling and a webhook exclude each other
        await register_commands(self.application)

    async def poll_once(self, timeout: int | None = None) -> int:
        """Fetch a batch, handle each update in order, then advance the offset; returns updates handled."""
        updates = await self.application.bot.get_updates(
            offset=self.offset, timeout=self.poll_timeout if timeout is None else timeout,
            allowed_updates=ALLOWED_UPDATES)
        handled = 0
        for update in updates:
            await self.application.process_update(update)
            if update.update_id in self.translator.failed:
                self.translator.failed.discard(update.update_id)
                log.warning("update %s failed; it will be fetched again", update.update_id)
                break
            # Confirmed to Telegram by the next getUpdates; max() because ids may arrive out of order.
            self.offset = max(self.offset or 0, update.update_id + 1)
            handled += 1
        return handled

    async def stop(self) -> None:
        if self.offset is not None:  # confirm what we handled, so a restart does not fetch it again
            await self.application.bot.get_updates(offset=self.offset, timeout=0, allowed_updates=ALLOWED_UPDATES)
        await self.application.shutdown()

    async def run_forever(self) -> None:
        await self.start()
        try:
            while True:
                try:
                    await self.poll_once()
                except Exception:  # noqa: BLE001 - network trouble: wait a little and poll again
                    log.warning("polling failed; retrying shortly")
                    await asyncio.sleep(3)
        finally:
            await self.stop()


class WebhookService:
    def __init__(self, engine: Engine, config: TelegramConfig):
        self.config = config
        self.application = build_application(config, engine)
        self.translator = self.application.bot_data["translator"]

    async def start(self) -> None:
        await self.application.initialize()
        await self.application.bot.set_webhook(self.config.webhook_url, secret_token=self.config.webhook_secret,
                                               allowed_updates=ALLOWED_UPDATES)
        await register_commands(self.application)

    async def stop(self) -> None:
        await self.application.shutdown()

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), (self.config.webhook_secret or "").encode()):
            return web.Response(status=403, text="forbidden")
        try:
            update = Update.de_json(json.loads(await request.text()), self.application.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400, text="not an update")
        await self.application.process_update(update)
        if update.update_id in self.translator.failed:
            self.translator.failed.discard(update.update_id)
            return web.Response(status=500, text="failed; please retry")
        return web.Response(text="ok")


def webhook_service(engine: Engine) -> WebhookService:
    return WebhookService(engine, TelegramConfig.from_env("webhook"))
