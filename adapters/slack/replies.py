"""Post the engine's queued replies to Slack (bot/storage/replies.py).

Every reply is committed with its turn before it is posted, so a crash between the two loses nothing:
the next pass (or the next process) posts it. A post carries the reply's id in Slack message metadata;
a reply whose sender died mid-post is looked up in the conversation first and not posted twice.
Posts are paced per channel (about one a second) and a failed post is retried with backoff.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.lifecycle import repeat
from adapters.slack.render import reply_message
from bot.storage.replies import Outgoing, ReplyQueue

log = logging.getLogger(__name__)
CHANNEL = "slack"
METADATA_EVENT = "oncall_reply"


class SlackReplies:
    def __init__(self, queue: ReplyQueue, client, limiter):
        self.queue, self.client, self.limiter = queue, client, limiter

    async def flush(self, conversation: str | None = None) -> int:
        """Post what is due (for one conversation, or all); returns how many replies went out."""
        sent = 0
        for outgoing in self.queue.claim(CHANNEL, conversation=conversation):
            try:
                if not (outgoing.interrupted and await self._already_posted(outgoing)):
                    await self._post(outgoing)
            except SlackApiError as error:
                retry_after = error.response.headers.get("Retry-After") if error.response is not None else None
                self.queue.failed(outgoing, f"slack: {error.response.get('error', 'error')}",
                                  retry_after=float(retry_after) if retry_after else None)
            except Exception as error:  # noqa: BLE001 - Slack unreachable and the like: the reply waits
                self.queue.failed(outgoing, f"{type(error).__name__}")
            else:
                self.queue.sent(outgoing)
                sent += 1
        return sent

    async def run_forever(self, interval: float = 1.0) -> None:
        await repeat(self.flush, interval, "slack reply")

    async def _post(self, outgoing: Outgoing) -> None:
        message = reply_message(outgoing.reply)
        target = outgoing.target
        if target.get("asked"):  # "/oncall share": who asked what, above the answer
            message["blocks"].insert(0, {"type": "context", "elements": [{"type": "mrkdwn", "text": target["asked"]}]})
        if "response_url" in target:  # a slash command: answered where it was typed, member or not
            response = await AsyncWebhookClient(target["response_url"]).send(
                response_type=target.get("response_type", "ephemeral"), **message)
            if response.status_code >= 400:
                raise ConnectionError(f"response_url answered {response.status_code}")
            self.queue.part_sent(outgoing, 0, "response_url")
            return
        async with self.limiter(target["channel"]):
            response = await self.client.chat_postMessage(
                channel=target["channel"], thread_ts=target.get("thread_ts"),
                metadata={"event_type": METADATA_EVENT, "event_payload": {"reply": outgoing.id}}, **message)
        self.queue.part_sent(outgoing, 0, response["ts"])

    async def _already_posted(self, outgoing: Outgoing) -> bool:
        target = outgoing.target
        if "response_url" in target:
            return False
        try:
            if target.get("thread_ts"):
                found = await self.client.conversations_replies(channel=target["channel"], ts=target["thread_ts"],
                                                                include_all_metadata=True, limit=50)
            else:
                found = await self.client.conversations_history(channel=target["channel"],
                                                                include_all_metadata=True, limit=50)
        except SlackApiError:
            return False
        return any((m.get("metadata") or {}).get("event_payload", {}).get("reply") == outgoing.id
                   for m in found.get("messages", []))
