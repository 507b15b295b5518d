"""The live hand-off relay end to end, against the local fakes of Slack and Telegram.

In process (both backends): the real Bolt app and the Telegram webhook served by one aiohttp app, as
`oncall-bot serve` does (or the Telegram poller), the real sales-channel worker and reply senders. What is
asserted is what the fakes received, counted exactly. Timeouts use the worker's `now`, never a sleep.
As processes: `oncall-bot serve` with Slack and the Telegram webhook on SQLite, and `serve` plus the
`oncall-bot telegram` poller on PostgreSQL, each killed with SIGKILL mid-conversation and restarted.
"""

from __future__ import annotations

import json
import signal
import time
from urllib.parse import urlencode

import httpx
import pg
import psycopg
import pytest
import pytest_asyncio
from test_channel_processes import free_port, query, start, stop, wait_until, wait_until_serving

from adapters.slack.render import RELAY_CLOSE
from adapters.telegram.config import TelegramConfig
from adapters.telegram.runner import SECRET_HEADER, Poller, WebhookService

from fakes.slack_api import FakeSlackAPI
from fakes.telegram_api import FakeTelegramAPI
from slack_harness import BOT_USER, SALES_CHANNEL, SALES_USER, TEAM, SlackHarness, sign

TOKEN = "123456789:TEST-TOKEN-for-offline-tests"
HOOK_SECRET = "relay-hook-secret"
CHAT = 4242
OTHER = "UCOLLEAGUE"  # in the sales channel, not in ONCALL_SALES_USERS
MINUTE = 60.0
ASK = "can I talk to a person?"
QUESTION = "what does an ops manager do"
OPS_ANSWER = "What an operations manager does"
CLOSED = "you're back with me, the assistant"
REQUEST = ("I need a PM full time", "asap", "Acme", "Jo Smith", "jo@acme.com", "skip", "skip", "skip", "yes")


@pytest.fixture
def fresh_db(any_db):
    """Every in-process test here runs on SQLite and on PostgreSQL."""
    return any_db


@pytest.fixture(autouse=True)
def default_timeouts(monkeypatch):
    """The defaults (15 minutes to answer, 30 quiet minutes to close), whatever the shell has set."""
    for name in ("ONCALL_HANDOFF_WAIT_MINUTES", "ONCALL_RELAY_IDLE_MINUTES"):
        monkeypatch.delenv(name, raising=False)


class Desk:
    """Slack (the sales channel, DMs) and Telegram (webhook next to Slack's events, or polling) on one store."""

    def __init__(self, harness: SlackHarness, telegram: FakeTelegramAPI, transport: str):
        self.h, self.slack, self.telegram, self.transport = harness, harness.fake, telegram, transport
        self.ts = 0
        self.translator = None

    # -- Telegram: the prospect's side -----------------------------------------------------------------
    async def tg_update(self, update: str) -> list[str]:
        """Deliver one update as Telegram would; returns what was sent to the chat while it was handled."""
        before = len(self.tg_texts())
        if self.transport == "webhook":
            response = await self.h.http.post("/telegram/webhook", content=update,
                                              headers={SECRET_HEADER: HOOK_SECRET})
            assert response.status_code == 200, response.text
        else:
            self.telegram.enqueue_raw(json.loads(update))
            assert await self.poller.poll_once() == 1
        return self.tg_texts()[before:]

    async def tg_say(self, text: str, chat: int = CHAT) -> list[str]:
        return await self.tg_update(self.telegram.make_update_json(chat, text, user_id=chat))

    async def tg_flush(self) -> list[str]:
        """One pass of the Telegram reply sender (`serve` and `oncall-bot telegram` run it every second)."""
        before = len(self.tg_texts())
        await self.translator.replies.flush()
        return self.tg_texts()[before:]

    def tg_texts(self) -> list[str]:
        return [m["text"] for m in self.telegram.sent_messages(CHAT)]

    # -- Slack --------------------------------------------------------------------------------------------
    def next_ts(self) -> str:
        self.ts += 1
        return f"1800000000.{self.ts:06d}"

    async def delivered(self, request) -> httpx.Response:
        """A request to the Slack app, once the app has finished with it (the posts it started included)."""
        before = self.h.deliveries.done
        response = await request
        assert response.status_code == 200, response.text
        await self.h.deliveries.wait_for(before + 1)
        return response

    async def dm(self, text: str) -> list[str]:
        """The Slack prospect types in their DM; returns what the bot posted to the DM meanwhile."""
        before = len(self.dm_texts())
        await self.delivered(self.h.dm(text, ts=self.next_ts()))
        return self.dm_texts()[before:]

    def dm_texts(self) -> list[str]:
        return [c.params["text"] for c in self.slack.calls_to("chat.postMessage")
                if c.accepted and c.params["channel"] == "DFOUNDER"]

    async def in_thread(self, text: str, user: str = SALES_USER, thread_ts: str | None = None,
                        **extra) -> httpx.Response:
        """Someone in the sales channel writes in the hand-off notice's thread."""
        event = {"type": "message", "channel_type": "channel", "channel": SALES_CHANNEL, "user": user,
                 "text": text, "ts": self.next_ts(), "thread_ts": thread_ts or self.notice_ts(), "team": TEAM,
                 **extra}
        return await self.delivered(self.h.event(event))

    async def click_close(self, user: str) -> httpx.Response:
        return await self.delivered(self.h.action(RELAY_CLOSE, self.handoff()["id"], user, SALES_CHANNEL,
                                                  self.notice_ts()))

    async def command(self, text: str, user: str) -> str:
        before = len(self.slack.calls_to("response_url"))
        await self.delivered(self.h.command(text, user=user, channel=SALES_CHANNEL))
        [answer] = self.slack.calls_to("response_url")[before:]
        return answer.params["text"]

    async def worker_pass(self, now: float | None = None) -> dict:
        """One pass of the sales-channel worker: the sweep at `now`, then the notice and thread lines."""
        return await self.h.worker.run_once(now=now)

    def notices(self) -> list:
        return [c for c in self.slack.calls_to("chat.postMessage") if c.accepted and
                c.params["channel"] == SALES_CHANNEL and not c.params.get("thread_ts") and
                "asked to talk to a person" in c.params["text"]]

    def notice_ts(self) -> str:
        [notice] = self.notices()
        return notice.response["ts"]

    def thread(self) -> list[str]:
        ts = self.notice_ts()
        return [c.params["text"] for c in self.slack.calls_to("chat.postMessage")
                if c.accepted and c.params["channel"] == SALES_CHANNEL and c.params.get("thread_ts") == ts]

    def handoff(self) -> dict:
        [row] = self.h.db.query("select * from handoffs order by created_at desc limit 1")
        return row

    def replies_of(self, conversation: str) -> list[dict]:
        return [json.loads(r["reply"]) for r in
                self.h.db.query("select reply from replies where conversation = ? order by id", [conversation])]


