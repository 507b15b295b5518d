"""Conversations, delivery keys, unanswered questions and the small shared lookups, on either backend.

The conversation state is what makes a chat continue across restarts and instances: the last topic and
role (for follow-ups), the last recommendation, the talent-request form. The engine reads and writes it
inside the turn's transaction, after `lock()` has serialized the conversation's turns.
"""

from __future__ import annotations

import json
import time

from bot.storage.database import Database

MAX_STORED_TEXT = 2_000  # an unanswered question is kept for review, never a 100 kB paste


class AlreadyHandled(Exception):
    """The inbound delivery was acted on before (by this process or another instance)."""


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db

    def lock(self, key: str) -> None:
        """Inside the turn's transaction: no other instance runs a turn of this conversation meanwhile."""
        self.db.lock(f"conversation:{key}")

    def load(self, key: str) -> dict | None:
        """The conversation's stored state, as the dialogue layer wrote it (None: a new conversation)."""
        state = self.db.scalar("select state from conversations where key = ?", [key])
        if state is None:
            return None
        try:
            data = json.loads(state)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def save(self, key: str, user: str, channel: str, state: dict) -> None:
        self.db.execute(
            'insert into conversations (key, "user", channel, state, updated_at) values (?, ?, ?, ?, ?) '
            "on conflict (key) do update set state = excluded.state, updated_at = excluded.updated_at",
            [key, user, channel, json.dumps(state, separators=(",", ":")), time.time()],
        )

    def record_fallback(self, text: str, channel: str, user: str) -> None:
        self.db.execute(
            'insert into fallbacks (text, channel, "user", created_at) values (?, ?, ?, ?)',
            [text[:MAX_STORED_TEXT], channel, user, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())],
        )

    def claim_delivery(self, keys: tuple[str, ...]) -> None:
        """Record the delivery's keys, atomically: raises AlreadyHandled (the caller rolls back) if any was
        recorded before, whichever instance did it — the unique key decides, not a read before the write."""
        now = time.time()
        for key in keys:
            if not self.db.execute("insert into seen (key, at) values (?, ?) on conflict (key) do nothing",
                                   [key, now]):
                raise AlreadyHandled(key)

    def first_delivery(self, keys: tuple[str, ...]) -> bool:
        """For a delivery acted on outside a turn (a sales click): True the first time, False on a replay."""
        try:
            with self.db.transaction():
                self.claim_delivery(keys)
        except AlreadyHandled:
            return False
        return True

    def regex_literals(self) -> dict[str, list[list[str]] | None]:
        return {row["source"]: json.loads(row["literals"])
                for row in self.db.query("select source, literals from regex_literal_sets")}

    def save_regex_literals(self, literals: dict[str, list[list[str]] | None], known: set[str]) -> None:
        new = [(source, json.dumps(found)) for source, found in literals.items() if source not in known]
        if new:
            with self.db.transaction():
                self.db.executemany("insert into regex_literal_sets (source, literals) values (?, ?) "
                                    "on conflict (source) do nothing", new)

    def remember_value(self, key: str, value: str) -> None:
        self.db.execute("insert into short_keys (key, value) values (?, ?) on conflict (key) do nothing",
                        [key, value])

    def recall_value(self, key: str) -> str | None:
        return self.db.scalar("select value from short_keys where key = ?", [key])

    def record_dead_letter(self, channel: str, key: str, error: str) -> None:
        self.db.execute("insert into dead_letters (channel, key, error, at) values (?, ?, ?, ?)",
                        [channel, key, error[:300], time.time()])

    def dead_letters(self, limit: int = 50) -> list[dict]:
        return self.db.query("select * from dead_letters order by id desc limit ?", [limit])

    def join_place(self, key: str) -> None:
        self.db.execute("insert into places (key, at) values (?, ?) on conflict (key) do nothing", [key, time.time()])

    def in_place(self, key: str) -> bool:
        return self.db.one("select 1 as found from places where key = ?", [key]) is not None

    def forget(self, user: str) -> tuple[int, int]:
        """Delete everything said by `user` on any channel (inside the caller's transaction): the
        conversations and the unanswered questions deleted."""
        return (self.db.execute('delete from conversations where "user" = ?', [user]),
                self.db.execute('delete from fallbacks where "user" = ?', [user]))

    def fallbacks(self, limit: int = 50) -> list[dict]:
        return self.db.query("select * from fallbacks order by id desc limit ?", [limit])
