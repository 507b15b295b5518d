"""Slack end to end: the real Bolt app and aiohttp server, signed requests, the fake Slack Web API.

Every test waits on explicit signals — the app's count of finished deliveries, or the calls the fake
received — never on a fixed sleep, before asserting what did or did not happen.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import time
from urllib.parse import quote

import pytest
import pytest_asyncio

from fakes.slack_api import FakeSlackAPI
from slack_harness import BOT_USER, SALES_CHANNEL, SALES_USER, TEAM, SlackHarness, sign

pytestmark = pytest.mark.asyncio



@pytest.fixture
def fresh_db(any_db):
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_db

@pytest_asyncio.fixture
async def slack(fresh_db):
    with FakeSlackAPI(user_id=BOT_USER, team_id=TEAM) as fake:
        async with SlackHarness(fake, fresh_db) as harness:
            yield harness


async def posts(harness, count=1, method="chat.postMessage"):
    return await asyncio.to_thread(harness.fake.wait_for, method, count, 5.0)


async def settled(harness, deliveries: int):
    """The app has finished with `deliveries` deliveries (answered, deduplicated or ignored)."""
    await harness.deliveries.wait_for(deliveries)


def replies_to(harness, channel: str) -> list:
    return [c for c in harness.fake.calls_to("chat.postMessage") if c.params["channel"] == channel and not c.failed]


async def test_a_dm_is_one_conversation_answered_in_the_dm_itself(slack):
    await slack.dm("what skills does a pm need", ts="100.1")
    await slack.dm("and for an ops manager?", ts="100.2")
    first, second = await posts(slack, 2)
    assert first.params["channel"] == "DFOUNDER" and not first.params.get("thread_ts")
    assert "planning, communication and risk management" in first.params["text"]
    assert "leadership, process optimization and budgeting" in second.params["text"]  # the context held
    assert not second.params.get("thread_ts")


async def test_a_thread_inside_a_dm_is_its_own_conversation(slack):
    await slack.dm("what skills does a pm need", ts="150.1")
    await slack.dm("and for an ops manager?", ts="150.2", thread_ts="149.9")  # a thread with no history
    first, second = await posts(slack, 2)
    assert second.params["thread_ts"] == "149.9"
    assert "leadership, process optimization and budgeting" not in second.params["text"]


async def test_a_whole_talent_request_typed_in_a_dm_ends_in_one_lead_card(slack):
    # a company typed as "Acme <!channel>": Slack delivers what people type with &, < and > escaped
    lines = ["I need a part-time PM for a product launch starting asap", "Acme &lt;!channel&gt;", "Jane Doe",
             "jane@acmerobotics.com", "skip", "skip", "skip", "yes"]
    for i, text in enumerate(lines):
        await slack.dm(text, ts=f"500.{i + 1}")
    await posts(slack, len(lines))
    answers = replies_to(slack, "DFOUNDER")
    assert all(not a.params.get("thread_ts") for a in answers)
    summary = answers[-2].params["text"]
    assert "Acme &lt;!channel&gt;" in summary and "<!channel>" not in summary  # no mention injection
    assert "is with the OnCall team" in answers[-1].params["text"]
    assert (await slack.worker.run_once())["sent"] == 1
    [card] = replies_to(slack, SALES_CHANNEL)
    assert "HOT lead" in json.dumps(card.json("blocks"))
    assert "<!channel>" not in card.params["text"] and "&lt;!channel&gt;" in card.params["text"]
    lead_id = card.json("blocks")[-1]["elements"][0]["value"]
    await slack.action("lead_status_claimed", lead_id, "UOUTSIDER", SALES_CHANNEL, card.response["ts"])
    [refusal] = await posts(slack, method="chat.postEphemeral")
    assert refusal.params["user"] == "UOUTSIDER" and "only the sales team" in refusal.params["text"]
    assert slack.fake.calls_to("chat.update") == []
    await slack.action("lead_status_claimed", lead_id, SALES_USER, SALES_CHANNEL, card.response["ts"])
    [update] = await posts(slack, method="chat.update")
    assert update.params["ts"] == card.response["ts"] and f"claimed by <@{SALES_USER}>" in json.dumps(
        update.json("blocks"))
    assert slack.desk.leads.get(lead_id)["status"] == "claimed"


async def test_a_mention_starts_a_thread_that_goes_on_without_mentions(slack):
    await slack.channel_message("what does an ops manager do", ts="200.1", mention=True)
    await slack.channel_message("and what skills should they have?", ts="200.2", thread_ts="200.1")
    await slack.channel_message("lunch anyone?", ts="200.3")  # channel chatter: not for us
    await slack.channel_message("what about a pm?", ts="200.4", thread_ts="199.0")  # a thread we were never in
    await settled(slack, 5)  # message + app_mention, the thread reply, the two ignored messages
    first, second = replies_to(slack, "CGENERAL")
    assert (first.params["thread_ts"], second.params["thread_ts"]) == ("200.1", "200.1")
    assert "operations manager" in first.params["text"].lower()
    assert "leadership, process optimization and budgeting" in second.params["text"]


async def test_oncall_answers_through_the_response_url_where_the_bot_is_no_member(slack):
    slack.fake.close_channel("CPRIVATE")
    await slack.command("what is oncall", channel="CPRIVATE")
    [private] = await posts(slack, method="response_url")
    assert private.params["response_type"] == "ephemeral" and "OnCall is a platform" in private.params["text"]
    await slack.command("share do i need both", channel="CPRIVATE")
    shared = (await posts(slack, 2, method="response_url"))[-1]
    assert shared.params["response_type"] == "in_channel" and shared.params["text"].startswith("Usually, yes")
    assert "UFOUNDER" in json.dumps(shared.params["blocks"][0])
    assert slack.fake.calls_to("chat.postMessage") == [] and slack.fake.calls_to("chat.postEphemeral") == []


async def test_replayed_slash_commands_and_button_presses_are_acted_on_once(slack):
    await slack.command("what is oncall", trigger="TRIGGER-1")
    await slack.command("what is oncall", trigger="TRIGGER-1")  # the same signed request, replayed
    await settled(slack, 2)
    assert len(slack.fake.calls_to("response_url")) == 1
    body = slack.action_body("oncall_button_0", "intent:pm.skills", "UFOUNDER", "DFOUNDER", "300.5")
    for _ in range(2):
        await slack.post(body, "application/x-www-form-urlencoded")
    await settled(slack, 4)
    assert len(replies_to(slack, "DFOUNDER")) == 1


async def test_buttons_in_a_dm_continue_the_dm_conversation(slack):
    await slack.dm("our warehouse is chaos and orders go out late", ts="400.1")
    await posts(slack)
    await slack.action("oncall_button_0", "intent:lead.start", "UFOUNDER", "DFOUNDER", "400.2")
    request = (await posts(slack, 2))[-1]
    assert not request.params.get("thread_ts")
    assert "How would you like to engage them" in request.params["text"]  # the recommended role was kept


async def test_duplicate_event_id_gets_one_reply(slack):
    body = slack.event_body({"type": "message", "channel_type": "im", "channel": "D1", "user": "U1",
                             "text": "hello", "ts": "600.1"}, event_id="EvSAME")
    ts = int(time.time())
    for retry in (None, 1):
        assert (await slack.post(body, "application/json", timestamp=ts, retry_num=retry)).status_code == 200
    await settled(slack, 2)
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


async def test_message_and_app_mention_for_the_same_ts_get_one_reply(slack):
    await slack.channel_message("what is oncall", ts="700.1", mention=True)
    await settled(slack, 2)
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


async def test_a_retry_that_is_the_only_copy_is_processed(slack):
    await slack.dm("what does a pm do", ts="800.1", retry_num=2)
    [call] = await posts(slack)
    assert call.params["channel"] == "DFOUNDER"


async def test_a_reply_slack_refused_is_posted_once_when_slack_is_back_and_never_called_already_sent(slack):
    slack.fake.fail_next("chat.postMessage", status=500, times=3)
    await slack.dm("what does a pm do", ts="850.1")
    await settled(slack, 1)
    [waiting] = slack.engine.replies.rows(("pending",))
    assert waiting["attempts"] == 1  # committed with the turn, not lost with the failed post
    await slack.dm("what does a pm do", ts="850.1", retry_num=1)  # Slack redelivers: still the same turn
    await settled(slack, 2)
    await asyncio.sleep(0)
    assert await slack.replies.flush() in (0, 1)
    while slack.engine.replies.rows(("pending",)):  # backoff: let the retry come due
        slack.engine.db.execute("update replies set next_attempt_at = 0")
        await slack.replies.flush()
    answers = replies_to(slack, "DFOUNDER")
    assert len(answers) == 1 and "project manager" in answers[0].params["text"].lower()


async def test_a_reply_whose_sender_died_mid_post_is_not_posted_twice(slack):
    slack.fake.fail_next("chat.postMessage", status=500)
    await slack.dm("what is oncall", ts="870.1")
    await settled(slack, 1)
    [outgoing] = slack.engine.replies.claim("slack", now=time.time() + 10)  # a sender takes it…
    await slack.replies._post(outgoing)  # …posts it, and dies before recording that it did
    slack.engine.db.execute("update replies set lease_until = 1, next_attempt_at = 0")
    assert await slack.replies.flush() == 1
    assert len(replies_to(slack, "DFOUNDER")) == 1


@pytest.mark.parametrize("problem", ["bad signature", "no signature", "stale timestamp"])
async def test_unverified_requests_get_401_and_nothing_is_processed(slack, problem):
    body = slack.event_body({"type": "message", "channel_type": "im", "channel": "D1", "user": "U1",
                             "text": "hi", "ts": "900.1"})
    now = int(time.time())
    kwargs = {"bad signature": {"signature": sign(body, now, "wrong-secret")}, "no signature": {"signature": ""},
              "stale timestamp": {"timestamp": now - 6 * 60}}[problem]
    response = await slack.post(body, "application/json", **kwargs)
    assert response.status_code == 401
    assert slack.deliveries.done == 0 and slack.db["conversations"].count == 0
    assert slack.fake.calls == []


GARBAGE_SEED, GARBAGE_COUNT = int(os.environ.get("GARBAGE_SEED", 9)), int(os.environ.get("GARBAGE_COUNT", 200))


def garbage(count: int, seed: int = GARBAGE_SEED) -> list[tuple[str, str]]:
    """`count` (body, content type) pairs a scanner or a broken proxy might send."""
    rng = random.Random(seed)
    shapes = [lambda: "{not json", lambda: "[" * rng.randint(100, 20_000) + "]" * 3, lambda: "payload=%7Bbroken",
              lambda: "a=b&c", lambda: "", lambda: "\x00\xff" * rng.randint(1, 50), lambda: json.dumps(rng.random()),
              lambda: "payload=" + "%5B" * rng.randint(1, 5000), lambda: '{"type": "event_callback", "event": 7}',
              lambda: "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(1, 300)))]
    values = [lambda: 7, lambda: None, lambda: [], lambda: {}, lambda: "x", lambda: [1, {}], lambda: {"type": 1}]
    keys = ["type", "event", "team_id", "user", "channel", "actions", "container", "view", "message", "team",
            "event_id", "command", "trigger_id", "response_url", "text", "authorizations", "api_app_id"]

    def slack_like() -> str:
        body = {k: rng.choice(values)() for k in rng.sample(keys, rng.randint(1, 6))}
        body.setdefault("type", rng.choice(["event_callback", "block_actions", "url_verification", "x"]))
        if isinstance(body.get("event"), dict):
            body["event"] = {k: rng.choice(values)() for k in rng.sample(["type", "user", "channel", "text", "ts",
                                                                            "thread_ts", "channel_type"], 4)}
        text = json.dumps(body)
        return text if rng.random() < 0.5 else "payload=" + quote(text)

    shapes += [slack_like] * 5
    types = ["application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data"]
    return [(rng.choice(shapes)(), rng.choice(types)) for _ in range(count)]


async def test_200_malformed_requests_get_4xx_never_5xx_and_log_one_short_line_each(slack, caplog):
    responses = []
    for n, (body, content_type) in enumerate(garbage(GARBAGE_COUNT)):
        if n % 3 == 0:  # unsigned
            responses.append(await slack.post(body, content_type, signature="v0=00"))
        elif n % 3 == 1:  # a timestamp that is not a number
            headers = {"X-Slack-Request-Timestamp": "not-a-number", "X-Slack-Signature": "v0=1",
                       "Content-Type": content_type}
            responses.append(await slack.http.post("/slack/events", content=body.encode("utf-8", "replace"),
                                                   headers=headers))
        else:  # signed with the right secret: mostly not a Slack request (a few happen to be harmless ones)
            responses.append(await slack.post(body, content_type))
    assert len(responses) == GARBAGE_COUNT and max(r.status_code for r in responses) < 500
    unsigned = [r.status_code for n, r in enumerate(responses) if n % 3 != 2]
    assert set(unsigned) == {401}  # and nothing of theirs was parsed
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings and all(len(r.getMessage()) < 200 and not r.exc_info for r in warnings)
    assert "Traceback" not in caplog.text
    assert [c for c in slack.fake.calls if c.method != "auth.test"] == []  # Bolt looks itself up, nothing more
    assert slack.deliveries.done == 0


async def test_rate_limited_lead_card_is_retried_and_delivered_once(slack):
    await _file_lead(slack)
    slack.fake.fail_next("chat.postMessage", status=429, retry_after=1)
    assert (await slack.worker.run_once())["sent"] == 1
    cards = [c for c in slack.fake.calls_to("chat.postMessage") if c.params["channel"] == SALES_CHANNEL]
    assert [c.failed for c in cards] == [True, False]


async def test_failed_lead_card_stays_in_the_outbox_and_is_retried_later(slack):
    await _file_lead(slack)
    slack.fake.fail_next("chat.postMessage", status=500)
    assert (await slack.worker.run_once())["retried"] == 1
    assert slack.worker.outbox.rows(("pending",))[0]["attempts"] == 1
    assert (await slack.worker.run_once(now=time.time() + 60))["sent"] == 1
    assert (await slack.worker.run_once(now=time.time() + 3600)) == {"sent": 0, "retried": 0, "dead": 0}


async def test_a_card_posted_before_a_crash_is_not_posted_again(slack):
    lead_id = await _file_lead(slack)
    outbox = slack.worker.outbox
    assert len(outbox.claim(time.time(), sinks=("slack",))) == 1  # a worker took it, posted, and died
    await slack.app.client.chat_postMessage(channel=SALES_CHANNEL, text=f"New hot lead {lead_id}")
    assert (await slack.worker.run_once(now=time.time() + 600))["sent"] == 1
    assert len(replies_to(slack, SALES_CHANNEL)) == 1


async def test_messages_from_other_bots_are_ignored(slack):
    await slack.event({"type": "message", "channel_type": "im", "channel": "D1", "user": "UOTHERBOT",
                       "bot_id": "B0OTHERBOT", "text": "what does a pm do", "ts": "950.1"})
    await slack.event({"type": "message", "subtype": "bot_message", "channel_type": "im", "channel": "D1",
                       "bot_id": "B0OTHERBOT", "text": "what does a pm do", "ts": "950.2"})
    await slack.dm("hi", ts="950.3")  # a person after them: answered, so the two above were seen and passed
    await posts(slack)
    await settled(slack, 3)
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


async def test_sales_users_list_open_leads_and_others_are_refused(slack):
    lead_id = await _file_lead(slack)
    await slack.command("leads", user=SALES_USER)
    await slack.command("leads", user="UOUTSIDER")
    listing, refusal = await posts(slack, 2, method="response_url")
    assert lead_id in listing.params["text"]
    assert "only for the sales team" in refusal.params["text"]


async def test_human_request_posts_a_hand_off_notice_to_sales(slack):
    await slack.dm("our warehouse is chaos", ts="960.1")
    await slack.dm("can i talk to a real person", ts="960.2")
    await posts(slack, 2)
    assert (await slack.worker.run_once())["sent"] == 1
    notice = slack.fake.calls_to("chat.postMessage")[-1]
    assert notice.params["channel"] == SALES_CHANNEL and "asked to talk to a person" in notice.params["text"]
    assert "our warehouse is chaos" in notice.params["text"]


async def test_app_home_shows_what_the_assistant_does_and_its_button_continues_in_the_dm(slack):
    await slack.event({"type": "app_home_opened", "user": "UFOUNDER", "channel": "DFOUNDER", "tab": "home"})
    [call] = await posts(slack, method="views.publish")
    view = call.json("view")
    assert view["type"] == "home" and "intent:lead.start" in json.dumps(view)
    await slack.post(*_home_click())
    [dm_reply] = await posts(slack)
    assert not dm_reply.params.get("thread_ts") and "Which role are you looking for?" in dm_reply.params["text"]
    dm = dm_reply.params["channel"]
    await slack.dm("an ops manager", ts="970.1", user="UFOUNDER", channel=dm)  # typed in the DM: same conversation
    answer = (await posts(slack, 2))[-1]
    assert "How would you like to engage them" in answer.params["text"]


def _home_click():
    from urllib.parse import urlencode

    payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": "UFOUNDER"}, "api_app_id": "A1",
               "container": {"type": "view", "view_id": "V1"}, "view": {"id": "V1", "type": "home"},
               "trigger_id": "1.2", "actions": [{"action_id": "oncall_button_home", "value": "intent:lead.start",
                                                  "type": "button", "block_id": "b", "action_ts": "1.1"}]}
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


async def test_healthz(slack):
    response = await slack.http.get("/healthz")
    assert response.status_code == 200 and response.json()["slack"] is True


async def _file_lead(slack) -> str:
    lines = ["hire a full time ops manager asap", "Globex", "Hank", "hank@globex.com", "skip", "skip", "skip",
             "yes"]
    for i, text in enumerate(lines):
        await slack.dm(text, ts=f"990.{i + 1}")
    await posts(slack, len(lines))
    return slack.engine.leads.all()[-1]["id"]


async def test_leads_filed_before_the_sales_channel_was_set_get_their_card_once(slack, fresh_db):
    from bot.engine import Engine
    from bot.types import Message

    before = Engine(fresh_db)  # a process with no sales channel configured files a lead
    for text in ("I need a part-time PM asap", "Acme", "Jane Doe", "jane@acme.com", "skip", "skip", "skip", "yes"):
        reply = before.handle(Message(user="U-EARLY", text=text, channel="telegram"))
    lead_id = reply.lead["id"]
    assert (await slack.worker.run_once())["sent"] == 1
    assert (await slack.worker.run_once())["sent"] == 0
    [card] = replies_to(slack, SALES_CHANNEL)
    assert lead_id in card.params["text"]
