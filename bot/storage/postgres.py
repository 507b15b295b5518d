"""The shared backend: PostgreSQL through psycopg 3 and a psycopg-pool connection pool.

Every instance of the bot (web processes, the Telegram worker) uses the same database. A transaction
borrows one pooled connection for its whole length; the thread that opened it runs every statement of
the transaction on it. `lock(key)` is a transaction-scoped advisory lock on a hash of the key: the turns
of one conversation are serialized across instances, whether or not the conversation's row exists yet.
The knowledge base's index is derived data: each process keeps its own copy in memory (see `index`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlite_utils
from psycopg import Connection
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from bot.storage.database import Database

_PASSWORD = re.compile(r"(?<=://)([^/:@]+):[^/@]+@")
POOL_MAX = 8


def _placeholders(sql: str, cache: dict[str, str] = {}) -> str:  # noqa: B006 - a deliberate memo
    """`?` placeholders to psycopg's `%s` (a literal `%` doubled). Our SQL has no `?` inside strings."""
    converted = cache.get(sql)
    if converted is None:
        converted = cache[sql] = sql.replace("%", "%%").replace("?", "%s")
    return converted


class PostgresDatabase(Database):
    backend = "postgresql"

    def __init__(self, url: str, max_size: int = POOL_MAX):
        self.url = url
        self.pool = ConnectionPool(url, min_size=1, max_size=max_size, open=True, name="oncall",
                                   kwargs={"autocommit": True, "row_factory": dict_row})
        self.pool.wait(timeout=30)
        self._bound = threading.local()
        self._index: sqlite_utils.Database | None = None

    def describe(self) -> str:
        return _PASSWORD.sub(r"\1:***@", self.url)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if getattr(self._bound, "conn", None) is not None:
            yield  # nested: part of the transaction already open on this thread
            return
        with self.pool.connection() as conn:
            self._bound.conn = conn
            try:
                with conn.transaction():
                    yield
            finally:
                self._bound.conn = None

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        bound = getattr(self._bound, "conn", None)
        if bound is not None:
            yield bound
        else:
            with self.pool.connection() as conn:
                yield conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._connection() as conn:
            return conn.execute(_placeholders(sql), params).rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._connection() as conn, conn.cursor() as cursor:
            cursor.executemany(_placeholders(sql), list(rows))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict]:
        with self._connection() as conn:
            return conn.execute(_placeholders(sql), params).fetchall()

    def table_names(self) -> list[str]:
        return [r["table_name"] for r in self.query(
            "select table_name from information_schema.tables where table_schema = current_schema()")]

    def lock(self, key: str) -> None:
        self.execute("select pg_advisory_xact_lock(hashtextextended(?, 0))", [key])

    def greatest(self, a: str, b: str) -> str:
        return f"greatest({a}, {b})"

    def json_text(self, column: str, field: str) -> str:
        return f"(({column})::jsonb ->> '{field}')"

    def skip_locked(self) -> str:
        return " for update skip locked"

    def index(self) -> sqlite_utils.Database:
        """The knowledge base's index: derived from the documents, read-only, local to this process."""
        if self._index is None:
            self._index = sqlite_utils.Database(memory=True)
        return self._index

    def close(self) -> None:
        self.pool.close()