def telegram_config(fake: FakeTelegramAPI) -> TelegramConfig:
    return TelegramConfig(token=TOKEN, api_base_url=fake.base_url, webhook_url="https://bot.example/telegram/webhook",
                          webhook_secret=HOOK_SECRET)


async def open_desk(fresh_db, transport: str):
    slack = FakeSlackAPI(user_id=BOT_USER, team_id=TEAM, users={SALES_USER: {"profile": {"display_name": "Dana"}},
                                                                 OTHER: {"profile": {"display_name": "Max"}}})
    telegram = FakeTelegramAPI(token=TOKEN)
    slack.start()
    telegram.start()
    harness = SlackHarness(slack, fresh_db)
    desk = Desk(harness, telegram, transport)
    if transport == "webhook":  # one aiohttp app for Slack's events and Telegram's webhook, as `serve`
        service = WebhookService(harness.engine, telegram_config(telegram))
        await service.start()
        harness.telegram, desk.translator, desk.service = service.handle, service.translator, service
    else:  # the poller of `oncall-bot telegram`, on the same engine and store
        desk.poller = Poller(harness.engine, telegram_config(telegram), poll_timeout=0)
        await desk.poller.start()
        desk.translator = desk.poller.translator
    await harness.__aenter__()
    return desk


async def close_desk(desk: Desk) -> None:
    await desk.h.__aexit__(None, None, None)
    if desk.transport == "webhook":
        await desk.service.stop()
    else:
        await desk.poller.stop()
    desk.slack.stop()
    desk.telegram.stop()


@pytest_asyncio.fixture
async def desk(fresh_db):
    desk = await open_desk(fresh_db, "webhook")
    try:
        yield desk
    finally:
        await close_desk(desk)


async def telegram_hand_off(desk: Desk) -> dict:
    """A Telegram prospect asks for a person; the notice is posted to the sales channel."""
    [*_, told] = await desk.tg_say(ASK)  # (each text of a reply is its own Telegram message)
    assert desk.replies_of(f"telegram:{CHAT}")[-1]["intent"] == "human"
    assert "a person from the team will reply right here, in this chat" in told and "within 15 minutes" in told
    await desk.worker_pass()
    [notice] = desk.notices()
    handoff = desk.handoff()
    assert handoff["status"] == "waiting" and handoff["id"] in notice.params["text"]
    assert (handoff["notice_channel"], handoff["notice_ts"]) == (SALES_CHANNEL, notice.response["ts"])
    [close] = [e for b in notice.json("blocks") if b["type"] == "actions" for e in b["elements"]]
    assert (close["action_id"], close["value"]) == (RELAY_CLOSE, handoff["id"])
    return handoff


