"""Send the engine's queued replies to Telegram (bot/storage/replies.py).

A reply is committed with its turn before it is sent, so a crash between the two loses nothing: the
next pass (or the next process) sends it. A long reply goes out as several messages; each one is
recorded as soon as Telegram has it, so a retry resumes after the last one sent. A send that timed out
may have arrived: it is counted as sent rather than risk saying it twice.
"""

from __future__ import annotations

import logging
import warnings
from datetime import timedelta

from telegram.constants import ParseMode
from telegram.error import Forbidden, RetryAfter, TelegramError, TimedOut

from adapters.lifecycle import repeat
from adapters.telegram.render import messages
from bot.storage.pacing import Pacer
from bot.storage.replies import Outgoing, ReplyQueue

log = logging.getLogger(__name__)
CHANNEL = "telegram"


GLOBAL_INTERVAL_S = 1 / 30  # Telegram: about 30 messages a second per bot
GROUP_INTERVAL_S = 3.0  # and 20 a minute per group


class TelegramReplies:
    def __init__(self, queue: ReplyQueue, bot, remember, pacer: Pacer):
        """`remember(key, value)` keeps a button value too long for Telegram's callback data. `pacer` keeps
        Telegram's limits across every instance sending for this bot."""
        self.queue, self.bot, self.remember, self.pacer = queue, bot, remember, pacer

    async def flush(self, conversation: str | None = None) -> int:
        sent = 0
        for outgoing in self.queue.claim(CHANNEL, conversation=conversation):
            try:
                await self._send(outgoing)
            except RetryAfter as error:
                self.queue.failed(outgoing, "telegram: flood control", retry_after=_seconds(error))
            except Forbidden:
                self.queue.failed(outgoing, "telegram: the user blocked the bot", retry_after=3600)
            except TelegramError as error:
                self.queue.failed(outgoing, f"telegram: {type(error).__name__}")
            else:
                self.queue.sent(outgoing)
                sent += 1
        return sent

    async def run_forever(self, interval: float = 1.0) -> None:
        await repeat(self.flush, interval, "telegram reply")

    async def _send(self, outgoing: Outgoing) -> None:
        parts = messages(outgoing.reply, self.remember)
        for index in range(outgoing.parts_sent, len(parts)):
            text, keyboard = parts[index]
            chat = outgoing.target["chat_id"]
            group = [(f"telegram:{chat}", GROUP_INTERVAL_S)] if int(chat) < 0 else []
            try:
                async with self.pacer("telegram", *group):
                    message = await self.bot.send_message(chat, text, parse_mode=ParseMode.HTML, reply_markup=keyboard,
                                                          disable_web_page_preview=True)
            except TimedOut:
                # It may well have been delivered: sending again could say everything twice.
                log.warning("sendMessage timed out for reply %s; not resending", outgoing.id)
                self.queue.part_sent(outgoing, index, "timed-out")
                continue
            self.queue.part_sent(outgoing, index, str(message.message_id))


def _seconds(error: RetryAfter) -> float:
    """PTB 22 is moving `retry_after` from int seconds to a timedelta; accept either, quietly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
