"""Claiming due rows of a delivery queue (replies, the outbox) so that several workers share the work
and no row is sent twice at once.

The rows are selected and leased in one transaction: PostgreSQL skips rows another worker's claim has
locked (`FOR UPDATE SKIP LOCKED`), SQLite's `BEGIN IMMEDIATE` lets one claim run at a time. The lease is
short: a worker that crashed mid-send frees its rows after LEASE_S, and the next claim marks them
`interrupted` so the sender can check whether the send went out before repeating it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.storage.database import Database

LEASE_S = 30.0


def claim_due(db: Database, table: str, columns: str, now: float, limit: int, where: str = "",
              params: Sequence[Any] = (), lease_s: float = LEASE_S) -> list[dict]:
    """Pending rows of `table` due at `now` (oldest first, `where` narrowing), leased until now + lease_s.
    Each row has `columns` plus `lease_until` (not null: an earlier claim was never finished)."""
    with db.transaction():
        rows = db.query(
            f"select {columns}, lease_until from {table} where status = 'pending' and next_attempt_at <= ? "
            f"and (lease_until is null or lease_until < ?){where} order by id limit ?{db.skip_locked()}",
            [now, now, *params, limit])
        for row in rows:
            db.execute(f"update {table} set lease_until = ? where id = ?", [now + lease_s, row["id"]])
    return rows
