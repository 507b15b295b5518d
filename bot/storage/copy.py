"""`oncall-bot db copy`: move a store to another backend (an embedded SQLite file to PostgreSQL).

The target is migrated first and must be empty; rows are copied table by table in one transaction, with
their ids, and the target's id sequences are moved past them. Derived data (the knowledge base's index,
cached regex literals, pacing slots) is not copied: each instance rebuilds it.
"""

from __future__ import annotations

from bot.storage.database import Database

TABLES = ("conversations", "fallbacks", "seen", "short_keys", "leads", "outbox", "posted", "dead_letters",
          "places", "replies", "kb_documents")
IDENTITY = ("fallbacks", "outbox", "dead_letters", "replies")
BATCH = 500


class CopyError(Exception):
    pass


def copy_store(source: Database, target: Database) -> dict[str, int]:
    """Copy every table of `source` that `target` also has; returns the rows copied per table."""
    present = set(source.table_names())
    busy = [t for t in TABLES if t in target.table_names() and target[t].count]
    if busy:
        raise CopyError(f"the target already holds data ({', '.join(busy)}); copy into an empty database")
    copied: dict[str, int] = {}
    with target.transaction():
        for table in TABLES:
            if table not in present:
                continue  # an older source without it: nothing to copy
            rows = source.query(f'select * from "{table}"')
            if rows:
                columns = list(rows[0])
                names = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join("?" for _ in columns)
                for start in range(0, len(rows), BATCH):
                    target.executemany(f'insert into "{table}" ({names}) values ({marks})',
                                       [[row[c] for c in columns] for row in rows[start:start + BATCH]])
            copied[table] = len(rows)
        if target.backend == "postgresql":
            for table in IDENTITY:
                target.execute(f"select setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"coalesce((select max(id) from {table}), 0) + 1, false)")
    for table, count in copied.items():
        if target[table].count != count:
            raise CopyError(f"{table}: {count} rows read but {target[table].count} in the target")
    return copied
