"""The embedded backend: one SQLite file (or memory), for one process on one machine.

Transactions are `BEGIN IMMEDIATE`: the write lock is taken at the start, so a turn's reads and writes
are serialized with every other writer (another thread's connection, or another process that opened
the file by mistake) instead of failing or losing an update at commit. WAL + synchronous=NORMAL: a
committed turn survives a process crash; only a power cut can lose the last one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.storage.database import Database

BUSY_TIMEOUT_S = 5.0


class SqliteDatabase(Database):
    backend = "sqlite"

    def __init__(self, location: str):
        self.url = location
        self.memory = location == ":memory:"
        if not self.memory:
            Path(location).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(location, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                    check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        if not self.memory:
            self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self._guard = threading.RLock()  # one connection: threads sharing it take turns
        self._depth = 0
        self._index: sqlite_utils.Database | None = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._guard:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
            finally:
                self._depth = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._guard:
            return self.conn.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._guard:
            self.conn.executemany(sql, rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict]:
        with self._guard:
            return [dict(row) for row in self.conn.execute(sql, params)]

    def table_names(self) -> list[str]:
        return [r["name"] for r in self.query("select name from sqlite_master where type = 'table'")]

    def lock(self, key: str) -> None:
        pass  # BEGIN IMMEDIATE already holds the database's write lock for the whole transaction

    def greatest(self, a: str, b: str) -> str:
        return f"max({a}, {b})"

    def json_text(self, column: str, field: str) -> str:
        return f"json_extract({column}, '$.{field}')"

    def skip_locked(self) -> str:
        return ""  # BEGIN IMMEDIATE: one claim at a time

    @contextmanager
    def index_lock(self) -> Iterator[None]:
        """The index lives in this file, which other processes may have opened too: an exclusive lock on a
        side file while building (fcntl: POSIX only; elsewhere builds are not serialized)."""
        if self.memory:
            yield
            return
        try:
            import fcntl
        except ImportError:
            yield
            return
        with open(f"{self.url}.kb-lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def index(self) -> sqlite_utils.Database:
        """The knowledge base's local index: in the same file (its own connection), or the same memory."""
        if self._index is None:
            self._index = sqlite_utils.Database(self.conn if self.memory else self.url)
        return self._index

    def close(self) -> None:
        self.conn.close()
        if self._index is not None and not self.memory:
            self._index.conn.close()