# -- 1. The whole conversation, from Telegram and from a Slack DM -----------------------------------------
@pytest.mark.asyncio
@pytest.mark.parametrize("transport,closing", [("webhook", "button"), ("polling", "command")])
async def test_a_telegram_prospect_talks_to_sales_through_the_notice_thread(fresh_db, transport, closing):
    desk = await open_desk(fresh_db, transport)
    try:
        handoff = await telegram_hand_off(desk)

        # a sales user answers in the thread: the prospect reads it once, with their Slack display name
        await desk.in_thread("Hi, I'm Dana. What are you hiring for?")
        assert await desk.tg_flush() == ["<b>Dana from OnCall:</b> Hi, I'm Dana. What are you hiring for?"]
        assert await desk.tg_flush() == []
        assert desk.handoff()["status"] == "open" and desk.handoff()["owner_name"] == "Dana"

        # the prospect's answer goes to the thread, once; the assistant says nothing to it
        answered = len(desk.replies_of(f"telegram:{CHAT}"))
        assert await desk.tg_say("An ops manager for 6 months, 2 days a week <b>asap</b>") == []
        assert await desk.tg_flush() == []
        assert len(desk.replies_of(f"telegram:{CHAT}")) == answered  # no reply was even queued
        await desk.worker_pass()
        await desk.worker_pass()
        assert desk.thread() == ["*They wrote:* An ops manager for 6 months, 2 days a week &lt;b&gt;asap&lt;/b&gt;"]

        # a colleague's remark in the thread stays there; the bot does not answer it either
        await desk.in_thread("Nice one, I'll let Dana handle it", user=OTHER)
        assert await desk.tg_flush() == []
        await desk.worker_pass()
        assert len(desk.thread()) == 1

        # only sales may close
        if closing == "button":
            await desk.click_close(OTHER)
            [refusal] = desk.slack.calls_to("chat.postEphemeral")
            assert refusal.params["user"] == OTHER and "only the sales team" in refusal.params["text"]
        else:
            refused = await desk.command(f"close {handoff['id']}", user=OTHER)
            assert "only the sales team" in refused
        assert desk.handoff()["status"] == "open" and not desk.slack.calls_to("chat.update")

        if closing == "button":
            await desk.click_close(SALES_USER)
        else:  # no id given: the hand-off this sales user answered
            said = await desk.command("close", user=SALES_USER)
            assert said == f"Closed {handoff['id']}: the assistant answers them again."
        [update] = desk.slack.calls_to("chat.update")
        assert update.params["ts"] == desk.notice_ts() and "Closed by <@USALES>" in json.dumps(update.json("blocks"))
        assert RELAY_CLOSE not in json.dumps(update.json("blocks"))  # the card lost its Close button
        [closed] = await desk.tg_flush()
        assert CLOSED in closed
        await desk.worker_pass()
        assert desk.thread()[1:] == ["_Closed by <@USALES>: the assistant answers them again._"]
        assert desk.handoff()["status"] == "closed" and desk.handoff()["close_reason"] == "closed"

        # the assistant answers again, and nothing more reaches the thread
        [answer] = await desk.tg_say(QUESTION)
        assert answer.startswith(f"<b>{OPS_ANSWER}</b>")
        await desk.worker_pass()
        assert len(desk.thread()) == 2
        tg = desk.tg_texts()
        assert sum("Dana from OnCall" in t for t in tg) == 1 and sum(CLOSED in t for t in tg) == 1
        assert len(tg) == 5  # the hand-off (two texts), Dana, closed, the answer: nothing else was said to them
        assert desk.h.db.scalar("select count(*) from outbox where status <> 'sent'") == 0
        assert desk.h.db.scalar("select count(*) from replies where status <> 'sent'") == 0
    finally:
        await close_desk(desk)


@pytest.mark.asyncio
async def test_redeliveries_from_slack_and_telegram_are_relayed_once(desk):
    await telegram_hand_off(desk)
    event = {"type": "message", "channel_type": "channel", "channel": SALES_CHANNEL, "user": SALES_USER,
             "text": "Hello from Dana", "ts": desk.next_ts(), "thread_ts": desk.notice_ts(), "team": TEAM}
    body = desk.h.event_body(event, event_id="EvRelay1")
    await desk.delivered(desk.h.post(body, "application/json"))
    await desk.delivered(desk.h.post(body, "application/json", retry_num=1))  # Slack's retry of the same event
    assert await desk.tg_flush() == ["<b>Dana from OnCall:</b> Hello from Dana"]
    update = desk.telegram.make_update_json(CHAT, "thanks Dana, here is what we need", user_id=CHAT)
    await desk.tg_update(update)
    await desk.tg_update(update)  # Telegram's retry of the same webhook update
    await desk.worker_pass()
    assert desk.thread() == ["*They wrote:* thanks Dana, here is what we need"]
    assert await desk.tg_flush() == []


@pytest.mark.asyncio
async def test_a_slack_dm_prospect_talks_to_sales_through_the_notice_thread(desk):
    [told] = await desk.dm(ASK)
    assert desk.replies_of(f"slack:{TEAM}:DFOUNDER")[-1]["intent"] == "human"
    assert "reply right here, in this chat" in told
    await desk.worker_pass()
    handoff = desk.handoff()
    assert handoff["channel"] == "slack" and json.loads(handoff["target"]) == {"channel": "DFOUNDER",
                                                                               "thread_ts": None}
    await desk.in_thread("Hi, Dana here. How can I help?")
    assert desk.dm_texts()[1:] == ["*Dana from OnCall:* Hi, Dana here. How can I help?"]  # posted at once

    assert await desk.dm("We need a PM for a launch in March") == []  # the assistant stays quiet
    await desk.worker_pass()
    assert desk.thread() == ["*They wrote:* We need a PM for a launch in March"]

    await desk.in_thread("I'll ping them later", user=OTHER)
    assert len(desk.dm_texts()) == 2
    await desk.click_close(OTHER)
    assert desk.handoff()["status"] == "open"
    await desk.click_close(SALES_USER)
    assert CLOSED in desk.dm_texts()[-1] and len(desk.dm_texts()) == 3
    [answer] = await desk.dm(QUESTION)
    assert OPS_ANSWER in answer
    await desk.worker_pass()
    assert desk.thread() == ["*They wrote:* We need a PM for a launch in March",
                             "_Closed by <@USALES>: the assistant answers them again._"]
    dms = desk.dm_texts()
    assert len(dms) == 4 and sum("Dana from OnCall" in t for t in dms) == 1


