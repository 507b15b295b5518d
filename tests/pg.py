"""A PostgreSQL server for the tests: the machine's cluster, started if it is down, and throwaway
databases on it. Without PostgreSQL the run fails loudly — the PostgreSQL tests are never skipped.

`ONCALL_TEST_PG` names the server (a URL to its maintenance database); the default is the Debian
cluster `15 main` on 127.0.0.1:5432 with the role `oncall`/`oncall`, which `ensure_server()` creates.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import psycopg

DEFAULT = "postgresql://oncall:oncall@127.0.0.1:5432/postgres"
ROLE_SQL = ("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'oncall') THEN "
            "CREATE ROLE oncall LOGIN SUPERUSER PASSWORD 'oncall'; END IF; END$$;")


class NoPostgres(RuntimeError):
    pass


def admin_url() -> str:
    return os.environ.get("ONCALL_TEST_PG", DEFAULT)


def _reachable(url: str) -> str | None:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("select 1")
        return None
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]


def ensure_server() -> str:
    """The admin URL of a running server, starting the local cluster (and its test role) if needed."""
    url = admin_url()
    problem = _reachable(url)
    if problem is None:
        return url
    if "ONCALL_TEST_PG" in os.environ or not shutil.which("pg_ctlcluster"):
        raise NoPostgres(f"PostgreSQL is not reachable at {url}: {problem}")
    steps = [["pg_ctlcluster", "15", "main", "start"],
             ["runuser", "-u", "postgres", "--", "psql", "-q", "-c", ROLE_SQL]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=60)
        if done.returncode != 0 and "already running" not in done.stderr:
            raise NoPostgres(f"could not start PostgreSQL ({' '.join(step[:3])}): {done.stderr.strip()}")
    problem = _reachable(url)
    if problem is not None:
        raise NoPostgres(f"PostgreSQL started but is not reachable at {url}: {problem}")
    return url


def create_database(admin: str) -> str:
    """A new empty database; returns its URL."""
    name = f"oncall_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    return admin.rsplit("/", 1)[0] + "/" + name


def drop_database(admin: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def empty(url: str) -> None:
    """Delete every row of every table but the schema version: a fresh store, without re-migrating."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = current_schema() "
            "and table_name <> 'schema_version'")]
        if tables:
            conn.execute(f"truncate {', '.join(tables)} restart identity")
