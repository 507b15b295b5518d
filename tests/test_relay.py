"""The relay's rules, on both backends, with a clock: who may talk, what is stored, what time does."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.engine import Engine
from bot.insights.report import build_report
from bot.sales.privacy import forget_user
from bot.sales.relay import Relays, RelaySettings
from bot.types import Message

T0 = 1_800_000_000.0
SETTINGS = RelaySettings(wait_s=600, idle_s=1200)


@pytest.fixture
def fresh_db(any_db):
    return any_db


class Prospect:
    """A Telegram prospect talking to an engine whose clock the test moves."""

    def __init__(self, db, user: str = "42"):
        self.clock = {"now": T0}
        self.engine = Engine(db, notify={"lead": ("slack",), "handoff": ("slack",)}, clock=lambda: self.clock["now"])
        self.engine.relays.settings = SETTINGS
        self.user, self.db, self.updates = user, db, 0

    def say(self, text: str, **kwargs):
        self.updates += 1
        return self.engine.handle(Message(user=self.user, text=text, channel="telegram", **kwargs),
                                  delivery_keys=(f"telegram:update:{self.user}:{self.updates}",),
                                  reply_to={"chat_id": int(self.user)})

    def told(self) -> list[str]:
        rows = self.db.query("select reply from replies where conversation = ? order by id", [f"telegram:{self.user}"])
        return [" ".join(json.loads(r["reply"])["texts"]) for r in rows]

    def thread(self) -> list[str]:
        return [json.loads(r["payload"])["text"] for r in
                self.db.query("select payload from outbox where kind = 'relay' order by id")]


def _sales(relays: Relays, text: str, event: str, user: str = "USALES", is_sales: bool = True, now: float = T0,
           files: bool = False) -> str:
    return relays.from_sales("CSALES", "100.1", user, "Dana", text, files, (f"slack:event:{event}",), is_sales, now)


def _opened(prospect: Prospect) -> dict:
    reply = prospect.say("can I talk to a person?")
    assert reply.intent == "human" and "reply right here" in reply.texts[-1]
    assert "10 minutes" in reply.texts[-1]  # the configured wait, said to the prospect
    assert reply.buttons == ()  # a press would be relayed to the team instead of doing what it says
    [handoff] = prospect.db.query("select * from handoffs")
    prospect.engine.relays.notice_posted(handoff["id"], "CSALES", "100.1")
    return handoff


def test_sales_reply_reaches_the_prospect_once_and_the_prospect_answer_goes_to_the_thread(fresh_db):
    prospect = Prospect(fresh_db)
    _opened(prospect)
    relays = prospect.engine.relays
    assert _sales(relays, "Hi, Dana here. What do you need?", "E1") == "relayed"
    assert _sales(relays, "Hi, Dana here. What do you need?", "E1") == "duplicate"  # Slack's retry
    assert _sales(relays, "lol", "E2", user="UOTHER", is_sales=False) == "not_sales"
    assert prospect.told()[-1] == "**Dana from OnCall:** Hi, Dana here. What do you need?"
    assert sum("Dana here" in t for t in prospect.told()) == 1
    quiet = prospect.say("We need a PM for a 3-month launch, reach me at jo@acme.com")
    assert quiet.intent == "relay.forwarded" and quiet.texts == ()
    assert prospect.thread() == ["We need a PM for a 3-month launch, reach me at jo@acme.com"]  # as typed
    row = fresh_db.one("select status, owner, owner_name, first_reply_at from handoffs")
    assert (row["status"], row["owner"], row["owner_name"], row["first_reply_at"]) == ("open", "USALES", "Dana", T0)
    assert len(prospect.told()) == 2  # the hand-off and Dana's message: the bot said nothing to the relayed one


def test_the_first_sales_user_to_reply_owns_the_hand_off_and_the_lead(fresh_db):
    prospect = Prospect(fresh_db)
    for text in ("I need a PM full time", "asap", "Acme", "Jo Smith", "jo@acme.com", "skip", "skip", "skip", "yes"):
        prospect.say(text)
    assert fresh_db.scalar("select count(*) from leads") == 1
    _opened(prospect)
    _sales(prospect.engine.relays, "Hello Jo", "E1", user="UDANA")
    _sales(prospect.engine.relays, "I'm here too", "E2", user="UBOB")
    assert fresh_db.scalar("select owner from handoffs") == "UDANA"
    assert fresh_db.scalar("select owner from leads") == "UDANA"
    assert prospect.engine.leads.get(fresh_db.scalar("select id from leads"))["owner"] == "UDANA"


def test_nobody_answering_in_time_hands_back_to_the_assistant_and_a_late_reply_reopens(fresh_db):
    prospect = Prospect(fresh_db)
    for text in ("I need a PM full time", "asap", "Acme", "Jo Smith", "jo@acme.com", "skip", "skip", "skip", "yes"):
        prospect.say(text)
    _opened(prospect)
    relays = prospect.engine.relays
    assert relays.sweep(T0 + 599) == {"unanswered": 0, "idle": 0, "undeliverable": 0}
    assert relays.sweep(T0 + 601)["unanswered"] == 1
    assert relays.sweep(T0 + 700)["unanswered"] == 0  # once
    assert "follow up by email at the address you gave" in prospect.told()[-1]
    assert "Nobody replied within 10 minutes" in prospect.thread()[-1]
    assert prospect.say("what does an ops manager do").intent == "ops.role"  # the assistant is back
    assert _sales(relays, "Sorry for the wait!", "E9", now=T0 + 3000) == "relayed"
    assert prospect.told()[-1].endswith("Sorry for the wait!")
    assert prospect.say("no problem").intent == "relay.forwarded"  # reopened
    assert fresh_db.scalar("select status from handoffs") == "open"


def test_a_quiet_relay_closes_and_both_sides_are_told(fresh_db):
    prospect = Prospect(fresh_db)
    _opened(prospect)
    relays = prospect.engine.relays
    _sales(relays, "Hi!", "E1", now=T0 + 10)
    assert relays.sweep(T0 + 10 + 1199)["idle"] == 0
    assert relays.sweep(T0 + 10 + 1201)["idle"] == 1
    assert "back with me, the assistant" in prospect.told()[-1]
    assert prospect.thread()[-1].startswith("_Closed after 20 minutes")
    assert prospect.say("how much does it cost?").intent == "oncall.pricing"


def test_close_cancel_and_forget(fresh_db):
    prospect = Prospect(fresh_db)
    handoff = _opened(prospect)
    relays = prospect.engine.relays
    assert relays.close(handoff["id"].lower(), by="USALES") is True
    assert relays.close(handoff["id"], by="USALES") is False  # already closed
    assert "_Closed by <@USALES>" in prospect.thread()[-1] and "back with me" in prospect.told()[-1]
    prospect.say("can I talk to a person?")
    assert prospect.say("/cancel").intent == "relay.closed"
    assert prospect.say("what does a pm do").intent == "pm.role"
    prospect.say("can I talk to a person?")
    second = fresh_db.one("select id from handoffs where status = 'waiting'")["id"]
    relays.notice_posted(second, "CSALES", "200.2")
    prospect.say("my number is +44 20 7946 0958")
    assert prospect.say("/forget").intent == "forget"
    assert fresh_db.scalar("select count(*) from handoffs where status = 'forgotten'") == 3
    texts = " ".join(prospect.thread())
    assert "7946" not in texts and "[forgotten]" in texts and "delete their data" in texts
    assert relays.from_sales("CSALES", "200.2", "USALES", "Dana", "still there?", False, ("slack:event:E5",),
                             True) == "closed"
    assert not fresh_db.query("select * from replies where key like 'relay:%' and status = 'pending' and "
                              "reply like '%still there%'")


def test_files_are_named_not_passed(fresh_db):
    prospect = Prospect(fresh_db)
    _opened(prospect)
    reply = prospect.say("", attachment=True)
    assert reply.intent == "relay.attachment" and "describe it" in reply.texts[0]
    assert "only text is passed on" in prospect.thread()[-1]
    assert _sales(prospect.engine.relays, "see attached", "E1", files=True) == "relayed"
    assert "only the text of your message reached them" in prospect.thread()[-1]


def test_handoffs_command_and_report_figures(fresh_db, cli, tmp_path):
    from bot.storage.database import open_db

    db = open_db(tmp_path / "h.db")
    prospect = Prospect(db)
    prospect.clock["now"] = datetime.now(UTC).timestamp() - 600
    handoff = _opened(prospect)
    _sales(prospect.engine.relays, "Hi", "E1", now=prospect.clock["now"] + 90)
    out = cli("handoffs", "--open", db_path=tmp_path / "h.db").stdout
    assert handoff["id"] in out and "open" in out and "Dana" in out and "1m30s" in out
    rows = json.loads(cli("handoffs", "--json", db_path=tmp_path / "h.db").stdout)
    assert rows[0]["to_first_reply_s"] == 90.0
    today = datetime.now(UTC).date()
    figures = build_report(db, today, today)["handoffs"]
    assert figures == {"requested": 1, "answered": 1, "unanswered": 0, "open": 1, "median_first_reply_s": 90.0,
                       "median_to_close_s": None}


def test_an_old_thread_does_not_take_the_conversation_from_a_newer_hand_off(fresh_db):
    prospect = Prospect(fresh_db)
    first = _opened(prospect)
    prospect.say("/cancel")
    prospect.say("can I talk to a person?")
    relays = prospect.engine.relays
    newer = fresh_db.one("select id from handoffs where status = 'waiting'")["id"]
    relays.notice_posted(newer, "CSALES", "300.3")
    assert _sales(relays, "sorry, missed this", "E1") == "superseded"  # in the first notice's thread
    assert fresh_db.scalar("select status from handoffs where id = ?", [first["id"]]) == "closed"
    assert not any("missed this" in t for t in prospect.told())
    assert "newer hand-off" in prospect.thread()[-1]


def test_a_file_without_text_from_sales_reaches_nobody_and_says_so(fresh_db):
    prospect = Prospect(fresh_db)
    _opened(prospect)
    assert _sales(prospect.engine.relays, "", "E1", files=True) == "empty"
    assert "nothing reached them" in prospect.thread()[-1] and len(prospect.told()) == 1


def test_without_anywhere_to_send_it_no_promise_is_made_and_the_owner_still_sees_it(fresh_db):
    lonely = Engine(fresh_db)  # no sink configured: nobody would get the notice
    reply = lonely.handle(Message(user="solo", text="can I talk to a real person?"))
    assert reply.intent == "human" and not any("will reply" in t for t in reply.texts)
    assert any("can't reach the team from here" in t for t in reply.texts)
    assert fresh_db.scalar("select status from handoffs") == "unrouted"
    webhook_only = Engine(fresh_db, notify={"handoff": ("webhook",)})  # a notice, but no thread to relay
    told = webhook_only.handle(Message(user="solo2", text="can I talk to a real person?"))
    assert any("A person will reply here or by email" in t for t in told.texts)
    assert fresh_db.scalar("select status from handoffs where conversation = 'console:solo2'") == "notified"
    forget_user(fresh_db, "solo")
    assert fresh_db.scalar("select count(*) from outbox where kind = 'relay'") == 0  # no thread to tell