# -- 2. Time passing: the worker's clock --------------------------------------------------------------------
@pytest.mark.asyncio
async def test_nobody_answering_in_time_hands_back_to_the_assistant_and_a_late_reply_reopens(desk):
    for line in REQUEST:  # a filed talent request with an email: "they'll follow up by email"
        await desk.tg_say(line)
    handoff = await telegram_hand_off(desk)
    start_at = handoff["created_at"]

    assert (await desk.worker_pass(now=start_at + 14 * MINUTE))["sent"] == 0
    assert await desk.tg_flush() == [] and desk.thread() == []
    await desk.worker_pass(now=start_at + 16 * MINUTE)  # the sweep, then its note, in the same pass
    [told] = await desk.tg_flush()
    assert told.startswith("Nobody from the team is free right now. They'll follow up by email at the address "
                           "you gave, and if someone replies here I'll pass it on.")
    assert desk.thread() == ["_Nobody replied within 15 minutes: they were told the team will follow up by email "
                             "at the address you gave and the assistant answers them again. A reply in this thread "
                             "still reaches them._"]
    await desk.worker_pass(now=start_at + 20 * MINUTE)
    assert await desk.tg_flush() == [] and len(desk.thread()) == 1  # said once
    assert desk.handoff()["status"] == "unanswered"

    [answer] = await desk.tg_say(QUESTION)  # the assistant is back
    assert answer.startswith(f"<b>{OPS_ANSWER}</b>")

    await desk.in_thread("Sorry for the wait! Dana here.")  # a late reply still reaches them, and reopens
    assert await desk.tg_flush() == ["<b>Dana from OnCall:</b> Sorry for the wait! Dana here."]
    assert desk.handoff()["status"] == "open"
    assert await desk.tg_say("no problem, still interested") == []
    await desk.worker_pass()
    assert desk.thread()[1:] == ["*They wrote:* no problem, still interested"]

    # open and quiet for the idle time: closed, both sides told
    quiet_since = desk.handoff()["last_activity_at"]
    await desk.worker_pass(now=quiet_since + 29 * MINUTE)
    assert desk.handoff()["status"] == "open"
    await desk.worker_pass(now=quiet_since + 31 * MINUTE)
    assert (desk.handoff()["status"], desk.handoff()["close_reason"]) == ("closed", "idle")
    [closed] = await desk.tg_flush()
    assert CLOSED in closed
    assert desk.thread()[2:] == ["_Closed after 30 minutes without a message: the assistant answers them again._"]
    [card] = desk.slack.calls_to("chat.update")  # the notice says so, and loses its Close button
    blocks = json.dumps(card.params["blocks"])
    assert card.params["ts"] == desk.handoff()["notice_ts"] and "Closed after 30 minutes" in blocks
    assert "relay_close" not in blocks
    await desk.worker_pass(now=quiet_since + 60 * MINUTE)
    assert await desk.tg_flush() == [] and len(desk.thread()) == 3
    assert await desk.tg_say("how much does it cost?")
    assert desk.replies_of(f"telegram:{CHAT}")[-1]["intent"] == "oncall.pricing"


@pytest.mark.asyncio
async def test_without_an_email_the_prospect_is_not_promised_one(desk):
    await desk.dm(ASK)
    await desk.worker_pass()
    await desk.worker_pass(now=desk.handoff()["created_at"] + 15 * MINUTE + 1)
    assert await desk.h.replies.flush() == 1  # the Slack reply sender's pass (every second in `serve`)
    told = desk.dm_texts()[-1]
    assert told.startswith("Nobody from the team is free right now. They'll follow up, and if someone replies here")
    assert "by email" not in told and "by email" not in desk.thread()[0]


# -- 3. Privacy and cancelling during a relay --------------------------------------------------------------
@pytest.mark.asyncio
async def test_forget_during_a_relay_closes_it_for_good_and_redacts_our_copies(desk):
    await telegram_hand_off(desk)
    await desk.in_thread("Hi, Dana here")
    await desk.tg_flush()
    await desk.tg_say("call me on +44 20 7946 0958")
    await desk.worker_pass()  # posted to the thread (our stored copy stays in the outbox)
    await desk.tg_say("my email is jo@acme.com")  # not posted yet when they ask to be forgotten
    [forgotten] = await desk.tg_say("/forget")  # a command: the assistant handles it, not the relay
    assert "deleted our conversation" in forgotten
    assert desk.handoff()["status"] == "forgotten" and desk.handoff()["target"] is None
    copies = desk.h.db.query("select status, payload from outbox where kind = 'relay' order by id")
    prospect = [(r["status"], json.loads(r["payload"])["text"]) for r in copies
                if json.loads(r["payload"])["from"] == "prospect"]
    assert prospect == [("sent", "[forgotten]"), ("cancelled", "[forgotten]")]
    assert "7946" not in json.dumps(copies) and "jo@acme.com" not in json.dumps(copies)
    await desk.worker_pass()
    assert desk.thread() == ["*They wrote:* call me on +44 20 7946 0958",  # (Slack's own copy: not ours to edit)
                             "_They asked us to delete their data: the conversation is closed and our copies "
                             "are redacted._"]

    [card] = desk.slack.calls_to("chat.update")  # the notice is redrawn without who they were or said
    blocks = json.dumps(card.params["blocks"])
    assert "[forgotten]" in blocks and "relay_close" not in blocks and "7946" not in blocks
    assert ASK not in blocks and str(CHAT) not in blocks  # the transcript and their id are gone
    await desk.in_thread("Are you still there?")
    assert await desk.tg_flush() == []  # nothing reaches them any more
    await desk.worker_pass()
    assert desk.thread()[-1] == "_This conversation was deleted at their request: nothing can be sent to them._"
    assert desk.h.db.scalar("select count(*) from replies where reply like '%still there%'") == 0
    [answer] = await desk.tg_say(QUESTION)
    assert answer.startswith(f"<b>{OPS_ANSWER}</b>")
    assert len(desk.thread()) == 3


