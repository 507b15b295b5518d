"""The python-telegram-bot Application: updates in, engine `Message`s through, HTML messages out.

No intent or lead logic here. Every update is acted on exactly once: its update_id is recorded in the
same transaction as the turn (`Engine.handle(delivery_keys=...)`), so a redelivered update is
recognized whatever order it arrives in. Sends go through PTB's AIORateLimiter (on a 429 it waits
`retry_after`, then sends once); a send that times out is logged, never blindly repeated.
"""

from __future__ import annotations

import contextlib
import logging
import re

from telegram import BotCommand, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, CallbackQueryHandler, MessageHandler
from telegram.ext import filters as F
from telegram.request import HTTPXRequest

from adapters.telegram.config import TelegramConfig
from adapters.telegram.render import LONG_VALUE_PREFIX
from adapters.telegram.replies import GLOBAL_INTERVAL_S, TelegramReplies
from bot.engine import Engine
from bot.storage.pacing import Pacer
from bot.types import Message

log = logging.getLogger(__name__)
PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
COMMANDS = [
    BotCommand("start", "Start over and see what I can do"),
    BotCommand("help", "What you can ask me"),
    BotCommand("hire", "Request a Project Manager or an Operations Manager"),
    BotCommand("cancel", "Cancel the current request"),
    BotCommand("forget", "Delete our conversation and your details"),
]


def build_application(config: TelegramConfig, engine: Engine, read_timeout: float = 10.0) -> Application:
    request = HTTPXRequest(connect_timeout=5.0, read_timeout=read_timeout, write_timeout=read_timeout)
    polling = HTTPXRequest(connect_timeout=5.0, read_timeout=40.0)
    application = (
        ApplicationBuilder().token(config.token).base_url(config.api_base_url)
        .request(request).get_updates_request(polling)
        .rate_limiter(AIORateLimiter(max_retries=1))
        .updater(None)  # we poll ourselves: the offset moves only after an update's effects are stored
        .build()
    )
    pacer = Pacer(engine.db, interval_s=GLOBAL_INTERVAL_S)
    translator = Translator(engine, TelegramReplies(engine.replies, application.bot, engine.store.remember_value,
                                                    pacer))
    application.bot_data["translator"] = translator
    application.add_handler(MessageHandler(F.TEXT, translator.on_text))
    application.add_handler(MessageHandler(F.ATTACHMENT & ~F.TEXT, translator.on_text))  # files, photos…
    application.add_handler(CallbackQueryHandler(translator.on_button))
    application.add_error_handler(translator.on_error)
    return application


class Translator:
    def __init__(self, engine: Engine, replies: TelegramReplies):
        self.engine = engine
        self.replies = replies
        self.failed: dict[int, str] = {}  # update id -> why its handling failed: its offset must not move

    async def on_text(self, update: Update, context) -> None:
        message, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if message is None or user is None or user.is_bot:
            return
        text = message.text or message.caption or ""
        bot_name = f"@{context.bot.username}"
        if chat.type != ChatType.PRIVATE:
            replied_to_bot = message.reply_to_message and message.reply_to_message.from_user and (
                message.reply_to_message.from_user.id == context.bot.id)
            if bot_name.lower() not in text.lower() and not replied_to_bot:
                return  # in groups: only when mentioned or replied to
            text = re.sub(re.escape(bot_name), "", text, flags=re.I).strip()
        campaign = None
        command = re.match(r"^/(\w+)(@\w+)?\s*(.*)$", text, re.S)
        if command:
            name, argument = command.group(1).lower(), command.group(3).strip()
            text = f"/{name}"
            if name == "start" and PAYLOAD.match(argument):
                campaign = argument  # a deep link: t.me/<bot>?start=<payload>; anything else is ignored
        incoming = Message(user=str(user.id), text=text, channel="telegram",
                           conversation=_conversation(chat.id, user.id, chat.type), campaign=campaign,
                           attachment=message.effective_attachment is not None)
        await self._answer(update, incoming, chat.id)

    async def on_button(self, update: Update, context) -> None:
        query = update.callback_query
        try:
            await query.answer()  # stop the client's spinner first
        except BadRequest as error:  # "query is too old" after some downtime: the press still counts
            log.info("answerCallbackQuery refused (%s); handling the press anyway", type(error).__name__)
        value = query.data or ""
        if value.startswith(LONG_VALUE_PREFIX):
            value = self.engine.store.recall_value(value) or ""
        user = query.from_user
        chat = update.effective_chat  # None for a button on an inline message: answer the user directly
        chat_id, chat_type = (chat.id, chat.type) if chat else (user.id, ChatType.PRIVATE)
        incoming = Message(user=str(user.id), button=value, channel="telegram",
                           conversation=_conversation(chat_id, user.id, chat_type))
        await self._answer(update, incoming, chat_id)
        if query.message is not None:
            with contextlib.suppress(TelegramError):  # the pressed keyboard has done its job: remove it
                await query.edit_message_reply_markup(reply_markup=None)

    async def _answer(self, update: Update, incoming: Message, chat_id: int) -> None:
        # None: already acted on (a redelivery); its reply, if still queued, goes out with this flush.
        self.engine.handle(incoming, delivery_keys=(f"telegram:update:{update.update_id}",),
                           reply_to={"chat_id": chat_id})
        await self.replies.flush(incoming.conversation_key)

    async def on_error(self, update: object, context) -> None:
        if isinstance(update, Update):
            self.failed[update.update_id] = type(context.error).__name__
        log.error("error handling an update: %s", type(context.error).__name__)


def _conversation(chat_id: int, user_id: int, chat_type: str) -> str:
    if chat_type == ChatType.PRIVATE:
        return f"telegram:{chat_id}"
    return f"telegram:{chat_id}:{user_id}"  # in a group, each member has their own conversation


async def register_commands(application: Application) -> None:
    await application.bot.set_my_commands(COMMANDS)
