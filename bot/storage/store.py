"""Persistence for conversations and unanswered questions (sqlite-utils on one SQLite file).

The conversation state is what makes a chat continue across process restarts: the last topic and
role (for follow-ups), the last recommendation, and later the talent-request form.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import platformdirs
import sqlite_utils

MAX_STORED_TEXT = 2_000  # an unanswered question is kept for review, never a 100 kB paste


def default_db_path() -> Path:
    """`ONCALL_DB`, else the embedded database in the user's data directory."""
    configured = os.environ.get("ONCALL_DB")
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_data_dir("oncall-assistant", appauthor=False)) / "oncall.db"


def open_db(path: Path | str | None = None) -> sqlite_utils.Database:
    if path == ":memory:":
        db = sqlite_utils.Database(memory=True)
    else:
        target = Path(path) if path else default_db_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(target)
        db.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: each committed turn survives a process crash; only a power cut can lose the last.
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=5000")
    _create_schema(db)
    return db


def _create_schema(db: sqlite_utils.Database) -> None:
    # WITHOUT ROWID: one b-tree keyed by the conversation, read and rewritten on every message.
    db.execute("create table if not exists conversations (key text primary key, user text, channel text, "
               "state text, updated_at float) without rowid")
    db["conversations"].create_index(["user"], if_not_exists=True)
    db["fallbacks"].create(
        {"id": int, "text": str, "channel": str, "user": str, "created_at": str},
        pk="id", if_not_exists=True,
    )
    # Inbound deliveries already acted on (Slack event ids, Telegram update ids...): channels deliver
    # at least once; a key recorded in the same transaction as the turn's effects makes it exactly once.
    db["seen"].create({"key": str, "at": float}, pk="key", if_not_exists=True)
    # The literals each cue regex needs (bot/prefilter.py), so a new process need not parse them again.
    db["regex_literal_sets"].create({"source": str, "literals": str}, pk="source", if_not_exists=True)
    # Short keys for values a channel cannot carry whole (Telegram's 64-byte callback data).
    db["short_keys"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
    # Deliveries that could not be handled after retries (a poison update): skipped, kept for the owner.
    db["dead_letters"].create({"id": int, "channel": str, "key": str, "error": str, "at": float}, pk="id",
                              if_not_exists=True)
    # Places a channel joined (a Slack thread the bot was mentioned in): it keeps listening there.
    db["places"].create({"key": str, "at": float}, pk="key", if_not_exists=True)


class Store:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def load(self, key: str) -> dict | None:
        """The conversation's stored state, as the dialogue layer wrote it (None: a new conversation)."""
        # The per-message path uses the connection directly: sqlite-utils' execute() wrapper costs
        # more than the statement itself here.
        row = self.db.conn.execute("select state from conversations where key = ?", [key]).fetchone()
        if row is None:
            return None
        try:
            data = json.loads(row[0])
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def save(self, key: str, user: str, channel: str, state: dict) -> None:
        self.db.conn.execute(
            "insert into conversations (key, user, channel, state, updated_at) values (?, ?, ?, ?, ?) "
            "on conflict(key) do update set state = excluded.state, updated_at = excluded.updated_at",
            [key, user, channel, json.dumps(state, separators=(",", ":")), time.time()],
        )

    def record_fallback(self, text: str, channel: str, user: str) -> None:
        self.db.conn.execute(
            "insert into fallbacks (text, channel, user, created_at) values (?, ?, ?, ?)",
            [text[:MAX_STORED_TEXT], channel, user, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())],
        )

    def already_seen(self, keys: tuple[str, ...]) -> bool:
        marks = ", ".join("?" for _ in keys)
        found = self.db.conn.execute(f"select 1 from seen where key in ({marks}) limit 1", list(keys)).fetchone()
        return found is not None

    def mark_seen(self, keys: tuple[str, ...]) -> None:
        now = time.time()
        self.db.conn.executemany("insert or ignore into seen (key, at) values (?, ?)", [(k, now) for k in keys])

    def regex_literals(self) -> dict[str, list[list[str]] | None]:
        return {source: json.loads(found) for source, found in
                self.db.conn.execute("select source, literals from regex_literal_sets")}

    def save_regex_literals(self, literals: dict[str, list[list[str]] | None], known: set[str]) -> None:
        new = [(source, json.dumps(found)) for source, found in literals.items() if source not in known]
        if new:
            with self.db.conn:
                self.db.conn.executemany(
                    "insert or ignore into regex_literal_sets (source, literals) values (?, ?)", new)

    def remember_value(self, key: str, value: str) -> None:
        with self.db.conn:
            self.db.conn.execute("insert or ignore into short_keys (key, value) values (?, ?)", [key, value])

    def recall_value(self, key: str) -> str | None:
        row = self.db.conn.execute("select value from short_keys where key = ?", [key]).fetchone()
        return row[0] if row else None

    def record_dead_letter(self, channel: str, key: str, error: str) -> None:
        with self.db.conn:
            self.db.conn.execute("insert into dead_letters (channel, key, error, at) values (?, ?, ?, ?)",
                                 [channel, key, error[:300], time.time()])

    def dead_letters(self, limit: int = 50) -> list[dict]:
        return list(self.db.query("select * from dead_letters order by id desc limit ?", [limit]))

    def join_place(self, key: str) -> None:
        with self.db.conn:
            self.db.conn.execute("insert or ignore into places (key, at) values (?, ?)", [key, time.time()])

    def in_place(self, key: str) -> bool:
        return self.db.conn.execute("select 1 from places where key = ?", [key]).fetchone() is not None

    def forget(self, user: str) -> None:
        """Delete everything said by `user` on any channel (inside the caller's transaction)."""
        self.db.conn.execute("delete from conversations where user = ?", [user])
        self.db.conn.execute("delete from fallbacks where user = ?", [user])

    def fallbacks(self, limit: int = 50) -> list[dict]:
        return list(self.db.query("select * from fallbacks order by id desc limit ?", [limit]))

    def commit(self) -> None:
        self.db.conn.commit()
