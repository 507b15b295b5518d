"""Conversation state lives in SQLite: it survives restarts; the database path is configurable."""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.storage.database import default_location, open_db
from bot.types import Message


@pytest.fixture
def fresh_db(any_db):
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_db

def test_conversation_survives_an_engine_restart(tmp_path):
    path = tmp_path / "state.db"
    Engine(open_db(path)).handle(Message(user="u", text="what skills does a project manager need"))
    restarted = Engine(open_db(path))
    assert restarted.handle(Message(user="u", text="and for an ops manager?")).intent == "ops.skills"


def test_database_path_comes_from_oncall_db_or_the_user_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("ONCALL_DB", str(tmp_path / "x.db"))
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.example/app")
    assert default_location() == str(tmp_path / "x.db")  # ONCALL_DB wins
    monkeypatch.delenv("ONCALL_DB")
    assert default_location() == "postgresql://app@db.example/app"  # then the platform's DATABASE_URL
    monkeypatch.delenv("DATABASE_URL")
    assert default_location().endswith("oncall.db") and "oncall-assistant" in default_location()


def test_db_flag_wins_and_works_before_or_after_the_subcommand(cli, tmp_path):
    chosen = tmp_path / "chosen.db"
    cli("--db", str(chosen), "replay", input='{"user": "a", "text": "hi"}\n')
    cli("replay", "--db", str(chosen), input='{"user": "b", "text": "hi"}\n')
    assert open_db(chosen)["conversations"].count == 2
    assert not cli.db.exists()


def test_corrupt_state_row_starts_the_conversation_afresh(fresh_db):
    engine = Engine(fresh_db)
    fresh_db.execute("insert into conversations values ('test:u', 'u', 'test', 'not json', 0)")
    assert engine.handle(Message(user="u", text="hi", channel="test")).intent == "smalltalk.greet"


def test_a_turn_that_fails_half_way_leaves_nothing_behind(engine, monkeypatch):
    def broken_insert(lead):
        raise RuntimeError("disk full")

    for text in ("hire a full time pm asap", "Globex", "Hank", "hank@globex.com", "skip", "skip", "skip"):
        engine.handle(Message(user="u", text=text))
    monkeypatch.setattr(engine.leads, "insert", broken_insert)
    with pytest.raises(RuntimeError, match="disk full"):
        engine.handle(Message(user="u", text="yes"), delivery_keys=("test:1",))
    monkeypatch.undo()
    assert engine.store.load("console:u")["form"]["expecting"] == "confirm"  # the state did not move on
    assert engine.db.one("select key from seen where key = ?", ["test:1"]) is None  # not marked handled
    reply = engine.handle(Message(user="u", text="yes"), delivery_keys=("test:1",))
    assert reply.lead and len(engine.leads.all()) == 1
