"""`oncall-bot prune` and `oncall-bot dead-letters`: the owner's housekeeping of the store."""

from __future__ import annotations

import argparse
import time

from bot.storage.database import open_db
from bot.storage.retention import Retention, prune
from bot.storage.store import Store


def cmd_prune(args: argparse.Namespace) -> int:
    retention = Retention.from_env()
    deleted = prune(open_db(args.db), retention)
    kept = ", ".join(f"{name} {days:g} d" for name, days in (
        ("dedupe keys", retention.seen), ("sent", retention.sent), ("dead letters", retention.dead_letters),
        ("idle conversations", retention.conversations)))
    print(f"Pruned {sum(deleted.values())} row(s): " + ", ".join(f"{t} {n}" for t, n in deleted.items())
          + f" (kept: {kept}).")
    return 0


def cmd_dead_letters(args: argparse.Namespace) -> int:
    rows = Store(open_db(args.db)).dead_letters(args.limit)
    if not rows:
        print("No dead letters: every delivery was handled.")
    for row in rows:
        at = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row["at"]))
        print(f"{at}  {row['channel']:>8}  {row['key']}  {row['error']}")
    return 0


def add_store_commands(add) -> None:
    """`add(name, **kwargs)` makes a subparser that accepts --db."""
    add("prune", help="delete old dedupe keys, sent replies and notifications, dead letters, idle "
                      "conversations (ages: ONCALL_KEEP_*_DAYS)").set_defaults(func=cmd_prune)
    dead = add("dead-letters", help="deliveries skipped after failing repeatedly, with their error")
    dead.add_argument("--limit", type=int, default=50)
    dead.set_defaults(func=cmd_dead_letters)