@pytest.mark.asyncio
async def test_cancel_during_a_relay_closes_it_and_the_assistant_answers_again(desk):
    await telegram_hand_off(desk)
    await desk.in_thread("Hi, Dana here")
    await desk.tg_flush()
    [cancelled] = await desk.tg_say("/cancel")
    assert cancelled.startswith("OK, I've ended the conversation with the team")
    assert await desk.tg_flush() == []  # told once, by the turn (not also "the conversation has ended")
    assert (desk.handoff()["status"], desk.handoff()["close_reason"]) == ("closed", "cancelled")
    await desk.worker_pass()
    assert desk.thread() == ["_They ended the conversation: the assistant answers them again._"]
    [answer] = await desk.tg_say(QUESTION)
    assert answer.startswith(f"<b>{OPS_ANSWER}</b>")


# -- 4. Files are named, not passed ------------------------------------------------------------------------
def photo_update(telegram: FakeTelegramAPI) -> str:
    update = json.loads(telegram.make_update_json(CHAT, "photo", user_id=CHAT))
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "AgACAgIAAx0", "file_unique_id": "AQADAgAT", "width": 90,
                                   "height": 67, "file_size": 1204}]
    return json.dumps(update)


@pytest.mark.asyncio
async def test_a_photo_from_telegram_and_a_file_from_sales_are_named_not_passed(desk):
    await telegram_hand_off(desk)
    await desk.in_thread("Hi, Dana here")
    await desk.tg_flush()
    [asked] = await desk.tg_update(photo_update(desk.telegram))  # a photo, no caption
    assert asked.startswith("I can only pass text on to the team, not files or photos")
    await desk.worker_pass()
    assert desk.thread() == ["_They sent a file or photo; only text is passed on, and they were asked to describe "
                             "it._"]
    await desk.in_thread("Here is our rate card", subtype="file_share",
                         files=[{"id": "F0RATES", "name": "rates.pdf", "mimetype": "application/pdf"}])
    assert await desk.tg_flush() == ["<b>Dana from OnCall:</b> Here is our rate card"]
    await desk.worker_pass()
    assert desk.thread()[1:] == ["_Files aren't passed on to the prospect: only the text of your message reached "
                                 "them._"]


# -- 5. A prospect who blocked the bot ---------------------------------------------------------------------
@pytest.mark.asyncio
async def test_a_message_telegram_refuses_is_reported_in_the_thread_once(desk):
    await telegram_hand_off(desk)
    desk.telegram.refuse_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await desk.in_thread("Hi, Dana here")
    assert await desk.tg_flush() == []
    await desk.worker_pass()
    await desk.worker_pass()
    assert desk.thread() == ["_Could not deliver a message to them (telegram: the user blocked the bot). They may "
                             "have blocked the bot._"]


# -- A sales-channel worker that dies between posting a thread line and recording it -----------------------
class Died(BaseException):
    pass


@pytest.mark.asyncio
async def test_a_thread_line_posted_by_a_worker_that_died_is_not_posted_again(desk, monkeypatch):
    await telegram_hand_off(desk)
    await desk.in_thread("Hi, Dana here")
    await desk.tg_say("here is what we need")

    def die(delivery):
        raise Died

    monkeypatch.setattr(desk.h.worker.outbox, "succeeded", die)
    with pytest.raises(Died):
        await desk.worker_pass()
    monkeypatch.undo()
    assert len(desk.thread()) == 1
    await desk.worker_pass()  # the row is still leased to the dead worker: nothing yet
    counts = await desk.worker_pass(now=time.time() + 31)  # its lease ran out: checked in the thread first
    assert counts["sent"] == 1 and desk.thread() == ["*They wrote:* here is what we need"]
    assert desk.h.db.scalar("select count(*) from outbox where status <> 'sent'") == 0


@pytest.mark.asyncio
async def test_a_failure_retried_at_once_is_not_reported_as_undeliverable(desk):
    await telegram_hand_off(desk)
    desk.telegram.refuse_next("sendMessage", 500, "Internal Server Error")
    await desk.in_thread("Hi, Dana here")
    assert await desk.tg_flush() == []
    await desk.worker_pass()  # the sweep sees a failed send that is retried within the minute: not news
    desk.h.db.execute("update replies set next_attempt_at = 0 where status = 'pending'")  # its backoff is over
    assert await desk.tg_flush() == ["<b>Dana from OnCall:</b> Hi, Dana here"]
    await desk.worker_pass()
    assert desk.thread() == []


@pytest.mark.asyncio
async def test_a_sales_user_mentioning_the_bot_in_the_thread_is_relayed_and_not_answered(desk):
    await telegram_hand_off(desk)
    before = desk.h.deliveries.done
    await desk.h.channel_message("can you check their budget?", ts=desk.next_ts(), channel=SALES_CHANNEL,
                                 user=SALES_USER, thread_ts=desk.notice_ts(), mention=True)  # message + app_mention
    await desk.h.deliveries.wait_for(before + 2)
    assert await desk.tg_flush() == ["<b>Dana from OnCall:</b> can you check their budget?"]
    await desk.worker_pass()
    assert desk.thread() == []  # the bot did not answer Dana in the thread as if she were the prospect
    await desk.h.channel_message("you too?", ts=desk.next_ts(), channel=SALES_CHANNEL, user=OTHER,
                                 thread_ts=desk.notice_ts(), mention=True)
    await desk.h.deliveries.wait_for(before + 4)
    await desk.worker_pass()
    assert desk.thread() == [] and await desk.tg_flush() == []


