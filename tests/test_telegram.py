"""Telegram end to end: the real python-telegram-bot Application against the fake Bot API."""

from __future__ import annotations

import json
import re

import httpx
import pytest
import pytest_asyncio
from aiohttp import web

from adapters.telegram.config import TelegramConfig
from adapters.telegram.render import CALLBACK_LIMIT, messages
from adapters.telegram.runner import Poller, WebhookService
from bot.engine import Engine
from bot.types import Button, Reply

from fakes.telegram_api import FakeTelegramAPI

pytestmark = pytest.mark.asyncio
TOKEN = "123456789:TEST-TOKEN-for-offline-tests"
CHAT = 4242



@pytest.fixture
def fresh_db(any_db):
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_db

@pytest.fixture
def fake():
    with FakeTelegramAPI(token=TOKEN) as api:
        yield api


def config(fake, secret: str | None = None) -> TelegramConfig:
    return TelegramConfig(token=TOKEN, api_base_url=fake.base_url, webhook_url="https://bot.example/telegram/webhook",
                          webhook_secret=secret)


@pytest_asyncio.fixture
async def poller(fake, fresh_db):
    poller = Poller(Engine(fresh_db), config(fake), poll_timeout=0)
    await poller.start()
    yield poller
    await poller.stop()


def texts(fake) -> list[str]:
    return [m["text"] for m in fake.sent_messages(CHAT)]


