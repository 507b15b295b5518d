"""Schema migrations: ordered SQL files per backend (`NNNN_name.sqlite.sql`, `NNNN_name.postgresql.sql`),
recorded in `schema_version`, applied on open or by `oncall-bot migrate`.

All of it runs in one transaction that first takes the migration lock (PostgreSQL: an advisory lock;
SQLite: BEGIN IMMEDIATE), so two instances starting at once apply each migration exactly once and the
second simply finds the work done. A failing migration rolls back entirely.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import cache
from importlib import resources

from bot.storage.database import Database

_FILE = re.compile(r"^(\d{4})_(\w+)\.(sqlite|postgresql)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: dict[str, str]  # backend -> script

    def statements(self, backend: str) -> list[str]:
        script = "\n".join(line for line in self.sql[backend].splitlines() if not line.startswith("--"))
        return [statement.strip() for statement in script.split(";") if statement.strip()]


@cache
def migrations() -> tuple[Migration, ...]:
    found: dict[int, Migration] = {}
    for entry in resources.files(__name__).iterdir():
        match = _FILE.match(entry.name)
        if not match:
            continue
        version, name, backend = int(match.group(1)), match.group(2), match.group(3)
        migration = found.setdefault(version, Migration(version, name, {}))
        migration.sql[backend] = entry.read_text(encoding="utf-8")
    for migration in found.values():
        if set(migration.sql) != {"sqlite", "postgresql"}:
            raise RuntimeError(f"migration {migration.version:04d}_{migration.name} needs both backends' SQL")
    return tuple(sorted(found.values(), key=lambda m: m.version))


def latest() -> int:
    return migrations()[-1].version


def applied(db: Database) -> set[int]:
    if "schema_version" not in db.table_names():
        return set()
    return {row["version"] for row in db.query("select version from schema_version")}


def migrate(db: Database) -> list[Migration]:
    """Bring the schema up to date; returns the migrations this call applied (usually none)."""
    if applied(db) >= {m.version for m in migrations()}:
        return []  # the common case, without taking the lock
    done: list[Migration] = []
    with db.transaction():
        db.lock("oncall-assistant:migrations")
        db.execute("create table if not exists schema_version (version integer primary key, name text, "
                   "applied_at double precision)")
        already = applied(db)
        for migration in migrations():
            if migration.version in already:
                continue
            for statement in migration.statements(db.backend):
                db.execute(statement)
            db.execute("insert into schema_version (version, name, applied_at) values (?, ?, ?)",
                       [migration.version, migration.name, time.time()])
            done.append(migration)
    return done
