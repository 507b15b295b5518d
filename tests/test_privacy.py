"""`forget`: after it, no table holds the user's name, email, phone or anything they typed."""

from __future__ import annotations

import json

import pytest

from bot.engine import Engine
from bot.sales.outbox import Outbox
from bot.types import Message

NAME, EMAIL, PHONE, NOTE = "Peggy Olson", "peggy@sterlingcooper.com", "+1 212 555 0142", "our launch slipped twice"
TYPED = ["hi, I need a full-time project manager asap", "Sterling Cooper", NAME, EMAIL, PHONE, "skip", NOTE]



@pytest.fixture
def fresh_db(any_db):
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_db

def every_stored_text(db) -> str:
    """All values of all rows of all tables, as one string."""
    return "\n".join(json.dumps(list(row.values()), ensure_ascii=False, default=str)
                     for table in db.table_names() for row in db[table].rows)


def test_forget_leaves_no_name_email_phone_or_transcript_in_any_table(fresh_db):
    engine = Engine(fresh_db, notify={"lead": ("webhook", "slack"), "handoff": ("slack",)})
    user = "telegram-4242"
    say = lambda text: engine.handle(Message(user=user, text=text, channel="telegram"),  # noqa: E731
                                     reply_to={"chat_id": 4242})
    for text in [*TYPED, "yes"]:
        say(text)
    assert engine.leads.all()[0]["email"] == EMAIL
    delivered: list[dict] = []
    assert Outbox(fresh_db).deliver_due({"webhook": delivered.append})["sent"] == 1  # webhook row: sent
    say("can I talk to a real person about " + NOTE)  # a hand-off notice waits for the Slack worker
    [handoff] = [r for r in Outbox(fresh_db).rows(("pending",)) if r["kind"] == "handoff"]
    before = every_stored_text(fresh_db)
    assert all(secret in before for secret in (NAME, EMAIL, NOTE)) and "555" in before  # it was all there

    say("/forget")
    say("yes")

    after = every_stored_text(fresh_db)
    assert [s for s in (NAME, EMAIL, PHONE, "212555", NOTE, "launch slipped") if s in after] == []
    assert fresh_db["outbox"].get(handoff["id"])["status"] == "cancelled"  # never posted to Slack now
    lead = engine.leads.all()[0]
    assert (lead["name"], lead["email"], lead["phone"], lead["transcript"]) == ("[forgotten]", None, None, [])
    assert lead["role"] == "project_manager"  # the lead itself stays for sales statistics


def test_the_worker_does_not_post_a_cancelled_hand_off(fresh_db):
    engine = Engine(fresh_db, notify={"handoff": ("slack",)})
    engine.handle(Message(user="u9", text="I'd like to speak to a human please"))
    assert [r["kind"] for r in Outbox(fresh_db).rows(("pending",))] == ["handoff"]
    engine.handle(Message(user="u9", text="/forget"))
    engine.handle(Message(user="u9", text="yes"))
    posted: list[dict] = []
    assert Outbox(fresh_db).deliver_due({"slack": posted.append}) == {"sent": 0, "retried": 0, "dead": 0}
    assert posted == []