@pytest.mark.asyncio
async def test_close_on_a_hand_off_that_is_no_longer_open_says_so(desk):
    await telegram_hand_off(desk)
    await desk.in_thread("Hi, Dana here")
    await desk.tg_say("/cancel")
    await desk.click_close(SALES_USER)
    [said] = desk.slack.calls_to("chat.postEphemeral")
    assert said.params["user"] == SALES_USER and said.params["text"] == f"{desk.handoff()['id']} is not open."
    assert not desk.slack.calls_to("chat.update") and await desk.tg_flush() == []
    assert await desk.command(f"close {desk.handoff()['id']}", user=SALES_USER) == (
        f"{desk.handoff()['id']} is not open.")



@pytest.mark.asyncio
async def test_a_worker_that_died_after_posting_the_notice_finds_its_thread_again(desk, monkeypatch):
    await desk.tg_say(ASK)
    await desk.tg_say("we need an ops manager")  # waits for the notice's thread

    def die(*args):
        raise Died

    monkeypatch.setattr(desk.h.worker.desk, "remember", die)  # posted, then the process died
    with pytest.raises(Died):
        await desk.worker_pass()
    monkeypatch.undo()
    assert len(desk.notices()) == 1 and desk.handoff()["notice_ts"] is None
    await desk.worker_pass()  # both rows are still leased to the dead worker
    assert len(desk.notices()) == 1 and desk.thread() == []
    await desk.worker_pass(now=time.time() + 31)  # the leases ran out: the notice is found in the channel,
    assert len(desk.notices()) == 1 and desk.handoff()["notice_ts"] == desk.notice_ts()
    assert desk.thread() == ["*They wrote:* we need an ops manager"]  # and the line goes to its thread, once
    await desk.worker_pass(now=time.time() + 60)
    assert len(desk.notices()) == 1 and len(desk.thread()) == 1
    await desk.in_thread("Hi, Dana here")
    assert await desk.tg_flush() == ["<b>Dana from OnCall:</b> Hi, Dana here"]


@pytest.mark.asyncio
async def test_close_without_an_id_asks_which_one_when_a_sales_user_has_two(desk):
    second = CHAT + 1
    await desk.tg_say(ASK)
    await desk.tg_say(ASK, chat=second)
    await desk.worker_pass()
    rows = desk.h.db.query("select id, conversation, notice_ts from handoffs order by created_at")
    assert [r["conversation"] for r in rows] == [f"telegram:{CHAT}", f"telegram:{second}"]
    for row in rows:
        await desk.in_thread(f"Hi from Dana about {row['id']}", thread_ts=row["notice_ts"])
    await desk.tg_flush()
    assert [m["text"] for m in desk.telegram.sent_messages(second)][-1] == (
        f"<b>Dana from OnCall:</b> Hi from Dana about {rows[1]['id']}")
    which = await desk.command("close", user=SALES_USER)
    assert which == f"Which one? `/oncall close H-…` with one of: {rows[0]['id']}, {rows[1]['id']}"
    closed = await desk.command(f"close {rows[1]['id'].lower()}", user=SALES_USER)
    assert closed == f"Closed {rows[1]['id']}: the assistant answers them again."
    await desk.tg_flush()
    assert CLOSED in desk.telegram.sent_messages(second)[-1]["text"]
    assert desk.tg_texts()[-1].startswith("<b>Dana from OnCall:</b>")  # the other prospect's relay goes on
    assert await desk.command("close", user=SALES_USER) == f"Closed {rows[0]['id']}: the assistant answers them again."


@pytest.mark.asyncio
async def test_a_slack_prospect_forgotten_through_the_command_gets_nothing_more_from_sales(desk):
    await desk.dm(ASK)
    await desk.worker_pass()
    await desk.in_thread("Hi, Dana here")
    await desk.dm("my direct line is +44 20 7946 0958")
    forgotten = await desk.command("forget", user="UFOUNDER")
    assert "deleted our conversation" in forgotten
    assert desk.handoff()["status"] == "forgotten"
    await desk.in_thread("Still there?")
    assert len(desk.dm_texts()) == 2  # the hand-off and Dana's first message, nothing since
    await desk.worker_pass()
    assert desk.thread() == ["_They asked us to delete their data: the conversation is closed and our copies are "
                             "redacted._",
                             "_This conversation was deleted at their request: nothing can be sent to them._"]
    assert "7946" not in json.dumps(desk.h.db.query("select payload from outbox"))


# -- 6. Real processes ------------------------------------------------------------------------------------
SLACK_SECRET = "secret"


def process_fakes():
    return (FakeSlackAPI(user_id=BOT_USER, team_id=TEAM, users={SALES_USER: {"profile": {"display_name": "Dana"}}}),
            FakeTelegramAPI(token=TOKEN))


