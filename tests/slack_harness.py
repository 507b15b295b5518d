"""Run the real Bolt app behind the real aiohttp server against the fake Slack Web API."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import httpx
from aiohttp import web

from adapters.slack.app import Deliveries, build_app, web_client
from adapters.slack.config import SlackConfig
from adapters.slack.replies import SlackReplies
from adapters.slack.sales import SalesChannelWorker
from adapters.web import build_web_app
from bot.engine import Engine
from bot.sales.desk import SalesDesk
from bot.sales.outbox import Outbox
from bot.storage.pacing import Pacer

SECRET = "test-signing-secret"
TEAM = "T0FAKE"
BOT_USER = "U0FAKEBOT"
SALES_CHANNEL = "CSALES"
SALES_USER = "USALES"


def sign(body: str, timestamp: int, secret: str = SECRET) -> str:
    return "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()


class SlackHarness:
    def __init__(self, fake, db):
        self.fake = fake
        self.db = db
        self.engine = Engine(db, notify={"lead": ("slack",), "handoff": ("slack",)})
        self.config = SlackConfig(bot_token="xoxb-test", signing_secret=SECRET, app_token=None,
                                  sales_channel=SALES_CHANNEL, sales_users=frozenset({SALES_USER}),
                                  api_base_url=fake.base_url)
        desk, limiter = SalesDesk(db, self.config.sales_users), Pacer(db, interval_s=0.001)
        client = web_client(self.config)
        self.replies = SlackReplies(self.engine.replies, client, limiter)
        self.deliveries = Deliveries()
        self.app = build_app(self.engine, self.config, desk, client, self.replies, self.deliveries)
        self.worker = SalesChannelWorker(Outbox(db), desk, client, SALES_CHANNEL, limiter)
        self.desk = desk
        self.telegram = None  # a Telegram webhook handler to serve next to Slack's events, as `serve` does
        self._events = 0

    async def __aenter__(self) -> SlackHarness:
        self.runner = web.AppRunner(build_web_app(self.db, slack=self.app, telegram=self.telegram, slack_secret=SECRET))
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.aclose()
        await self.runner.cleanup()

    async def post(self, body: str, content_type: str, timestamp: int | None = None, signature: str | None = None,
                   retry_num: int | None = None) -> httpx.Response:
        timestamp = int(time.time()) if timestamp is None else timestamp
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(timestamp),
                   "X-Slack-Signature": signature if signature is not None else sign(body, timestamp)}
        if retry_num is not None:
            headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.http.post("/slack/events", content=body.encode(), headers=headers)

    def event_body(self, event: dict, event_id: str | None = None) -> str:
        self._events += 1
        return json.dumps({"token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
                           "event_id": event_id or f"Ev{self._events:06d}", "event_time": int(time.time()),
                           "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
                           "event": event})

    async def event(self, event: dict, event_id: str | None = None, **kwargs) -> httpx.Response:
        return await self.post(self.event_body(event, event_id), "application/json", **kwargs)

    async def dm(self, text: str, ts: str, user: str = "UFOUNDER", thread_ts: str | None = None,
                 channel: str = "DFOUNDER", **kwargs) -> httpx.Response:
        event = {"type": "message", "channel_type": "im", "channel": channel, "user": user, "text": text,
                 "ts": ts, "team": TEAM, **({"thread_ts": thread_ts} if thread_ts else {})}
        return await self.event(event, **kwargs)

    def action_body(self, action_id: str, value: str, user: str, channel: str, message_ts: str,
                    thread_ts: str | None = None) -> str:
        """A signed-ready block_actions payload; every click has its own trigger_id and action_ts."""
        self._events += 1
        payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": user}, "api_app_id": "A1",
                   "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                                 **({"thread_ts": thread_ts} if thread_ts else {})},
                   "channel": {"id": channel}, "message": {"ts": message_ts, "text": ""},
                   "trigger_id": f"trig{self._events}", "response_url": "http://127.0.0.1:9/unused",
                   "actions": [{"action_id": action_id, "value": value, "type": "button", "block_id": "b",
                                "action_ts": f"{self._events}.000100"}]}
        return urlencode({"payload": json.dumps(payload)})

    async def action(self, action_id: str, value: str, user: str, channel: str, message_ts: str,
                     thread_ts: str | None = None) -> httpx.Response:
        body = self.action_body(action_id, value, user, channel, message_ts, thread_ts)
        return await self.post(body, "application/x-www-form-urlencoded")

    async def command(self, text: str, user: str = "UFOUNDER", channel: str = "CGENERAL",
                      trigger: str | None = None) -> httpx.Response:
        self._events += 1
        body = urlencode({"command": "/oncall", "text": text, "user_id": user, "channel_id": channel,
                          "team_id": TEAM, "trigger_id": trigger or f"trig{self._events}",
                          "response_url": self.fake.response_url(f"cmd{self._events}")})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def channel_message(self, text: str, ts: str, channel: str = "CGENERAL", user: str = "UFOUNDER",
                              thread_ts: str | None = None, mention: bool = False) -> None:
        """A message in a channel as Slack delivers it: `message` always, `app_mention` too when it mentions us."""
        event = {"type": "message", "channel_type": "channel", "channel": channel, "user": user, "ts": ts,
                 "text": (f"<@{BOT_USER}> " if mention else "") + text, "team": TEAM,
                 **({"thread_ts": thread_ts} if thread_ts else {})}
        await self.event(event)
        if mention:
            await self.event({**event, "type": "app_mention"})