def keyboard(message: dict) -> list[str]:
    markup = message["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return [button["callback_data"] for row in markup["inline_keyboard"] for button in row]


async def say(fake, poller, text: str, **kwargs) -> list[str]:
    before = len(fake.sent_messages(CHAT))
    fake.enqueue_message(CHAT, text, user_id=CHAT, **kwargs)
    await poller.poll_once()
    return texts(fake)[before:]


async def test_start_registers_commands_and_greets_with_buttons(fake, poller):
    commands = fake.calls_to("setMyCommands")[0].params["commands"]
    commands = json.loads(commands) if isinstance(commands, str) else commands
    assert [c["command"] for c in commands] == ["start", "help", "hire", "cancel", "forget"]
    assert fake.calls_to("deleteWebhook")
    [greeting] = await say(fake, poller, "/start")
    assert greeting.startswith("Hi! I'm the OnCall Assistant")
    assert "intent:lead.start" in keyboard(fake.sent_messages(CHAT)[-1])


async def test_question_is_answered_with_escaped_html(fake, poller):
    answer = (await say(fake, poller, "what does an ops manager do"))[0]
    assert answer.startswith("<b>What an operations manager does</b>")
    assert fake.sent_messages(CHAT)[-1]["parse_mode"] == "HTML"


async def test_button_press_is_acknowledged_answered_and_its_keyboard_removed(fake, poller):
    await say(fake, poller, "/start")  # the greeting is the chat's first message: message_id 1
    fake.enqueue_callback(CHAT, "intent:pm.skills", message_id=1, user_id=CHAT)
    await poller.poll_once()
    assert fake.calls_to("answerCallbackQuery")
    assert texts(fake)[-1].startswith("<b>Project manager skills</b>")
    assert fake.calls_to("editMessageReplyMarkup")


async def test_full_talent_request_with_deep_link_campaign_ends_in_a_lead(fake, poller):
    await say(fake, poller, "/start spring_launch-2026")
    await say(fake, poller, "/hire")
    fake.enqueue_callback(CHAT, "form:role:operations_manager", message_id=1, user_id=CHAT)
    await poller.poll_once()
    for line in ("part time", "next month", "Initech", "Peter Gibbons", "peter@initech.com", "skip", "skip",
                 "skip"):
        await say(fake, poller, line)
    [done] = await say(fake, poller, "yes")
    assert "is with the OnCall team" in done
    [lead] = poller.translator.engine.leads.all()
    assert (lead["campaign"], lead["source"], lead["channel"]) == ("spring_launch-2026", "telegram deep link",
                                                                   "telegram")
    assert lead["role"] == "operations_manager" and lead["email"] == "peter@initech.com"


async def test_invalid_deep_link_payload_is_ignored_safely(fake, poller):
    [greeting] = await say(fake, poller, "/start " + "x" * 65)
    await say(fake, poller, "/start <script>")
    assert greeting.startswith("Hi!")
    state = poller.translator.engine.store.load(f"telegram:{CHAT}")
    assert "campaign" not in state.get("extra", {})


async def test_cancel_and_forget(fake, poller):
    await say(fake, poller, "i want to hire a project manager")
    [cancelled] = await say(fake, poller, "/cancel")
    assert "cancelled the request and nothing was sent" in cancelled
    [forgotten] = await say(fake, poller, "/forget")
    assert "deleted our conversation" in forgotten
    assert poller.translator.engine.db["conversations"].count == 0


async def test_the_same_update_delivered_twice_gets_one_reply(fake, poller):
    fake.enqueue_message(CHAT, "hello", user_id=CHAT, update_id=500)
    fake.enqueue_message(CHAT, "hello", user_id=CHAT, update_id=500)
    await poller.poll_once()
    assert len(fake.sent_messages(CHAT)) == 1


async def test_updates_out_of_order_are_each_handled_once(fake, poller):
    fake.enqueue_message(CHAT, "what does a pm do", user_id=CHAT, update_id=720)
    fake.enqueue_message(CHAT, "what does an ops manager do", user_id=CHAT, update_id=710)
    await poller.poll_once()
    await poller.poll_once()
    headings = [t.split("\n")[0] for t in texts(fake) if t.startswith("<b>What")]
    assert headings == ["<b>What a project manager does</b>", "<b>What an operations manager does</b>"]


async def test_restart_between_get_updates_and_processing_processes_once(fake, fresh_db):
    fake.enqueue_message(CHAT, "hello", user_id=CHAT)
    crashed = Poller(Engine(fresh_db), config(fake), poll_timeout=0)
    await crashed.start()
    await crashed.application.bot.get_updates(timeout=0)  # received, then the process died
    await crashed.application.shutdown()
    assert fake.sent_messages(CHAT) == []
    restarted = Poller(Engine(fresh_db), config(fake), poll_timeout=0)
    await restarted.start()
    assert await restarted.poll_once() == 1
    # and a restart after storing, before the offset was confirmed, does not answer again
    again = Poller(Engine(fresh_db), config(fake), poll_timeout=0)
    await again.start()
    await again.poll_once()
    await again.stop()
    await restarted.application.shutdown()
    assert len(fake.sent_messages(CHAT)) == 1


async def test_rate_limited_send_waits_then_sends_once(fake, poller):
    fake.fail_next("sendMessage", retry_after=1)
    await say(fake, poller, "hello")
    attempts = fake.calls_to("sendMessage")
    assert [c.failed for c in attempts] == [True, False] and len(fake.sent_messages(CHAT)) == 1


async def test_a_send_that_times_out_is_not_resent(fake, fresh_db):
    slow = Poller(Engine(fresh_db), config(fake), poll_timeout=0, read_timeout=0.3)
    await slow.start()
    fake.hang_next("sendMessage", 1.0)
    fake.enqueue_message(CHAT, "what is oncall", user_id=CHAT)
    await slow.poll_once()  # the send timed out on our side; Telegram still delivers it
    [row] = slow.translator.engine.replies.rows(("sent",))
    assert row["platform_ids"] == '["timed-out"]'  # counted as sent: the queue will not send it again
    assert await slow.translator.replies.flush() == 0
    await slow.stop()
    assert len(fake.calls_to("sendMessage")) == 1  # delivered by Telegram once, never sent twice


async def test_a_5000_character_reply_is_split_in_order_each_piece_valid_html(fake, fresh_db):
    engine = Engine(fresh_db)
    poller = Poller(engine, config(fake), poll_timeout=0)
    await poller.start()
    paragraphs = [f"**Paragraph {i}**: " + "word <&> " * 25 for i in range(10)]  # 5,100 characters of HTML
    long_reply = Reply("pm.role", 1.0, ("\n\n".join(paragraphs),), (Button("Next", "intent:pm.skills"),))
    engine.replies.enqueue("long:1", "telegram", f"telegram:{CHAT}", str(CHAT), {"chat_id": CHAT}, long_reply)
    assert await poller.translator.replies.flush() == 1
    await poller.stop()
    sent = fake.sent_messages(CHAT)
    assert len(sent) == 2 and all(len(m["text"]) <= 4096 for m in sent)
    assert sent[0]["text"].startswith("<b>Paragraph 0</b>") and "<b>Paragraph 9</b>" in sent[1]["text"]
    for message in sent:  # Telegram refuses a message that cuts a tag or an entity
        assert message["text"].count("<b>") == message["text"].count("</b>")
        assert not re.search(r"&(?!lt;|gt;|amp;)", message["text"])
    assert "reply_markup" not in sent[0] or not sent[0]["reply_markup"]
    assert keyboard(sent[1]) == ["intent:pm.skills"]


async def test_long_callback_values_are_stored_behind_a_short_key(fresh_db):
    engine = Engine(fresh_db)
    value = "intent:" + "x" * 100
    [(text, markup)] = messages(Reply("help", 1.0, ("hi <b>&",), (Button("Go", value),)),
                                engine.store.remember_value)
    data = markup.inline_keyboard[0][0].callback_data
    assert len(data.encode()) <= CALLBACK_LIMIT and engine.store.recall_value(data) == value
    assert text == "hi &lt;b&gt;&amp;"


async def test_groups_answer_only_when_mentioned_or_replied_to(fake, poller):
    group = -1001
    fake.enqueue_message(group, "what does a pm do", user_id=7, chat_type="supergroup")
    fake.enqueue_message(group, "@fake_test_bot what does a pm do", user_id=7, chat_type="supergroup")
    fake.enqueue_message(group, "and for an ops manager?", user_id=7, chat_type="supergroup", reply_to_bot=True)
    await poller.poll_once()
    sent = [m["text"].split("\n")[0] for m in fake.sent_messages(group)]
    assert [s for s in sent if s.startswith("<b>What")] == [
        "<b>What a project manager does</b>", "<b>What an operations manager does</b>"]


async def _webhook(fake, fresh_db, secret="s3cret-Token_1"):
    service = WebhookService(Engine(fresh_db), config(fake, secret))
    await service.start()
    app = web.Application()
    app.router.add_post("/telegram/webhook", service.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return service, runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/telegram/webhook"


async def test_webhook_rejects_a_wrong_or_missing_secret_and_processes_a_right_one(fake, fresh_db):
    service, runner, url = await _webhook(fake, fresh_db)
    try:
        assert fake.webhook_config["secret_token"] == "s3cret-Token_1"
        body = fake.make_update_json(CHAT, "hello", user_id=CHAT)
        async with httpx.AsyncClient() as client:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                response = await client.post(url, content=body, headers=headers)
                assert response.status_code == 403
            assert fake.sent_messages(CHAT) == [] and fresh_db["conversations"].count == 0
            ok = await client.post(url, content=body, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"})
        assert ok.status_code == 200 and len(fake.sent_messages(CHAT)) == 1
    finally:
        await runner.cleanup()
        await service.stop()


async def test_a_lead_confirmed_on_telegram_reaches_sales_even_if_slack_is_down(fake, fresh_db):
    from fakes.slack_api import FakeSlackAPI
    from slack_harness import SlackHarness

    engine = Engine(fresh_db, notify={"lead": ("slack",)})
    poller = Poller(engine, config(fake), poll_timeout=0)
    await poller.start()
    for line in ("hire a full time pm asap", "Globex", "Hank", "hank@globex.com", "skip", "skip", "skip", "yes"):
        await say(fake, poller, line)
    await poller.stop()
    with FakeSlackAPI() as slack_api:
        harness = SlackHarness(slack_api, fresh_db)
        slack_api.fail_next("chat.postMessage", status=500)
        assert (await harness.worker.run_once())["retried"] == 1
        assert (await harness.worker.run_once(now=__import__("time").time() + 60))["sent"] == 1
        [card] = [c for c in slack_api.calls_to("chat.postMessage") if c.accepted]
        assert engine.leads.all()[0]["id"] in json.dumps(card.json("blocks"))


def pauses_until(poller, done, limit: int = 20) -> list[float]:
    """Replace the poller's sleep: record each pause; stop once `done()` holds after a poll (or after `limit`
    polls or pauses, so a broken poller fails the test instead of spinning)."""
    recorded: list[float] = []
    polls = []
    poll_once = poller.poll_once

    async def poll_then_check(*args, **kwargs) -> int:
        handled = await poll_once(*args, **kwargs)
        polls.append(handled)
        if done() or len(polls) >= limit:
            poller.request_stop()
        return handled

    async def sleep(seconds: float) -> None:
        recorded.append(seconds)
        if len(recorded) >= limit:
            poller.request_stop()

    poller.sleep, poller.poll_once = sleep, poll_then_check
    return recorded


async def test_a_poison_update_is_retried_then_set_aside_while_others_are_answered(fake, fresh_db, monkeypatch):
    engine = Engine(fresh_db)
    real_handle = engine.handle

    def handle(message, *args, **kwargs):
        if message.text == "boom":
            raise RuntimeError("a bug triggered by this one update")
        return real_handle(message, *args, **kwargs)

    monkeypatch.setattr(engine, "handle", handle)
    poller = Poller(engine, config(fake), poll_timeout=0)
    poison = fake.enqueue_message(CHAT, "boom", user_id=CHAT)
    fake.enqueue_message(777, "what does an ops manager do", user_id=777)
    pauses = pauses_until(poller, lambda: bool(engine.store.dead_letters()))
    await poller.run_forever()
    assert fake.sent_messages(777)[0]["text"].startswith("<b>What an operations manager does</b>")
    assert len(fake.sent_messages(777)) == 1  # answered once, although its batch was fetched three times
    [dead] = engine.store.dead_letters()
    assert (dead["key"], dead["error"]) == (f"update:{poison}", "RuntimeError")
    assert pauses == [1.0, 2.0]  # backed off between the tries, not ~20 fetches a second
    assert len(fake.calls_to("getUpdates")) == 3 + 1  # three tries, then the offset confirmed on stop
    assert fake.confirmed_offset > poison and fake.pending_updates == []
    monkeypatch.undo()
    again = Poller(engine, config(fake), poll_timeout=0)
    await again.start()
    assert (await say(fake, again, "hello"))[0].startswith("Hi")  # the user who sent it is answered again
    await again.stop()


async def test_telegram_unreachable_backs_off_doubling(fake, fresh_db):
    poller = Poller(Engine(fresh_db), config(fake), poll_timeout=0)
    fake.refuse_next("getUpdates", 502, "Bad Gateway", times=3)
    fake.enqueue_message(CHAT, "hello", user_id=CHAT)
    pauses = pauses_until(poller, lambda: bool(fake.sent_messages(CHAT)))
    await poller.run_forever()
    assert pauses[:3] == [2.0, 4.0, 8.0]
    assert len(fake.sent_messages(CHAT)) == 1


async def test_a_stale_button_press_is_still_answered(fake, poller):
    await say(fake, poller, "/start")
    fake.refuse_next("answerCallbackQuery", 400,
                     "Bad Request: query is too old and response timeout expired or query ID is invalid")
    pressed = fake.enqueue_callback(CHAT, "intent:pm.skills", message_id=1, user_id=CHAT)
    assert await poller.poll_once() == 1
    assert texts(fake)[-1].startswith("<b>Project manager skills</b>")
    assert poller.offset == pressed + 1 and poller.translator.failed == {}


async def test_a_button_press_without_a_message_is_answered_in_the_users_chat(fake, poller):
    fake.enqueue_raw({"callback_query": {"id": "4711", "chat_instance": "1", "inline_message_id": "AAQ-inline",
                                         "data": "intent:ops.role", "from": {"id": CHAT, "is_bot": False,
                                                                              "first_name": "Ann"}}})
    assert await poller.poll_once() == 1
    assert texts(fake)[-1].startswith("<b>What an operations manager does</b>")
    assert poller.translator.failed == {} and not fake.calls_to("editMessageReplyMarkup")
