"""The Slack sink of the outbox: lead cards and hand-off notices posted to the sales channel.

Runs as a task next to the Bolt app. A post that fails (429 after the client's own retries, a 5xx,
Slack unreachable) stays in the outbox and is retried with backoff. A delivery an earlier worker
died in the middle of is checked against the card we remembered and the channel's recent history
before posting again, so a crash does not put the same lead in the channel twice.
"""

from __future__ import annotations

import logging
import time

from slack_sdk.errors import SlackApiError

from adapters.lifecycle import repeat
from adapters.slack.render import handoff_notice, lead_card, relay_message
from bot.sales.desk import SalesDesk
from bot.sales.outbox import Delivery, DeliveryError, Outbox
from bot.sales.relay import Relays

log = logging.getLogger(__name__)
SINK = "slack"
RELAY_EVENT = "oncall_relay"


class SalesChannelWorker:
    def __init__(self, outbox: Outbox, desk: SalesDesk, client, channel: str, limiter, relays: Relays | None = None):
        self.outbox, self.desk, self.client, self.channel, self.limiter = outbox, desk, client, channel, limiter
        self.relays = relays or Relays(outbox.db)

    async def run_once(self, now: float | None = None) -> dict[str, int]:
        self.outbox.offer_leads([SINK])  # leads filed before the sales channel was set (before `now`: due at once)
        now = time.time() if now is None else now
        self.relays.sweep(now)  # hand-offs nobody answered, relays gone quiet: their notes are queued below
        counts = {"sent": 0, "retried": 0, "dead": 0}
        for delivery in self.outbox.claim(now, sinks=(SINK,)):
            try:
                await self._deliver(delivery)
            except SlackApiError as error:
                retry_after = error.response.headers.get("Retry-After") if error.response is not None else None
                problem = DeliveryError(f"slack: {error.response.get('error', 'error')}",
                                        float(retry_after) if retry_after else None)
                counts[self.outbox.failed(delivery, problem, now)] += 1
            except Exception as error:  # noqa: BLE001 - Slack unreachable and the like: retried later
                counts[self.outbox.failed(delivery, error, now)] += 1
            else:
                self.outbox.succeeded(delivery)
                counts["sent"] += 1
        return counts

    async def run_forever(self, interval: float = 2.0) -> None:
        await repeat(self.run_once, interval, "sales channel worker")

    async def _deliver(self, delivery: Delivery) -> None:
        if delivery.kind == "relay":
            await self._relay(delivery)
            return
        if delivery.kind == "relay_card":  # a hand-off closed: its card is redrawn (an edit: safe to repeat)
            notice = self.relays.notice(delivery.payload["handoff"])
            if notice is None:
                raise DeliveryError("the hand-off notice is not posted yet", retry_after=2.0)
            await self.client.chat_update(channel=notice["channel"], ts=notice["ts"], **handoff_notice(
                delivery.payload, closed_note=delivery.payload["closed_note"]))
            return
        if delivery.interrupted and await self._already_posted(delivery.lead_id):
            return
        message = lead_card(delivery.payload) if delivery.kind == "lead" else handoff_notice(delivery.payload)
        async with self.limiter(self.channel):
            response = await self.client.chat_postMessage(channel=self.channel, **message)
        self.desk.remember(delivery.lead_id, SINK, {"channel": response["channel"], "ts": response["ts"]})
        if delivery.kind == "handoff":
            self.relays.notice_posted(delivery.lead_id, response["channel"], response["ts"])

    async def _relay(self, delivery: Delivery) -> None:
        """A line in a hand-off's thread, once: it carries its id in metadata, looked for after a crash."""
        notice = self.relays.notice(delivery.payload["handoff"])
        if notice is None:
            raise DeliveryError("the hand-off notice is not posted yet", retry_after=2.0)
        if delivery.interrupted and await self._in_thread(notice, delivery.lead_id):
            return
        async with self.limiter(notice["channel"]):
            await self.client.chat_postMessage(
                channel=notice["channel"], thread_ts=notice["ts"], **relay_message(delivery.payload),
                metadata={"event_type": RELAY_EVENT, "event_payload": {"line": delivery.lead_id}})

    async def _in_thread(self, notice: dict, line: str) -> bool:
        try:
            found = await self.client.conversations_replies(channel=notice["channel"], ts=notice["ts"],
                                                            include_all_metadata=True, limit=200)
        except SlackApiError:
            return False
        return any((m.get("metadata") or {}).get("event_payload", {}).get("line") == line
                   for m in found.get("messages", []))

    async def _already_posted(self, delivery_id: str) -> bool:
        """Whether the card (or notice) an interrupted delivery was posting is in the channel already."""
        location = self.desk.location(delivery_id, SINK)
        if location is None:
            try:
                history = await self.client.conversations_history(channel=self.channel, limit=100)
            except SlackApiError:
                return False
            found = [m for m in history.get("messages", []) if delivery_id in (m.get("text") or "")]
            if not found:
                return False
            location = {"channel": self.channel, "ts": found[0]["ts"]}
            self.desk.remember(delivery_id, SINK, location)
        if delivery_id.startswith("H-"):  # the notice's thread is where the relay talks
            self.relays.notice_posted(delivery_id, location["channel"], location["ts"])
        return True
