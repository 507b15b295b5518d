"""Tests for the offline Telegram Bot API fake, driven through python-telegram-bot's own Bot."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import threading
import time
import warnings
from collections.abc import Iterator

import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.error import BadRequest, Conflict, EndPointNotFound, InvalidToken, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter, ApplicationBuilder, CommandHandler, ContextTypes

from fakes.telegram_api import FakeTelegramAPI  # tests/ (no __init__.py) is put on sys.path by pytest

CHAT = 424242


@pytest.fixture
def fake() -> Iterator[FakeTelegramAPI]:
    with FakeTelegramAPI(long_poll_cap=2.0) as api:
        yield api


def _bot(fake: FakeTelegramAPI, token: str | None = None) -> Bot:
    return Bot(token or fake.token, base_url=fake.base_url)


def _seconds(value: int | float | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@pytest.mark.asyncio
async def test_get_me_and_base_url(fake: FakeTelegramAPI) -> None:
    assert fake.base_url.startswith("http://127.0.0.1:") and fake.base_url.endswith("/bot")
    assert fake.port != 0
    async with _bot(fake) as bot:  # initialize() calls getMe
        assert bot.username == fake.bot_username
        assert bot.id == fake.bot_id
        me = await bot.get_me()
    assert me.is_bot and me.first_name == fake.bot_first_name
    assert [c.failed for c in fake.calls_to("getMe")] == [False, False]


@pytest.mark.asyncio
async def test_send_message_with_inline_keyboard_and_edits(fake: FakeTelegramAPI) -> None:
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Yes", callback_data="yes"), InlineKeyboardButton("No", callback_data="no")]]
    )
    async with _bot(fake) as bot:
        first = await bot.send_message(CHAT, "123", reply_markup=markup)
        second = await bot.send_message(CHAT, "true")
        assert second.message_id > first.message_id
        assert first.chat.id == CHAT and first.chat.type == "private"
        assert first.text == "123" and isinstance(first.date, dtm.datetime)
        assert first.reply_markup == markup
        assert second.reply_markup is None

        sent = fake.sent_messages(CHAT)
        assert [p["text"] for p in sent] == ["123", "true"]  # strings are not JSON-decoded
        assert sent[0]["chat_id"] == CHAT
        assert sent[0]["reply_markup"] == markup.to_dict()
        assert fake.sent_messages(chat_id=999) == []

        edited = await bot.edit_message_reply_markup(CHAT, first.message_id, reply_markup=None)
        assert edited.reply_markup is None and edited.edit_date is not None
        with pytest.raises(BadRequest, match="(?i)message is not modified"):
            await bot.edit_message_reply_markup(CHAT, first.message_id, reply_markup=None)
        edited = await bot.edit_message_text("Chosen: yes", CHAT, first.message_id, reply_markup=markup)
        assert edited.text == "Chosen: yes" and edited.reply_markup == markup
        assert fake.get_message(CHAT, first.message_id)["text"] == "Chosen: yes"
        with pytest.raises(BadRequest, match="(?i)message to edit not found"):
            await bot.edit_message_text("x", CHAT, 10_000)
        with pytest.raises(BadRequest, match="(?i)message text is empty"):
            await bot.send_message(CHAT, " ")
    assert fake.calls_to("editMessageText")[-1].failed


@pytest.mark.asyncio
async def test_get_updates_offset_semantics(fake: FakeTelegramAPI) -> None:
    ids = [fake.enqueue_message(CHAT, f"msg {i}") for i in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    async with _bot(fake) as bot:
        updates = await bot.get_updates(timeout=0)
        assert [u.update_id for u in updates] == ids
        assert [u.message.text for u in updates] == ["msg 0", "msg 1", "msg 2"]
        assert updates[0].message.from_user.id == CHAT

        limited = await bot.get_updates(limit=2, timeout=0)
        assert [u.update_id for u in limited] == ids[:2]

        # Confirming offset = last + 1 drops everything before it.
        assert await bot.get_updates(offset=ids[-1] + 1, timeout=0) == ()
        assert fake.confirmed_offset == ids[-1] + 1
        assert fake.pending_updates == []
        assert await bot.get_updates(timeout=0) == ()

        # Explicit (duplicate / out-of-order) ids are delivered as queued.
        fake.enqueue_message(CHAT, "dup", update_id=50)
        fake.enqueue_message(CHAT, "dup again", update_id=50)
        assert fake.enqueue_message(CHAT, "auto") == 51
        got = await bot.get_updates(offset=ids[-1] + 1, timeout=0)
        assert [u.update_id for u in got] == [50, 50, 51]


@pytest.mark.asyncio
async def test_long_poll_returns_early_when_update_arrives(fake: FakeTelegramAPI) -> None:
    def producer() -> None:
        fake.wait_for("getUpdates", timeout=5)  # the poll is in flight
        fake.enqueue_message(CHAT, "wake up")

    thread = threading.Thread(target=producer)
    thread.start()
    async with _bot(fake) as bot:
        started = time.monotonic()
        updates = await bot.get_updates(timeout=30)  # the fake caps the wait at 2 s
        elapsed = time.monotonic() - started
    thread.join(timeout=5)
    assert [u.message.text for u in updates] == ["wake up"]
    assert elapsed < 1.5


@pytest.mark.asyncio
async def test_long_poll_times_out_empty_at_cap() -> None:
    with FakeTelegramAPI(long_poll_cap=0.2) as fake:
        async with _bot(fake) as bot:
            started = time.monotonic()
            assert await bot.get_updates(timeout=10) == ()
            assert 0.15 < time.monotonic() - started < 2


@pytest.mark.asyncio
async def test_429_injection_raises_retry_after(fake: FakeTelegramAPI) -> None:
    fake.fail_next("sendMessage", retry_after=1)
    async with _bot(fake) as bot:
        with pytest.raises(RetryAfter) as excinfo:
            await bot.send_message(CHAT, "hello")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert _seconds(excinfo.value.retry_after) == 1
        assert fake.sent_messages() == []
        await bot.send_message(CHAT, "hello")  # injection consumed
    assert [c.failed for c in fake.calls_to("sendMessage")] == [True, False]
    assert [p["text"] for p in fake.sent_messages()] == ["hello"]


@pytest.mark.asyncio
async def test_hang_times_out_client_but_message_is_sent(fake: FakeTelegramAPI) -> None:
    fake.hang_next("sendMessage", seconds=1.0)
    async with _bot(fake) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "slow", read_timeout=0.2)
        assert [p["text"] for p in fake.sent_messages(CHAT)] == ["slow"]
        assert fake.calls_to("sendMessage")[0].delayed == 1.0
        fast = await bot.send_message(CHAT, "fast")  # the next call is not delayed
    assert fast.text == "fast"


@pytest.mark.asyncio
async def test_wrong_token_is_unauthorized(fake: FakeTelegramAPI) -> None:
    bot = _bot(fake, token="111:WRONG")
    with pytest.raises(InvalidToken, match="Unauthorized"):
        await bot.get_me()
    call = fake.calls[-1]
    assert (call.method, call.failed) == ("getMe", True)


@pytest.mark.asyncio
async def test_unknown_method_commands_webhook_and_misc(fake: FakeTelegramAPI) -> None:
    async with _bot(fake) as bot:
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("noSuchMethod")
        assert await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
        assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
        assert await bot.get_my_commands(language_code="de") == ()

        fake.enqueue_message(CHAT, "pending")
        assert await bot.set_webhook("https://example.invalid/hook", secret_token="s3cret")
        info = await bot.get_webhook_info()
        assert info.url == "https://example.invalid/hook" and info.pending_update_count == 1
        assert fake.webhook_config["secret_token"] == "s3cret"
        with pytest.raises(Conflict):
            await bot.get_updates(timeout=0)
        assert await bot.delete_webhook(drop_pending_updates=True)
        assert (await bot.get_webhook_info()).url == ""
        assert await bot.get_updates(timeout=0) == ()

        assert await bot.answer_callback_query("cbq-1", text="ok")
        assert await bot.log_out()
        assert await bot.close()


@pytest.mark.asyncio
async def test_update_builders_parse_as_ptb_updates(fake: FakeTelegramAPI) -> None:
    bot = _bot(fake)
    fake.enqueue_message(-100123, "/start@fake_test_bot deep-link", user_id=7, chat_type="supergroup")
    body = fake.make_update_json(CHAT, "hi", reply_to_bot=True)
    cb_body = fake.make_update_json(CHAT, callback_data="pick:1")

    update = Update.de_json(fake.pending_updates[0], bot)
    assert update.effective_chat.type == "supergroup" and update.effective_user.id == 7
    entity = update.message.entities[0]
    assert entity.type == MessageEntity.BOT_COMMAND and entity.length == len("/start@fake_test_bot")

    hook_update = Update.de_json(json.loads(body), bot)
    assert hook_update.message.text == "hi"
    assert hook_update.message.reply_to_message.from_user.id == fake.bot_id
    cb_update = Update.de_json(json.loads(cb_body), bot)
    assert cb_update.callback_query.data == "pick:1"
    assert cb_update.callback_query.message.message_id == hook_update.message.reply_to_message.message_id

    raw_id = fake.enqueue_raw({"message": json.loads(body)["message"]})
    assert fake.pending_updates[-1]["update_id"] == raw_id
    fake.reset()
    assert fake.pending_updates == [] and fake.calls == [] and fake.confirmed_offset == 0
    with pytest.raises(AssertionError, match="waiting for 1 call"):
        fake.wait_for("sendMessage", timeout=0.05)


@pytest.mark.asyncio
async def test_application_polling_end_to_end(fake: FakeTelegramAPI) -> None:
    """A PTB Application (with AIORateLimiter) answers /start and a button press via polling."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
        await update.message.reply_text(f"args={context.args}", reply_markup=keyboard)

    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .rate_limiter(AIORateLimiter(max_retries=1))
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    fake.fail_next("sendMessage", retry_after=1)  # the rate limiter retries after 1 s
    update_id = fake.enqueue_message(CHAT, "/start payload")
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await asyncio.to_thread(fake.wait_for, "sendMessage", 1, 5.0)
        await app.updater.stop()
        await app.stop()
    sent = fake.sent_messages(CHAT)
    assert [m["text"] for m in sent] == ["args=['payload']"]
    assert sent[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "go"
    assert [c.failed for c in fake.calls_to("sendMessage")] == [True, False]
    assert fake.calls_to("deleteWebhook")
    assert fake.confirmed_offset == update_id + 1
