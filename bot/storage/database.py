"""One store API over two backends: embedded SQLite (the default) and PostgreSQL (several instances).

Callers write SQL once, in the dialect both understand: `?` placeholders, `insert … on conflict … do`,
`"user"` quoted (a reserved word in PostgreSQL). What differs goes through the database's helpers:
`lock(key)` serializes the turns of one conversation inside a transaction, `greatest(a, b)` and
`json_text(column, field)` spell the two SQL functions whose names differ.

`transaction()` is the unit of work: everything inside commits together or not at all, and nested
calls join the outer transaction. Outside a transaction each statement commits on its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import platformdirs

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class Table:
    """A read-only view of one table, for the owner's commands and the tests (`db["leads"].count`)."""

    def __init__(self, db: Database, name: str):
        self.db, self.name = db, name

    def exists(self) -> bool:
        return self.name in self.db.table_names()

    @property
    def count(self) -> int:
        return int(self.db.scalar(f'select count(*) from "{self.name}"'))

    @property
    def rows(self) -> Iterator[dict]:
        return iter(self.db.query(f'select * from "{self.name}"'))

    def get(self, pk: Any, column: str = "id") -> dict:
        row = self.db.one(f'select * from "{self.name}" where "{column}" = ?', [pk])
        if row is None:
            raise KeyError(f"{self.name}: no row with {column} = {pk!r}")
        return row


class Database:
    backend: str = ""
    url: str = ""

    # -- what each backend implements ---------------------------------------------------------------
    def transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        raise NotImplementedError

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict]:
        raise NotImplementedError

    def table_names(self) -> list[str]:
        raise NotImplementedError

    def lock(self, key: str) -> None:
        """Inside a transaction: wait until no other transaction holds `key`, then hold it until commit."""
        raise NotImplementedError

    def greatest(self, a: str, b: str) -> str:
        raise NotImplementedError

    def json_text(self, column: str, field: str) -> str:
        raise NotImplementedError

    def index_lock(self) -> AbstractContextManager[None]:
        """Held while this process (re)builds its knowledge-base index, where other processes share it."""
        return nullcontext()

    def skip_locked(self) -> str:
        """The clause that makes a claiming select pass over rows another transaction has claimed."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------------------
    def one(self, sql: str, params: Sequence[Any] = ()) -> dict | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else next(iter(row.values()))

    def __getitem__(self, name: str) -> Table:
        return Table(self, name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

    def describe(self) -> str:
        """Where the data is, without a password."""
        return self.url


def default_location() -> str:
    """`ONCALL_DB`, else `DATABASE_URL` (which platforms with a PostgreSQL add-on set), else the embedded
    database in the user's data directory."""
    for variable in ("ONCALL_DB", "DATABASE_URL"):
        configured = os.environ.get(variable)
        if configured:
            return configured if is_postgres(configured) else str(Path(configured).expanduser())
    return str(Path(platformdirs.user_data_dir("oncall-assistant", appauthor=False)) / "oncall.db")


def is_postgres(location: str | Path | None) -> bool:
    return isinstance(location, str) and location.startswith(POSTGRES_SCHEMES)


def open_db(location: str | Path | None = None, migrate: bool = True) -> Database:
    """The store at `location` — a file path, ":memory:" or a postgresql:// URL — with its schema brought up
    to date (bot/storage/migrations.py) unless `migrate` is False."""
    location = str(location) if location else default_location()
    if is_postgres(location):
        from bot.storage.postgres import PostgresDatabase

        db: Database = PostgresDatabase(location)
    else:
        from bot.storage.sqlite import SqliteDatabase

        db = SqliteDatabase(location)
    if migrate:
        from bot.storage.migrations import migrate as apply

        apply(db)
    return db
