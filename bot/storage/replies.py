"""Replies to send, stored in the same transaction as the turn that wrote them.

A channel adapter hands the engine where the answer should go; the engine commits the reply with the
turn, and the channel's sender posts it from here and records the platform's message id. A process that
dies between the commit and the post sends the reply when it (or another worker) starts again, and a
reply is claimed with a short lease, so two senders never post the same row.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from bot.storage.claims import claim_due
from bot.storage.database import Database
from bot.types import Button, Reply

MAX_ATTEMPTS = 8
BACKOFF_CAP_S = 60.0


@dataclass(frozen=True, slots=True)
class Outgoing:
    id: int
    channel: str
    conversation: str
    target: dict  # where it goes: {"channel": …, "thread_ts": …} on Slack, {"chat_id": …} on Telegram
    reply: Reply
    attempts: int
    parts_sent: int  # a reply split into several messages resumes after the last one sent
    interrupted: bool  # an earlier sender took it and died: it may already be on the platform


def reply_record(reply: Reply) -> dict:
    return {"intent": reply.intent, "texts": list(reply.texts), "expecting": reply.expecting,
            "buttons": [[b.label, b.value] for b in reply.buttons]}


def reply_from_record(record: dict) -> Reply:
    return Reply(record["intent"], 1.0, tuple(record["texts"]), tuple(Button(*b) for b in record["buttons"]),
                 expecting=record.get("expecting"))


class ReplyQueue:
    def __init__(self, db: Database):
        self.db = db

    def enqueue(self, key: str, channel: str, conversation: str, user: str, target: dict, reply: Reply) -> None:
        """Inside the caller's transaction. A key already queued (a redelivered turn) is not queued again."""
        now = time.time()
        self.db.execute(
            'insert into replies (key, channel, conversation, "user", target, reply, status, attempts, '
            "parts_sent, platform_ids, next_attempt_at, created_at) values (?, ?, ?, ?, ?, ?, 'pending', 0, 0, "
            "'[]', ?, ?) on conflict (key) do nothing",
            [key, channel, conversation, user, json.dumps(target), json.dumps(reply_record(reply)), now, now])

    def claim(self, channel: str, now: float | None = None, conversation: str | None = None,
              limit: int = 20) -> list[Outgoing]:
        """Due replies of `channel` (oldest first), each leased to this sender."""
        now = time.time() if now is None else now
        where, args = " and channel = ?", [channel]
        if conversation is not None:
            where, args = where + " and conversation = ?", [channel, conversation]
        rows = claim_due(self.db, "replies", "id, conversation, target, reply, attempts, parts_sent", now, limit,
                         where, args)
        return [Outgoing(row["id"], channel, row["conversation"], json.loads(row["target"]),
                         reply_from_record(json.loads(row["reply"])), row["attempts"], row["parts_sent"],
                         interrupted=row["lease_until"] is not None) for row in rows]

    def part_sent(self, outgoing: Outgoing, index: int, platform_id: str) -> None:
        """One message of the reply is on the platform: remembered at once, so it is never sent again."""
        with self.db.transaction():
            ids = [*json.loads(self.db.scalar("select platform_ids from replies where id = ?", [outgoing.id])
                               or "[]"), platform_id]
            self.db.execute("update replies set parts_sent = ?, platform_ids = ? where id = ?",
                            [index + 1, json.dumps(ids), outgoing.id])

    def sent(self, outgoing: Outgoing) -> None:
        self.db.execute("update replies set status = 'sent', sent_at = ?, lease_until = null, "
                        "last_error = null where id = ?", [time.time(), outgoing.id])

    def failed(self, outgoing: Outgoing, error: str, now: float | None = None,
               retry_after: float | None = None) -> str:
        """Try again soon (1 s doubling up to a minute, or when the platform said), or give up: the status."""
        now = time.time() if now is None else now
        attempts = outgoing.attempts + 1
        wait = retry_after or min(BACKOFF_CAP_S, 2.0 ** (attempts - 1))
        status = "dead" if attempts >= MAX_ATTEMPTS else "pending"
        self.db.execute(
            "update replies set status = ?, attempts = ?, next_attempt_at = ?, lease_until = null, "
            "last_error = ? where id = ?", [status, attempts, now + wait, error[:300], outgoing.id])
        return status

    def rows(self, statuses: tuple[str, ...] = ("pending", "dead")) -> list[dict]:
        marks = ", ".join("?" for _ in statuses)
        return self.db.query(f"select id, channel, conversation, status, attempts, parts_sent, platform_ids, "
                             f"last_error from replies where status in ({marks}) order by id", list(statuses))

    def forget(self, user: str) -> int:
        """Privacy: what was going to be said to the user goes with everything else (caller's transaction)."""
        return self.db.execute('delete from replies where "user" = ?', [user])
