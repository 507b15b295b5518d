"""The Bolt app: Slack events, actions and commands in, engine `Message`s through, replies queued out.

It holds no intent or lead logic: conversations go to the engine, lead status changes to the sales desk.
Where a conversation lives, as people use Slack:
- a DM is one conversation, answered in the DM itself; a thread inside the DM is its own conversation;
- a mention in a channel is answered in a thread, and the thread goes on without further mentions (the
  bot remembers the threads it was called into);
- `/oncall` is answered through the command's response_url, so it works where the bot is no member.
Every delivery (event, button press, command) is deduplicated in the turn's transaction; replies are
committed with the turn and posted by `SlackReplies`, so a crash between the two loses nothing.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from contextvars import ContextVar

from slack_bolt.async_app import AsyncApp
from slack_bolt.error import BoltUnhandledRequestError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.config import SlackConfig
from adapters.slack.handoffs import HandoffThreads
from adapters.slack.render import (
    BUTTON_ACTION,
    LEAD_ACTION,
    RELAY_CLOSE,
    escape,
    home_view,
    lead_card,
    leads_list,
    plain_text,
)
from adapters.slack.replies import SlackReplies
from bot.engine import Engine
from bot.sales.desk import NotAllowed, SalesDesk
from bot.sales.leads import LeadError
from bot.sales.relay import Relays
from bot.types import Message

log = logging.getLogger(__name__)
_IGNORED_SUBTYPES = frozenset({"bot_message", "message_changed", "message_deleted", "channel_join", "channel_leave",
                               "thread_broadcast"})


class Deliveries:
    """How many deliveries the app has finished with (answered, deduplicated or ignored): an explicit
    signal for whoever needs to know the work after an ack is done (tests, health checks)."""

    def __init__(self) -> None:
        self.done = 0
        self._changed = asyncio.Condition()

    async def finished(self) -> None:
        async with self._changed:
            self.done += 1
            self._changed.notify_all()

    async def wait_for(self, count: int, timeout: float = 5.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.done >= count), timeout)


def web_client(config: SlackConfig) -> AsyncWebClient:
    return AsyncWebClient(token=config.bot_token, base_url=config.api_base_url,
                          retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)])


def status_note(lead: dict) -> str | None:
    moves = [f"{h['status']} by <@{h['by']}>" for h in lead["history"] if h["by"] not in ("assistant", "cli")]
    return " · ".join(moves) or None


def place(team: str, channel: str, thread: str | None, direct: bool) -> tuple[str, dict]:
    """The conversation key and where its replies go: a DM flat (or its thread), a channel in a thread."""
    if direct:
        key = f"slack:{team}:{channel}" + (f":{thread}" if thread else "")
        return key, {"channel": channel, "thread_ts": thread}
    return f"slack:{team}:{channel}:{thread}", {"channel": channel, "thread_ts": thread}


def build_app(engine: Engine, config: SlackConfig, desk: SalesDesk, client: AsyncWebClient,
              replies: SlackReplies, deliveries: Deliveries | None = None, relays: Relays | None = None) -> AsyncApp:
    """`replies` posts what the engine queued (the runner also runs its background pass); `relays`: the live
    hand-offs sales answer from the notices' threads."""
    relays = relays or engine.relays
    # process_before_response: Slack gets its 200 (or its Socket Mode ack) only once the turn is committed,
    # so a process that dies mid-turn is retried by Slack instead of losing the message; the posting of
    # the reply happens after the response (below). Unhandled requests raise into `on_error` instead of
    # Bolt's multi-line suggestion warning.
    app = AsyncApp(client=client, signing_secret=config.signing_secret or "unused-in-socket-mode",
                   raise_error_for_unhandled_request=True, process_before_response=True)
    posting: ContextVar[list[asyncio.Task]] = ContextVar("posting")
    background: set[asyncio.Task] = set()

    @app.error
    async def on_error(error: Exception, body: dict) -> None:
        if isinstance(error, BoltUnhandledRequestError):
            log.info("slack: nothing handles a %r request", body.get("type") if isinstance(body, dict) else None)
        else:  # a bug of ours in a listener: the traceback is wanted
            log.error("slack: a listener failed", exc_info=error)
    deliveries = deliveries or Deliveries()

    def counted(listener):
        """Count the delivery as done once its listener has returned and the posts it started are over."""
        async def run(**kwargs):
            posting.set([])
            try:
                await listener(**kwargs)
            finally:
                started = posting.get()
                done = asyncio.create_task(_after(started))
                background.add(done)
                done.add_done_callback(background.discard)
        run.__signature__ = inspect.signature(listener)  # Bolt passes what the signature asks for
        return run

    async def _after(started: list[asyncio.Task]) -> None:
        await asyncio.gather(*started, return_exceptions=True)
        await deliveries.finished()

    threads = HandoffThreads(relays, desk, client)

    async def from_sales_thread(event: dict, body: dict) -> bool:
        """A message in a hand-off thread goes to the prospect (if a sales user wrote it). False: not one."""
        outcome = await threads.message(event, body)
        if outcome == "not_relay":
            return False
        log.info("slack: hand-off thread message: %s", outcome)
        posting.get().append(asyncio.create_task(replies.flush()))  # a Slack prospect hears it at once
        return True

    async def converse(key: str, target: dict, user: str, text: str = "", button: str | None = None,
                       keys: tuple[str, ...] = (), attachment: bool = False) -> None:
        message = Message(user=user, text=text, button=button, channel="slack", conversation=key,
                          attachment=attachment)
        engine.handle(message, delivery_keys=keys, reply_to=target)  # None: a redelivery, its reply is queued
        posting.get().append(asyncio.create_task(replies.flush(key)))  # after Slack's response, not before

    async def on_message(event: dict, body: dict, mentioned: bool) -> None:
        if event.get("bot_id") or event.get("subtype") in _IGNORED_SUBTYPES or not event.get("user"):
            return  # our own messages and other bots', edits, joins…
        channel, ts, thread = event["channel"], event["ts"], event.get("thread_ts")
        direct = event.get("channel_type") == "im" or channel.startswith("D")
        team = body.get("team_id") or event.get("team", "")
        key, target = place(team, channel, thread if direct else thread or ts, direct)
        if not direct and thread and await from_sales_thread(event, body):
            # sales talking to a prospect through a hand-off notice's thread; a mention arrives twice (message
            # and app_mention), relayed once: both carry the same message key
            return
        if not direct and not mentioned and not (thread and engine.store.in_place(key)):
            return  # channel chatter the bot was not called into
        if not direct:
            engine.store.join_place(key)  # the thread goes on without mentions
        keys = (f"slack:event:{body.get('event_id')}", f"slack:message:{channel}:{ts}")
        text = plain_text(event.get("text") or "")
        await converse(key, target, event["user"], text=text, keys=keys, attachment=bool(event.get("files")))

    @app.event("message")
    @counted
    async def message(event, body):
        await on_message(event, body, mentioned=False)

    @app.event("app_mention")
    @counted
    async def mention(event, body):
        await on_message(event, body, mentioned=True)

    @app.action(re.compile(f"^{BUTTON_ACTION}_"))
    @counted
    async def button(ack, body, client):
        await ack()
        user, team = body["user"]["id"], body.get("team", {}).get("id", "")
        action = body["actions"][0]
        keys = (f"slack:action:{body.get('trigger_id')}:{action.get('action_ts', '')}",)
        container = body.get("container", {})
        if container.get("type") == "view":  # the App Home button: the DM conversation carries it
            dm = (await client.conversations_open(users=user))["channel"]["id"]
            key, target = place(team, dm, None, direct=True)
        else:
            channel, thread = container["channel_id"], container.get("thread_ts")
            direct = channel.startswith("D")
            key, target = place(team, channel, thread if direct else thread or container["message_ts"], direct)
        await converse(key, target, user, button=action["value"], keys=keys)

    @app.action(re.compile(f"^{LEAD_ACTION}_"))
    @counted
    async def lead_status(ack, body, client):
        await ack()
        action, user, channel = body["actions"][0], body["user"]["id"], body["channel"]["id"]
        delivery = (f"slack:action:{body.get('trigger_id')}:{action.get('action_ts', '')}",)
        if not engine.store.first_delivery(delivery):
            return  # a replayed click
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

    @app.action(RELAY_CLOSE)
    @counted
    async def close_relay(ack, body, client):
        await ack()
        action, user, channel = body["actions"][0], body["user"]["id"], body["channel"]["id"]
        if not engine.store.first_delivery((f"slack:action:{body.get('trigger_id')}:{action.get('action_ts', '')}",)):
            return
        if not desk.is_sales(user):
            await client.chat_postEphemeral(channel=channel, user=user,
                                            text="Sorry, only the sales team can close a hand-off.")
            return
        said = await close_handoff(action["value"], user)
        if not said.startswith("Closed "):  # already closed (by them, by time, by someone else): say so
            await client.chat_postEphemeral(channel=channel, user=user, text=said)

    async def close_handoff(handoff_id: str, user: str) -> str:
        said = await threads.close(handoff_id, user)
        posting.get().append(asyncio.create_task(replies.flush()))  # a Slack prospect is told at once
        return said

    @app.command("/oncall")
    @counted
    async def command(ack, command, respond):
        await ack()
        user, channel, team = command["user_id"], command["channel_id"], command.get("team_id", "")
        text = (command.get("text") or "").strip()
        if text == "close" or text.startswith("close "):  # Slack gives a command no thread: the id, or yours
            await respond(text=await threads.close_command(user, text.removeprefix("close").strip()),
                          response_type="ephemeral")
            return
        if text == "leads":
            try:
                listing = leads_list(desk.open_leads(user))
            except NotAllowed:
                listing = "Sorry, the lead list is only for the sales team."
            await respond(text=listing, response_type="ephemeral")
            return
        share = text.startswith("share ")
        question = text.removeprefix("share ").strip() if share else text
        if question == "forget":
            question = "/forget"
        target = {"response_url": command["response_url"], "response_type": "in_channel" if share else "ephemeral",
                  "short_lived": True}  # Slack takes 5 answers in 30 minutes there: too short for a live hand-off
        if share:
            target["asked"] = f"<@{user}> asked: _{escape(question)}_"
        key = f"slack:{team}:{channel}:command:{user}"
        await converse(key, target, user, text=question or "/help",
                       keys=(f"slack:command:{command.get('trigger_id')}",))

    @app.event("app_home_opened")
    @counted
    async def home(event, client):
        if event.get("tab", "home") == "home":
            await client.views_publish(user_id=event["user"], view=home_view())

    return app
