"""The Bolt app: Slack events, actions and commands in, engine `Message`s through, Slack messages out.

It holds no intent or lead logic: conversations go to the engine, lead status changes to the sales desk.
Work happens after the ack (Bolt acks events itself; actions and commands ack first), deliveries are
deduplicated by event id and by channel + ts, and the bot's own messages are ignored.
"""

from __future__ import annotations

import re
from collections import defaultdict

from aiolimiter import AsyncLimiter
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.config import SlackConfig
from adapters.slack.render import BUTTON_ACTION, LEAD_ACTION, escape, home_view, lead_card, leads_list, reply_message
from bot.engine import Engine
from bot.sales.desk import NotAllowed, SalesDesk
from bot.sales.leads import LeadError
from bot.types import Message

_MENTION = re.compile(r"<@[A-Z0-9]+>")


class ChannelLimiter:
    """About one message per second per channel, as Slack asks (aiolimiter's leaky bucket)."""

    def __init__(self, rate: float = 1.0):
        self._limiters: dict[str, AsyncLimiter] = defaultdict(lambda: AsyncLimiter(1, 1 / rate))

    def __call__(self, channel: str) -> AsyncLimiter:
        return self._limiters[channel]


def web_client(config: SlackConfig) -> AsyncWebClient:
    return AsyncWebClient(token=config.bot_token, base_url=config.api_base_url,
                          retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)])


def status_note(lead: dict) -> str | None:
    moves = [f"{h['status']} by <@{h['by']}>" for h in lead["history"] if h["by"] not in ("assistant", "cli")]
    return " · ".join(moves) or None


def build_app(engine: Engine, config: SlackConfig, desk: SalesDesk, limiter: ChannelLimiter) -> AsyncApp:
    app = AsyncApp(client=web_client(config), signing_secret=config.signing_secret or "unused-in-socket-mode")

    async def post(client, channel: str, **kwargs) -> dict:
        async with limiter(channel):
            return await client.chat_postMessage(channel=channel, **kwargs)

    async def converse(client, team: str, channel: str, thread: str, user: str, text: str = "",
                       button: str | None = None, keys: tuple[str, ...] = ()) -> None:
        message = Message(user=user, text=text, button=button, channel="slack",
                          conversation=f"slack:{team}:{channel}:{thread}")
        reply = engine.handle(message, delivery_keys=keys)
        if reply is not None:  # None: this delivery was already acted on
            await post(client, channel, thread_ts=thread, **reply_message(reply))

    async def on_event(event: dict, body: dict, client) -> None:
        if event.get("bot_id") or event.get("subtype") or not event.get("user"):
            return  # our own messages, edits, joins…
        channel, ts = event["channel"], event["ts"]
        keys = (f"slack:event:{body.get('event_id')}", f"slack:message:{channel}:{ts}")
        text = _MENTION.sub("", event.get("text") or "").strip()
        await converse(client, body.get("team_id") or event.get("team", ""), channel, event.get("thread_ts") or ts,
                       event["user"], text=text, keys=keys)

    @app.event("message")
    async def direct_message(event, body, client):
        if event.get("channel_type") == "im":
            await on_event(event, body, client)

    @app.event("app_mention")
    async def mention(event, body, client):
        await on_event(event, body, client)

    @app.action(re.compile(f"^{BUTTON_ACTION}_"))
    async def button(ack, body, client):
        await ack()
        user, team = body["user"]["id"], body.get("team", {}).get("id", "")
        value = body["actions"][0]["value"]
        if body.get("container", {}).get("type") == "view":  # the App Home button: continue in a DM
            dm = (await client.conversations_open(users=user))["channel"]["id"]
            started = await post(client, dm, text="Let's find you the right person.")
            await converse(client, team, dm, started["ts"], user, button=value)
            return
        container = body["container"]
        thread = container.get("thread_ts") or container["message_ts"]
        await converse(client, team, container["channel_id"], thread, user, button=value)

    @app.action(re.compile(f"^{LEAD_ACTION}_"))
    async def lead_status(ack, body, client):
        await ack()
        action, user, channel = body["actions"][0], body["user"]["id"], body["channel"]["id"]
        try:
            change = desk.move(action["value"], action["action_id"].removeprefix(f"{LEAD_ACTION}_"), user)
        except NotAllowed:
            await client.chat_postEphemeral(channel=channel, user=user,
                                            text="Sorry, only the sales team can update leads.")
            return
        except LeadError as error:
            await client.chat_postEphemeral(channel=channel, user=user, text=escape(str(error)))
            return
        await client.chat_update(channel=channel, ts=body["message"]["ts"],
                                 **lead_card(change.lead, status_note(change.lead)))

    @app.command("/oncall")
    async def command(ack, command, client):
        await ack()
        user, channel, team = command["user_id"], command["channel_id"], command.get("team_id", "")
        text = (command.get("text") or "").strip()
        if text == "leads":
            try:
                listing = leads_list(desk.open_leads(user))
            except NotAllowed:
                listing = "Sorry, the lead list is only for the sales team."
            await client.chat_postEphemeral(channel=channel, user=user, text=listing)
            return
        share = text.startswith("share ")
        question = text.removeprefix("share ").strip() if share else text
        if question == "forget":
            question = "/forget"
        message = Message(user=user, text=question or "/help", channel="slack",
                          conversation=f"slack:{team}:{channel}:command:{user}")
        rendered = reply_message(engine.handle(message))
        if share:
            asked = f"<@{user}> asked: _{escape(question)}_"
            rendered["blocks"].insert(0, {"type": "context", "elements": [{"type": "mrkdwn", "text": asked}]})
            await post(client, channel, **rendered)
        else:
            await client.chat_postEphemeral(channel=channel, user=user, **rendered)

    @app.event("app_home_opened")
    async def home(event, client):
        if event.get("tab", "home") == "home":
            await client.views_publish(user_id=event["user"], view=home_view())

    return app
