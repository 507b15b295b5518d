"""Slack end to end: the real Bolt app and aiohttp server, signed requests, the fake Slack Web API."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import pytest_asyncio

from fakes.slack_api import FakeSlackAPI
from slack_harness import BOT_USER, SALES_CHANNEL, SALES_USER, TEAM, SlackHarness, sign

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def slack(fresh_db):
    with FakeSlackAPI(user_id=BOT_USER, team_id=TEAM) as fake:
        async with SlackHarness(fake, fresh_db) as harness:
            yield harness


async def replies(harness, count=1, method="chat.postMessage"):
    return await asyncio.to_thread(harness.fake.wait_for, method, count, 5.0)


async def test_dm_question_is_answered_in_its_thread(slack):
    response = await slack.dm("what does a pm do", ts="100.000001")
    assert response.status_code == 200
    [call] = await replies(slack)
    assert call.params["channel"] == "DFOUNDER" and call.params["thread_ts"] == "100.000001"
    assert "*What a project manager does*" in call.params["text"]
    assert call.json("blocks")[-1]["type"] == "actions"


async def test_mention_in_a_channel_is_answered_in_thread_without_the_mention(slack):
    await slack.event({"type": "app_mention", "channel": "CGENERAL", "user": "U2", "ts": "200.1",
                       "text": f"<@{BOT_USER}> what does an ops manager do"})
    [call] = await replies(slack)
    assert (call.params["channel"], call.params["thread_ts"]) == ("CGENERAL", "200.1")
    assert "*What an operations manager does*" in call.params["text"]


async def test_threads_are_separate_conversations(slack):
    await slack.dm("what skills does a pm need", ts="300.1")
    await slack.dm("and for an ops manager?", ts="300.2", thread_ts="300.1")
    await slack.dm("and for an ops manager?", ts="301.1")  # a new thread: no context
    calls = await replies(slack, 3)
    texts = {c.params["ts"] if "ts" in c.params else c.params["thread_ts"]: c.params["text"] for c in calls}
    assert "leadership, process optimization and budgeting" in texts["300.1"]  # ops manager skills
    assert "*What an operations manager does*" in texts["301.1"]


async def test_button_press_feeds_its_value_to_the_engine(slack):
    await slack.dm("hi", ts="400.1")
    await replies(slack)
    response = await slack.action("oncall_button_0", "intent:pm.skills", "UFOUNDER", "DFOUNDER", "400.2",
                                  thread_ts="400.1")
    assert response.status_code == 200
    call = (await replies(slack, 2))[-1]
    assert call.params["thread_ts"] == "400.1" and "planning, communication and risk management" in call.params["text"]


async def test_slash_command_is_ephemeral_and_share_posts(slack):
    await slack.command("what is oncall")
    [private] = await replies(slack, method="chat.postEphemeral")
    assert private.params["user"] == "UFOUNDER" and "*About OnCall*" in private.params["text"]
    await slack.command("share do i need both")
    [shared] = await replies(slack)
    assert shared.params["channel"] == "CGENERAL" and shared.params["text"].startswith("Usually, yes")
    assert "UFOUNDER" in json.dumps(shared.json("blocks")[0])


async def test_full_talent_request_in_a_dm_ends_with_a_lead_card_and_sales_can_claim_it(slack):
    lines = ["I need a part-time PM for a product launch starting asap", "Acme <!channel>", "Jane Doe",
             "jane@acmerobotics.com", "skip", "skip", "skip", "yes"]
    for i, text in enumerate(lines):
        await slack.dm(text, ts=f"500.{i + 1}", thread_ts="500.1" if i else None)
        await replies(slack, i + 1)
    summary = slack.fake.calls_to("chat.postMessage")[-2].params["text"]
    assert "Acme &lt;!channel&gt;" in summary and "<!channel>" not in summary  # no mention injection
    assert (await slack.worker.run_once())["sent"] == 1
    card = slack.fake.calls_to("chat.postMessage")[-1]
    assert card.params["channel"] == SALES_CHANNEL and "HOT lead" in json.dumps(card.json("blocks"))
    lead_id = card.json("blocks")[-1]["elements"][0]["value"]
    # someone outside sales is refused and nothing changes
    await slack.action("lead_status_claimed", lead_id, "UOUTSIDER", SALES_CHANNEL, card.response["ts"])
    [refusal] = await replies(slack, method="chat.postEphemeral")
    assert refusal.params["user"] == "UOUTSIDER" and "only the sales team" in refusal.params["text"]
    assert slack.fake.calls_to("chat.update") == []
    await slack.action("lead_status_claimed", lead_id, SALES_USER, SALES_CHANNEL, card.response["ts"])
    [update] = await replies(slack, method="chat.update")
    assert update.params["ts"] == card.response["ts"]
    assert f"claimed by <@{SALES_USER}>" in json.dumps(update.json("blocks"))
    assert slack.desk.leads.get(lead_id)["status"] == "claimed"


async def test_duplicate_event_id_gets_one_reply(slack):
    body = slack.event_body({"type": "message", "channel_type": "im", "channel": "D1", "user": "U1",
                             "text": "hello", "ts": "600.1"}, event_id="EvSAME")
    ts = int(time.time())
    for retry in (None, 1):
        assert (await slack.post(body, "application/json", timestamp=ts, retry_num=retry)).status_code == 200
    await replies(slack)
    await asyncio.sleep(0.3)
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


async def test_message_and_app_mention_for_the_same_ts_get_one_reply(slack):
    text = f"<@{BOT_USER}> what is oncall"
    await slack.event({"type": "message", "channel": "D7", "channel_type": "im", "user": "U1", "text": text,
                       "ts": "700.1"})
    await slack.event({"type": "app_mention", "channel": "D7", "user": "U1", "text": text, "ts": "700.1"})
    await replies(slack)
    await asyncio.sleep(0.3)
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


async def test_a_retry_that_is_the_only_copy_is_processed(slack):
    await slack.dm("what does a pm do", ts="800.1", retry_num=2)
    [call] = await replies(slack)
    assert call.params["thread_ts"] == "800.1"


@pytest.mark.parametrize("problem", ["bad signature", "no signature", "stale timestamp"])
async def test_unverified_requests_get_401_and_nothing_is_processed(slack, problem):
    body = slack.event_body({"type": "message", "channel_type": "im", "channel": "D1", "user": "U1",
                             "text": "hi", "ts": "900.1"})
    now = int(time.time())
    kwargs = {"bad signature": {"signature": sign(body, now, "wrong-secret")}, "no signature": {"signature": ""},
              "stale timestamp": {"timestamp": now - 6 * 60}}[problem]
    response = await slack.post(body, "application/json", **kwargs)
    assert response.status_code == 401
    await asyncio.sleep(0.3)
    assert slack.fake.calls == [] and slack.db["conversations"].count == 0


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
    posted = await slack.app.client.chat_postMessage(channel=SALES_CHANNEL, text=f"New hot lead {lead_id}")
    history = {"ok": True, "messages": [{"text": posted["message"]["text"], "ts": posted["ts"]}]}
    slack.fake.add_method("conversations.history", lambda params: history)
    assert (await slack.worker.run_once(now=time.time() + 600))["sent"] == 1
    cards = [c for c in slack.fake.calls_to("chat.postMessage") if c.params["channel"] == SALES_CHANNEL]
    assert len(cards) == 1


async def test_the_bots_own_messages_are_ignored(slack):
    await slack.event({"type": "message", "channel_type": "im", "channel": "D1", "user": BOT_USER,
                       "bot_id": "B0FAKEBOT", "text": "Hi! I'm the OnCall Assistant", "ts": "950.1"})
    await asyncio.sleep(0.3)
    assert slack.fake.calls_to("chat.postMessage") == []


async def test_sales_users_list_open_leads_and_others_are_refused(slack):
    lead_id = await _file_lead(slack)
    await slack.command("leads", user=SALES_USER)
    await slack.command("leads", user="UOUTSIDER")
    listing, refusal = await replies(slack, 2, method="chat.postEphemeral")
    assert lead_id in listing.params["text"]
    assert "only for the sales team" in refusal.params["text"]


async def test_human_request_posts_a_hand_off_notice_to_sales(slack):
    await slack.dm("our warehouse is chaos", ts="960.1")
    await slack.dm("can i talk to a real person", ts="960.2", thread_ts="960.1")
    await replies(slack, 2)
    assert (await slack.worker.run_once())["sent"] == 1
    notice = slack.fake.calls_to("chat.postMessage")[-1]
    assert notice.params["channel"] == SALES_CHANNEL and "asked to talk to a person" in notice.params["text"]
    assert "our warehouse is chaos" in notice.params["text"]


async def test_app_home_shows_what_the_assistant_does_with_a_request_button(slack):
    await slack.event({"type": "app_home_opened", "user": "UFOUNDER", "channel": "DFOUNDER", "tab": "home"})
    [call] = await replies(slack, method="views.publish")
    view = call.json("view")
    assert view["type"] == "home" and "intent:lead.start" in json.dumps(view)
    await slack.post(*_home_click())
    dm_reply = (await replies(slack, 2))[-1]
    assert dm_reply.params["thread_ts"] and "How would you like" not in dm_reply.params["text"]
    assert "Which role are you looking for?" in dm_reply.params["text"]


def _home_click():
    from urllib.parse import urlencode

    payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": "UFOUNDER"}, "api_app_id": "A1",
               "container": {"type": "view", "view_id": "V1"}, "view": {"id": "V1", "type": "home"},
               "trigger_id": "1.2", "actions": [{"action_id": "oncall_button_home", "value": "intent:lead.start",
                                                  "type": "button", "block_id": "b"}]}
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


async def test_healthz(slack):
    response = await slack.http.get("/healthz")
    assert response.status_code == 200 and response.json()["slack"] is True


async def _file_lead(slack) -> str:
    lines = ["hire a full time ops manager asap", "Globex", "Hank", "hank@globex.com", "skip", "skip", "skip",
             "yes"]
    for i, text in enumerate(lines):
        await slack.dm(text, ts=f"990.{i + 1}", thread_ts="990.1" if i else None)
    await replies(slack, len(lines))
    return slack.engine.leads.all()[-1]["id"]