def process_env(slack: FakeSlackAPI, telegram: FakeTelegramAPI, webhook: bool) -> dict:
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SLACK_SECRET, "SLACK_API_BASE_URL": slack.base_url,
           "ONCALL_SALES_CHANNEL": SALES_CHANNEL, "ONCALL_SALES_USERS": SALES_USER,
           "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": telegram.base_url}
    if webhook:
        env |= {"TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram/webhook", "TELEGRAM_WEBHOOK_SECRET": HOOK_SECRET}
    return env


class Outside:
    """Slack and Telegram as a running `oncall-bot serve` sees them: signed requests to its port, and what
    the fakes received from it."""

    def __init__(self, port: int, slack: FakeSlackAPI, telegram: FakeTelegramAPI):
        self.port, self.slack, self.telegram, self.n = port, slack, telegram, 0

    def post_slack(self, body: str, content_type: str = "application/json") -> None:
        now = int(time.time())
        response = httpx.post(f"http://127.0.0.1:{self.port}/slack/events", content=body, timeout=10, headers={
            "X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": sign(body, now, SLACK_SECRET),
            "Content-Type": content_type})
        assert response.status_code == 200, response.text

    def in_thread(self, text: str, user: str = SALES_USER) -> None:
        self.n += 1
        self.post_slack(json.dumps({"type": "event_callback", "team_id": TEAM, "event_id": f"EvP{self.n}", "event": {
            "type": "message", "channel_type": "channel", "channel": SALES_CHANNEL, "user": user, "text": text,
            "ts": f"1800000100.{self.n:06d}", "thread_ts": self.notice_ts(), "team": TEAM}}))

    def click_close(self, handoff_id: str, user: str) -> None:
        self.n += 1
        payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": user}, "api_app_id": "A1",
                   "container": {"type": "message", "message_ts": self.notice_ts(), "channel_id": SALES_CHANNEL},
                   "channel": {"id": SALES_CHANNEL}, "message": {"ts": self.notice_ts(), "text": ""},
                   "trigger_id": f"trigP{self.n}", "response_url": self.slack.response_url(f"close{self.n}"),
                   "actions": [{"action_id": RELAY_CLOSE, "value": handoff_id, "type": "button", "block_id": "b",
                                "action_ts": f"{self.n}.000100"}]}
        self.post_slack(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def webhook(self, text: str) -> None:
        response = httpx.post(f"http://127.0.0.1:{self.port}/telegram/webhook", timeout=10,
                              content=self.telegram.make_update_json(CHAT, text, user_id=CHAT),
                              headers={SECRET_HEADER: HOOK_SECRET})
        assert response.status_code == 200, response.text

    def tg(self) -> list[str]:
        return [m["text"] for m in self.telegram.sent_messages(CHAT)]

    def notices(self) -> list:
        return [c for c in self.slack.calls_to("chat.postMessage") if c.accepted and
                c.params["channel"] == SALES_CHANNEL and "asked to talk to a person" in c.params["text"]]

    def notice_ts(self) -> str:
        [notice] = self.notices()
        return notice.response["ts"]

    def thread(self) -> list[str]:
        return [c.params["text"] for c in self.slack.calls_to("chat.postMessage")
                if c.accepted and c.params.get("thread_ts") == self.notice_ts()]

    def count(self, word: str) -> int:
        return sum(word in t for t in self.tg())


DANA = "<b>Dana from OnCall:</b> Hi, I'm Dana. What are you hiring for?"
NEED = "*They wrote:* An ops manager, 2 days a week"
CLOSED_NOTE = "_Closed by <@USALES>: the assistant answers them again._"


def test_serve_relays_between_a_telegram_webhook_prospect_and_the_sales_thread(tmp_path):
    port = free_port()
    slack, telegram = process_fakes()
    with slack, telegram:
        process = start(["serve", "--host", "127.0.0.1", "--port", str(port)], process_env(slack, telegram, True),
                        tmp_path)
        out = Outside(port, slack, telegram)
        try:
            wait_until_serving(port, process)
            out.webhook(ASK)  # answered while the webhook is handled
            assert len(out.tg()) == 2 and "reply right here" in out.tg()[1]
            wait_until(lambda: len(out.notices()) == 1, "the hand-off notice")
            [(handoff_id,)] = query(tmp_path, "select id from handoffs")
            out.in_thread("Hi, I'm Dana. What are you hiring for?")
            wait_until(lambda: out.count("Dana from OnCall") == 1, "the sales reply on Telegram")
            out.webhook("An ops manager, 2 days a week")
            wait_until(lambda: out.thread() == [NEED], "the prospect's answer in the thread")
            assert len(out.tg()) == 3  # the bot said nothing to it
            out.in_thread("Let me check with Dana", user=OTHER)
            out.click_close(handoff_id, OTHER)
            slack.wait_for("chat.postEphemeral", timeout=10)
            out.click_close(handoff_id, SALES_USER)
            wait_until(lambda: out.count(CLOSED) == 1 and out.thread() == [NEED, CLOSED_NOTE], "the close")
            out.webhook(QUESTION)
            assert out.tg()[-1].startswith(f"<b>{OPS_ANSWER}</b>")
            wait_until(lambda: query(tmp_path, "select count(*) from outbox where status <> 'sent'")[0][0] == 0 and
                       query(tmp_path, "select count(*) from replies where status <> 'sent'")[0][0] == 0, "all sent")
        finally:
            err = stop(process)
    assert "Traceback" not in err, err
    tg = out.tg()
    assert len(tg) == 5 and tg[2] == DANA and CLOSED in tg[3]  # the colleague's remark never reached them
    assert out.thread() == [NEED, CLOSED_NOTE]
    assert [c.params["ts"] for c in slack.calls_to("chat.update")] == [out.notice_ts()]


@pytest.fixture
def pg_db(pg_url):
    url = pg.create_database(pg.admin_url())
    yield url
    pg.drop_database(pg.admin_url(), url)


def test_serve_and_the_telegram_poller_relay_exactly_once_through_kill_9s(tmp_path, pg_db):
    port = free_port()
    slack, telegram = process_fakes()

    def scalar(sql: str):
        with psycopg.connect(pg_db) as conn:
            return conn.execute(sql).fetchone()[0]

    def kill(process) -> None:
        process.kill()  # SIGKILL, stopped or not
        process.wait()

    with slack, telegram:
        env = process_env(slack, telegram, webhook=False)
        out = Outside(port, slack, telegram)
        serve = start(["--db", pg_db, "serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path)
        worker = start(["--db", pg_db, "telegram"], env, tmp_path)
        try:
            wait_until_serving(port, serve)
            telegram.wait_for("setMyCommands", timeout=30)
            telegram.enqueue_message(CHAT, ASK, user_id=CHAT)
            wait_until(lambda: len(out.tg()) == 2 and len(out.notices()) == 1, "the hand-off and its notice")
            handoff_id = scalar("select id from handoffs")

            # the sales reply is committed by serve while the poller is frozen, then the poller dies
            worker.send_signal(signal.SIGSTOP)
            out.in_thread("Hi, I'm Dana. What are you hiring for?")
            assert scalar("select count(*) from replies where key like 'relay:%' and status = 'pending'") == 1
            kill(worker)
            assert out.count("Dana from OnCall") == 0
            worker = start(["--db", pg_db, "telegram"], env, tmp_path)
            wait_until(lambda: out.count("Dana from OnCall") == 1, "the sales reply after the restart")

            # the prospect's answer is committed by the poller while serve is frozen, then serve dies
            serve.send_signal(signal.SIGSTOP)
            telegram.enqueue_message(CHAT, "An ops manager, 2 days a week", user_id=CHAT)
            wait_until(lambda: scalar("select count(*) from outbox where kind = 'relay' and status = 'pending'") == 1,
                       "the prospect's answer committed")
            kill(serve)
            assert out.thread() == []
            serve = start(["--db", pg_db, "serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path)
            wait_until_serving(port, serve)
            wait_until(lambda: out.thread() == [NEED], "the prospect's answer in the thread after the restart")

            out.in_thread("Let me check with Dana", user=OTHER)
            out.click_close(handoff_id, SALES_USER)
            wait_until(lambda: out.count(CLOSED) == 1 and out.thread() == [NEED, CLOSED_NOTE], "the close")
            telegram.enqueue_message(CHAT, QUESTION, user_id=CHAT)
            wait_until(lambda: out.tg()[-1].startswith(f"<b>{OPS_ANSWER}</b>"), "the assistant's answer")
            wait_until(lambda: scalar("select count(*) from outbox where status <> 'sent'") == 0 and
                       scalar("select count(*) from replies where status <> 'sent'") == 0, "all sent")
        finally:
            errors = [stop(p) for p in (serve, worker) if p.poll() is None]
    assert not any("Traceback" in e for e in errors), errors
    tg = out.tg()
    assert len(tg) == 5 and tg[2] == DANA and CLOSED in tg[3]  # each once, the colleague's remark not at all
    assert out.thread() == [NEED, CLOSED_NOTE]
    assert len(out.notices()) == 1


@pytest.mark.asyncio
async def test_slack_markup_reaches_the_other_side_as_people_wrote_it(desk):
    """Slack sends `<url|label>`, `<@U…>` and &amp;-escapes in message text: the prospect on Telegram sees the
    link and the ampersand as Dana wrote them; their "R&D <3" reaches the thread escaped once."""
    await telegram_hand_off(desk)
    await desk.in_thread("<@U0FAKEBOT> Hi! see <https://oncall.example/pm|this profile> &amp; "
                         "<mailto:dana@oncall.example|dana@oncall.example>")
    assert await desk.tg_flush() == ["<b>Dana from OnCall:</b> Hi! see this profile (https://oncall.example/pm) "
                                     "&amp; dana@oncall.example"]  # Telegram HTML: the & is escaped once
    await desk.tg_say("R&D <3")
    await desk.worker_pass()
    assert desk.thread()[-1] == "*They wrote:* R&amp;D &lt;3"  # escaped once for Slack, as a typed "R&D <3"


@pytest.mark.asyncio
async def test_a_person_asked_for_through_the_slash_command_gets_the_notice_but_no_relay(desk):
    """`/oncall` is answered through a response URL that Slack honours five times in thirty minutes: too short
    to carry a conversation with sales, so the team gets the notice and the person the usual promise."""
    said = await desk.command(ASK, user="UFOUNDER")
    assert "A person will reply here or by email" in said and "right here, in this chat" not in said
    await desk.worker_pass()
    [notice] = desk.notices()
    assert "relay_close" not in json.dumps(notice.json("blocks"))  # no Close button: nothing to close
    assert desk.h.db.scalar("select status from handoffs") == "notified"  # counted, but nothing to relay
    await desk.in_thread("I'll DM them", thread_ts=notice.response["ts"])
    assert desk.h.db.scalar("select status from handoffs") == "notified" and not desk.h.db.query(
        "select * from replies where key like 'relay:%'")
