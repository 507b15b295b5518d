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
    """Our own long polling: the offset moves past an update only once its turn is committed.

    An update whose handling fails is tried again on the next polls (later updates are still handled
    meanwhile: their update ids are deduplicated), with growing pauses; after MAX_TRIES it is recorded as
    a dead letter (`oncall-bot dead-letters`) and skipped, so one bad update never stalls everyone.
    """

    MAX_TRIES = 3

    def __init__(self, engine: Engine, config: TelegramConfig, poll_timeout: int = 30, read_timeout: float = 10.0):
        self.application = build_application(config, engine, read_timeout)
        self.translator = self.application.bot_data["translator"]
        self.store = engine.store
        self.poll_timeout = poll_timeout
        self.offset: int | None = None
        self.tries: dict[int, int] = {}
        self.pause = 0.0  # before the next poll: an update being retried, or Telegram unreachable
        self.stopping = False
        self._fetch: asyncio.Future | None = None
        self.sleep = asyncio.sleep  # injectable: tests record the pauses instead of waiting them out

    async def start(self) -> None:
        await self.application.initialize()
        await self.application.bot.delete_webhook()  # polling and a webhook exclude each other
        await register_commands(self.application)

    def request_stop(self) -> None:
        """SIGTERM: finish the update in hand, confirm the offset, stop. A long poll waiting for updates
        is abandoned (whatever it would have returned stays unconfirmed, so it is fetched again)."""
        self.stopping = True
        if self._fetch is not None and not self._fetch.done():
            self._fetch.cancel()

    async def poll_once(self, timeout: int | None = None) -> int:
        """Fetch a batch and handle it in order; returns the updates handled (committed or skipped)."""
        self._fetch = asyncio.ensure_future(self.application.bot.get_updates(
            offset=self.offset, timeout=self.poll_timeout if timeout is None else timeout,
            allowed_updates=ALLOWED_UPDATES))
        try:
            updates = await self._fetch
        except asyncio.CancelledError:
            if self.stopping:
                return 0
            raise
        finally:
            self._fetch = None
        handled, held, self.pause = 0, False, 0.0
        for update in updates:
            if self.stopping:
                break
            await self.application.process_update(update)
            error = self.translator.failed.pop(update.update_id, None)
            if error is not None:
                tries = self.tries[update.update_id] = self.tries.get(update.update_id, 0) + 1
                if tries < self.MAX_TRIES:
                    log.warning("update %s failed (%s, try %s); it will be fetched again", update.update_id,
                                error, tries)
                    held, self.pause = True, max(self.pause, 0.5 * 2 ** tries)
                    continue
                self.store.record_dead_letter("telegram", f"update:{update.update_id}", error)
                log.error("update %s failed %s times (%s): skipped, see `oncall-bot dead-letters`",
                          update.update_id, tries, error)
            self.tries.pop(update.update_id, None)
            handled += 1
            if not held:  # confirmed to Telegram by the next getUpdates; max(): ids may arrive out of order
                self.offset = max(self.offset or 0, update.update_id + 1)
        return handled

    async def stop(self) -> None:
        if self.offset is not None:  # confirm what we handled, so a restart does not fetch it again
            await self.application.bot.get_updates(offset=self.offset, timeout=0, allowed_updates=ALLOWED_UPDATES)
        await self.application.shutdown()

    async def run_forever(self, started: bool = False) -> None:
        if not started:
            await self.start()
        failures = 0
        try:
            while not self.stopping:
                try:
                    await self.poll_once()
                    failures = 0
                except Exception as error:  # noqa: BLE001 - Telegram unreachable: back off and poll again
                    failures += 1
                    self.pause = min(30.0, 2.0 ** failures)
                    log.warning("polling failed (%s); retrying in %.0f s", type(error).__name__, self.pause)
                if self.pause and not self.stopping:
                    await self.sleep(self.pause)
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
        if self.translator.failed.pop(update.update_id, None) is not None:
            return web.Response(status=500, text="failed; please retry")  # Telegram retries the webhook
        return web.Response(text="ok")


def webhook_service(engine: Engine) -> WebhookService:
    return WebhookService(engine, TelegramConfig.from_env("webhook"))
