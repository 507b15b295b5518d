"""Retention: what the store may forget, and when, so it does not grow forever.

Dedupe keys only matter while a platform may redeliver (Slack retries within the hour, Telegram keeps an
unconfirmed update for 24 hours), sent replies and outbox rows only while someone may ask what happened
to them, conversations only while someone may come back to them. Leads, dead outbox rows (they need a
person) and unanswered questions (the owner's to-do list) are never pruned here. The turn log is kept
for ONCALL_KEEP_TURNS_DAYS (180 by default).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, fields

from bot.storage.database import Database

DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Retention:
    """Ages in days; each can be set with ONCALL_KEEP_<NAME>_DAYS (e.g. ONCALL_KEEP_SEEN_DAYS=14)."""

    seen: float = 7.0  # dedupe keys: several times the longest redelivery window (Telegram's 24 hours)
    sent: float = 30.0  # replies and outbox rows delivered (or cancelled)
    dead_letters: float = 90.0
    conversations: float = 90.0  # untouched for this long: state, the threads it joined
    turns: float = 180.0  # the owner's turn log (pseudonymous, redacted): half a year of weekly reports

    @classmethod
    def from_env(cls) -> Retention:
        values = {}
        for field in fields(cls):
            name = f"ONCALL_KEEP_{field.name.upper()}_DAYS"
            raw = os.environ.get(name)
            if raw is None or raw == "":
                continue
            try:
                values[field.name] = float(raw)
            except ValueError:
                raise SystemExit(f"error: {name} must be a number of days, not {raw!r}") from None
            if values[field.name] < 1:
                raise SystemExit(f"error: {name} must be at least 1 day (platforms redeliver for hours)")
        return cls(**values)


# table -> (the rule's age field, the condition that makes a row eligible, its timestamp column)
_RULES = (
    ("seen", "seen", "true", "at"),
    ("replies", "sent", "status = 'sent'", "sent_at"),
    ("outbox", "sent", "status in ('sent', 'cancelled')", "coalesce(sent_at, created_at)"),
    ("dead_letters", "dead_letters", "true", "at"),
    ("conversations", "conversations", "true", "updated_at"),
    ("turns", "turns", "true", "at"),
    # a thread stays joined while its conversation lives (same key), however old the mention was
    ("places", "conversations", "key not in (select key from conversations)", "at"),
)


def prune(db: Database, retention: Retention, now: float | None = None) -> dict[str, int]:
    """Delete what is older than its retention in one transaction; returns rows deleted per table."""
    now = time.time() if now is None else now
    deleted: dict[str, int] = {}
    with db.transaction():
        for table, age_field, condition, stamp in _RULES:
            cutoff = now - getattr(retention, age_field) * DAY
            deleted[table] = db.execute(f"delete from {table} where {condition} and {stamp} < ?", [cutoff])
    return deleted
