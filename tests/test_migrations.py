"""Schema versions: a store from the first release upgrades in place, two instances starting at once
migrate once, and `db copy` moves an embedded store to PostgreSQL without losing a row."""

from __future__ import annotations

import sqlite3
import threading

import pg
import psycopg

from bot.engine import Engine
from bot.storage.database import open_db
from bot.storage.migrations import latest, migrations
from bot.types import Message

from conftest import ROOT

RELEASE_1 = ROOT / "tests" / "data" / "release-1.sql"


def release_1_store(path) -> str:
    with sqlite3.connect(path) as conn:
        conn.executescript(RELEASE_1.read_text())
    return str(path)


def test_a_store_from_the_first_release_upgrades_in_place(tmp_path):
    location = release_1_store(tmp_path / "old.db")
    db = open_db(location)
    assert {r["version"] for r in db.query("select version from schema_version")} == {m.version for m in migrations()}
    engine = Engine(db)
    [lead] = engine.leads.all()
    assert (lead["name"], lead["email"], lead["role"]) == ("Peggy Olson", "peggy@sterlingcooper.com", "project_manager")
    assert engine.outbox.rows(("pending",))  # its notifications are still queued
    follow_up = engine.handle(Message(user="U1", text="and when should I hire one?", channel="slack",
                                      conversation="slack:T1:D1"))
    assert follow_up.intent == "ops.when_to_hire"  # the conversation's topic (ops) survived the upgrade
    redelivered = engine.handle(Message(user="telegram-1", text="yes", channel="telegram", conversation="telegram:1"),
                                delivery_keys=("telegram:update:107",))
    assert redelivered is None and len(engine.leads.all()) == 1  # its dedupe keys survived too
    assert open_db(location).scalar("select count(*) from schema_version") == latest()  # reopening: no change


def test_two_instances_starting_at_once_migrate_once(tmp_path, pg_url):
    admin = pg.admin_url()
    for location in (str(tmp_path / "race.db"), pg.create_database(admin)):
        errors: list[BaseException] = []

        def start(location: str = location, errors: list = errors) -> None:
            try:
                open_db(location).close()
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=start) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        db = open_db(location)
        assert errors == [] and db.scalar("select count(*) from schema_version") == latest()
        db.close()
        if location.startswith("postgresql"):
            pg.drop_database(admin, location)


def test_db_copy_moves_an_embedded_store_to_postgresql(tmp_path, cli):
    source = release_1_store(tmp_path / "old.db")
    target = pg.create_database(pg.admin_url())
    try:
        done = cli("db", "copy", "--from", source, "--to", target)
        assert "leads 1" in done.stdout and "outbox 2" in done.stdout and ":***@" in done.stdout
        again = cli("db", "copy", "--from", source, "--to", target, check=False)
        assert again.returncode == 1 and "already holds data" in again.stderr
        engine = Engine(open_db(target))
        assert engine.leads.all()[0]["email"] == "peggy@sterlingcooper.com"
        reply = engine.handle(Message(user="U1", text="and when should I hire one?", channel="slack",
                                      conversation="slack:T1:D1"))
        assert reply.intent == "ops.when_to_hire"
        engine.handle(Message(user="u4", text="what's the weather on mars"))  # a new fallback row: ids moved on
        with psycopg.connect(target) as conn:
            assert conn.execute("select count(*) from fallbacks").fetchone()[0] == 2
        engine.db.close()
    finally:
        pg.drop_database(pg.admin_url(), target)


def test_migrate_command_reports_the_version(cli):
    first = cli("migrate").stdout
    assert "applied 0001 baseline" in first and f"schema version {latest()}" in first
    assert "already up to date" in cli("migrate").stdout
