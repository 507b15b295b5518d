"""Retention: old dedupe keys, sent replies and notifications, dead letters and idle conversations go;
leads, dead notifications, fresh rows and the threads of live conversations stay."""

from __future__ import annotations

import time

import pytest

from bot.engine import Engine
from bot.storage.database import open_db
from bot.storage.retention import DAY, Retention, prune
from bot.storage.store import Store
from bot.types import Message


@pytest.fixture
def fresh_db(any_db):
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_db

def _age(db, table: str, column: str, days: float) -> None:
    db.execute(f"update {table} set {column} = ?", [time.time() - days * DAY])


def test_prune_deletes_only_what_is_older_than_its_retention(fresh_db):
    engine = Engine(fresh_db, notify={"lead": ("webhook",)})
    engine.handle(Message(user="old", text="what does an ops manager do", channel="slack", conversation="k-old"),
                  delivery_keys=("slack:event:E1",), reply_to={"channel": "D1"})
    store = Store(fresh_db)
    store.join_place("k-old")
    store.record_dead_letter("telegram", "update:1", "RuntimeError")
    [reply] = engine.replies.claim("slack")
    engine.replies.sent(reply)
    for table, column in (("seen", "at"), ("replies", "sent_at"), ("dead_letters", "at"),
                          ("conversations", "updated_at"), ("places", "at"), ("turns", "at")):
        _age(fresh_db, table, column, 200)
    # fresh activity, which must survive: a new conversation, its key and its queued reply
    engine.handle(Message(user="new", text="hello", channel="slack", conversation="k-new"),
                  delivery_keys=("slack:event:E2",), reply_to={"channel": "D2"})
    deleted = prune(fresh_db, Retention())
    assert deleted == {"seen": 1, "replies": 1, "dead_letters": 1, "conversations": 1, "places": 1, "outbox": 0,
                       "turns": 1}
    assert [r["text"] for r in fresh_db["turns"].rows] == ["hello"]
    assert [r["key"] for r in fresh_db["seen"].rows] == ["slack:event:E2"]
    assert [r["key"] for r in fresh_db["conversations"].rows] == ["k-new"]
    assert fresh_db["replies"].count == 1 and fresh_db["dead_letters"].count == 0
    assert prune(fresh_db, Retention()) == {k: 0 for k in deleted}  # nothing left to prune


def test_a_thread_stays_joined_while_its_conversation_is_alive(fresh_db):
    engine = Engine(fresh_db)
    engine.handle(Message(user="u", text="hi", channel="slack", conversation="slack:T:C:1.0"))
    Store(fresh_db).join_place("slack:T:C:1.0")
    _age(fresh_db, "places", "at", 365)  # mentioned a year ago, still talking today
    prune(fresh_db, Retention())
    assert Store(fresh_db).in_place("slack:T:C:1.0")


def test_leads_and_dead_notifications_are_kept_however_old(fresh_db):
    from bot.sales.outbox import Outbox

    outbox = Outbox(fresh_db)
    outbox.enqueue("L-1", "webhook", "lead", {"id": "L-1"})
    outbox.enqueue("L-2", "webhook", "lead", {"id": "L-2"})
    fresh_db.execute("update outbox set status = 'dead' where lead_id = 'L-1'")
    fresh_db.execute("update outbox set status = 'sent', sent_at = ? where lead_id = 'L-2'", [time.time() - 31 * DAY])
    assert prune(fresh_db, Retention())["outbox"] == 1
    assert [r["lead_id"] for r in fresh_db["outbox"].rows] == ["L-1"]


def test_retention_from_the_environment_is_validated(monkeypatch):
    monkeypatch.setenv("ONCALL_KEEP_SEEN_DAYS", "14")
    monkeypatch.setenv("ONCALL_KEEP_CONVERSATIONS_DAYS", "")
    assert Retention.from_env() == Retention(seen=14.0)
    monkeypatch.setenv("ONCALL_KEEP_SENT_DAYS", "a month")
    with pytest.raises(SystemExit, match="ONCALL_KEEP_SENT_DAYS must be a number of days"):
        Retention.from_env()
    monkeypatch.setenv("ONCALL_KEEP_SENT_DAYS", "0.01")
    with pytest.raises(SystemExit, match="at least 1 day"):
        Retention.from_env()


def test_prune_and_dead_letters_commands(cli):
    db = open_db(cli.db)
    Store(db).record_dead_letter("telegram", "update:77", "RuntimeError")
    Store(db).record_dead_letter("telegram", "update:78", "KeyError")
    rows = [line for line in cli("dead-letters").stdout.splitlines() if "update:" in line]  # a table's rows
    cells = [[cell.strip() for cell in row.strip("│ ").split("│")] for row in rows]
    assert [row[2:] for row in cells] == [["update:78", "KeyError"], ["update:77", "RuntimeError"]]
    _age(db, "dead_letters", "at", 100)
    assert cli("prune").stdout.startswith("Pruned 2 row(s)")
    assert cli("dead-letters").stdout == "No dead letters: every delivery was handled.\n"
