"""The Slack sink of the outbox: lead cards and hand-off notices posted to the sales channel.

Runs as a task next to the Bolt app. A post that fails (429 after the client's own retries, a 5xx,
Slack unreachable) stays in the outbox and is retried with backoff. A delivery an earlier worker
died in the middle of is checked against the card we remembered and the channel's recent history
before posting again, so a crash does not put the same lead in the channel twice.
"""

from __future__ import annotations

import asyncio
import logging
import time

from slack_sdk.errors import SlackApiError

from adapters.slack.render import handoff_notice, lead_card
from bot.sales.desk import SalesDesk
from bot.sales.outbox import Delivery, DeliveryError, Outbox

log = logging.getLogger(__name__)
SINK = "slack"


class SalesChannelWorker:
    def __init__(self, outbox: Outbox, desk: SalesDesk, client, channel: str, limiter):
        self.outbox, self.desk, self.client, self.channel, self.limiter = outbox, desk, client, channel, limiter

    async def run_once(self, now: float | None = None) -> dict[str, int]:
        now = time.time() if now is None else now
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
        while True:
            try:
                await self.run_once()
            except Exception:  # noqa: BLE001 - keep the worker alive; the rows stay in the outbox
                log.exception("sales channel worker pass failed")
            await asyncio.sleep(interval)

    async def _deliver(self, delivery: Delivery) -> None:
        if delivery.interrupted and await self._already_posted(delivery.lead_id):
            return
        message = lead_card(delivery.payload) if delivery.kind == "lead" else handoff_notice(delivery.payload)
        async with self.limiter(self.channel):
            response = await self.client.chat_postMessage(channel=self.channel, **message)
        if delivery.kind == "lead":
            self.desk.remember(delivery.lead_id, SINK, {"channel": response["channel"], "ts": response["ts"]})

    async def _already_posted(self, lead_id: str) -> bool:
        if self.desk.location(lead_id, SINK):
            return True
        try:
            history = await self.client.conversations_history(channel=self.channel, limit=100)
        except SlackApiError:
            return False
        return any(lead_id in (m.get("text") or "") for m in history.get("messages", []))
