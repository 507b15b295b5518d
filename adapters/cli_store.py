"""`oncall-bot prune` and `oncall-bot dead-letters`: the owner's housekeeping of the store."""

from __future__ import annotations

import argparse
import sys
import time

from adapters.cli_args import print_table
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
        return 0
    print_table(("at (UTC)", "channel", "key", "error"),
                [(time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(row["at"])), row["channel"], row["key"],
                  row["error"]) for row in rows], whole=("key",))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot.storage.migrations import latest, migrate

    db = open_db(args.db, migrate=False)
    done = migrate(db)
    for migration in done:
        print(f"applied {migration.version:04d} {migration.name}")
    print(f"{db.describe()}: schema version {latest()}" + ("" if done else " (already up to date)"))
    return 0


def cmd_db_copy(args: argparse.Namespace) -> int:
    from bot.storage.copy import CopyError, copy_store

    source, target = open_db(args.source, migrate=False), open_db(args.target)
    try:
        copied = copy_store(source, target)
    except CopyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Copied {sum(copied.values())} row(s) from {source.describe()} to {target.describe()}: "
          + ", ".join(f"{table} {count}" for table, count in copied.items()))
    return 0


def add_store_commands(add) -> None:
    """`add(name, **kwargs)` makes a subparser that accepts --db."""
    add("prune", help="delete old dedupe keys, sent replies and notifications, dead letters, idle "
                      "conversations (ages: ONCALL_KEEP_*_DAYS)").set_defaults(func=cmd_prune)
    dead = add("dead-letters", help="deliveries skipped after failing repeatedly, with their error")
    dead.add_argument("--limit", type=int, default=50, metavar="N", help="show the N most recent (default: 50)")
    dead.set_defaults(func=cmd_dead_letters)
    add("migrate", help="bring the database's schema up to date (also done on every start)").set_defaults(
        func=cmd_migrate)
    database = add("db", help="the store itself").add_subparsers(dest="db_command", required=True)
    copying = database.add_parser("copy", parents=[add.common],
                                  help="copy a store into an empty one, e.g. a SQLite file to PostgreSQL")
    copying.add_argument("--from", dest="source", required=True, help="the store to read (a path or a URL)")
    copying.add_argument("--to", dest="target", required=True, help="the empty store to fill (e.g. postgresql://…)")
    copying.set_defaults(func=cmd_db_copy)
