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

import sqlite_utils

from bot.types import Button, Reply

LEASE_S = 30.0  # a sender that died mid-send frees its rows after this
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
    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        db.execute("create table if not exists replies (id integer primary key, key text unique, channel text, "
                   "conversation text, user text, target text, reply text, status text, attempts integer, "
                   "parts_sent integer, platform_ids text, next_attempt_at float, lease_until float, "
                   "last_error text, created_at float, sent_at float)")
        db.execute("create index if not exists replies_due on replies (status, channel, next_attempt_at)")

    def enqueue(self, key: str, channel: str, conversation: str, user: str, target: dict, reply: Reply) -> None:
        """Inside the caller's transaction. A key already queued (a redelivered turn) is not queued again."""
        now = time.time()
        self.db.conn.execute(
            "insert or ignore into replies (key, channel, conversation, user, target, reply, status, attempts, "
            "parts_sent, platform_ids, next_attempt_at, created_at) values (?, ?, ?, ?, ?, ?, 'pending', 0, 0, "
            "'[]', ?, ?)",
            [key, channel, conversation, user, json.dumps(target), json.dumps(reply_record(reply)), now, now])

    def claim(self, channel: str, now: float | None = None, conversation: str | None = None,
              limit: int = 20) -> list[Outgoing]:
        """Due replies of `channel` (oldest first), each leased to this sender."""
        now = time.time() if now is None else now
        where, args = "", []
        if conversation is not None:
            where, args = " and conversation = ?", [conversation]
        claimed = []
        with self.db.conn:
            rows = self.db.conn.execute(
                "select id, conversation, target, reply, attempts, parts_sent, lease_until from replies "
                "where status = 'pending' and channel = ? and next_attempt_at <= ? "
                f"and (lease_until is null or lease_until < ?){where} order by id limit ?",
                [channel, now, now, *args, limit]).fetchall()
            for row_id, key, target, reply, attempts, parts_sent, lease in rows:
                taken = self.db.conn.execute(
                    "update replies set lease_until = ? where id = ? and (lease_until is null or lease_until < ?)",
                    [now + LEASE_S, row_id, now]).rowcount
                if taken:
                    claimed.append(Outgoing(row_id, channel, key, json.loads(target),
                                            reply_from_record(json.loads(reply)), attempts, parts_sent,
                                            interrupted=lease is not None))
        return claimed

    def part_sent(self, outgoing: Outgoing, index: int, platform_id: str) -> None:
        """One message of the reply is on the platform: remembered at once, so it is never sent again."""
        with self.db.conn:
            row = self.db.conn.execute("select platform_ids from replies where id = ?", [outgoing.id]).fetchone()
            ids = [*json.loads(row[0] if row else "[]"), platform_id]
            self.db.conn.execute("update replies set parts_sent = ?, platform_ids = ? where id = ?",
                                 [index + 1, json.dumps(ids), outgoing.id])

    def sent(self, outgoing: Outgoing) -> None:
        with self.db.conn:
            self.db.conn.execute("update replies set status = 'sent', sent_at = ?, lease_until = null, "
                                 "last_error = null where id = ?", [time.time(), outgoing.id])

    def failed(self, outgoing: Outgoing, error: str, now: float | None = None,
               retry_after: float | None = None) -> str:
        """Try again soon (1 s doubling up to a minute, or when the platform said), or give up: the status."""
        now = time.time() if now is None else now
        attempts = outgoing.attempts + 1
        wait = retry_after or min(BACKOFF_CAP_S, 2.0 ** (attempts - 1))
        status = "dead" if attempts >= MAX_ATTEMPTS else "pending"
        with self.db.conn:
            self.db.conn.execute(
                "update replies set status = ?, attempts = ?, next_attempt_at = ?, lease_until = null, "
                "last_error = ? where id = ?", [status, attempts, now + wait, error[:300], outgoing.id])
        return status

    def rows(self, statuses: tuple[str, ...] = ("pending", "dead")) -> list[dict]:
        marks = ", ".join("?" for _ in statuses)
        return list(self.db.query(f"select id, channel, conversation, status, attempts, parts_sent, platform_ids, "
                                  f"last_error from replies where status in ({marks}) order by id", list(statuses)))

    def forget(self, user: str) -> None:
        """Privacy: what was going to be said to the user goes with everything else (caller's transaction)."""
        self.db.conn.execute("delete from replies where user = ?", [user])
