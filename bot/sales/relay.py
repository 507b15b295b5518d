"""Live hand-off: sales talk to a prospect from the Slack thread of the hand-off notice.

A hand-off notice in the sales channel opens a relay for its conversation. Until it closes, what the
prospect types goes to the thread (an outbox row, kind "relay") and the assistant stays quiet; what a
sales user writes in the thread goes to the prospect's own channel (a queued reply, like the
assistant's). Both ways are rows written in the transaction of the turn or the event that caused them, so
they are deduplicated, paced and delivered exactly once by the senders that already do that.

Statuses: waiting (nobody from sales has answered yet), open, unanswered (nobody answered in time: the
assistant answers again, a later reply from sales reopens the relay), closed, forgotten (the prospect
asked to be forgotten: nothing reaches them any more).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass

import intents as intent_data
from bot.sales.leads import FORGOTTEN
from bot.sales.outbox import Outbox
from bot.storage.database import Database
from bot.storage.replies import BACKOFF_CAP_S, ReplyQueue
from bot.storage.store import AlreadyHandled, Store
from bot.types import Message, Reply

LIVE = ("waiting", "open")
UNRELAYED = ("notified", "unrouted")  # hand-offs kept for the owner's figures, with no relay behind them
SINK = "slack"
CANCEL = "/cancel"


@dataclass(frozen=True, slots=True)
class RelaySettings:
    wait_s: float = 15 * 60  # ONCALL_HANDOFF_WAIT_MINUTES: no reply from sales by then, the assistant resumes
    idle_s: float = 30 * 60  # ONCALL_RELAY_IDLE_MINUTES: an open relay with no message for this long closes

    @classmethod
    def from_env(cls) -> RelaySettings:
        values = {}
        for field, name in (("wait_s", "ONCALL_HANDOFF_WAIT_MINUTES"), ("idle_s", "ONCALL_RELAY_IDLE_MINUTES")):
            raw = os.environ.get(name, "").strip()
            if raw:
                try:
                    values[field] = float(raw) * 60
                except ValueError:
                    raise SystemExit(f"error: {name} must be a number of minutes, not {raw!r}") from None
                if values[field] <= 0:
                    raise SystemExit(f"error: {name} must be more than 0 minutes")
        return cls(**values)


class Relays:
    def __init__(self, db: Database, settings: RelaySettings | None = None):
        self.db = db
        self.settings = settings or RelaySettings.from_env()
        self.texts = intent_data.messages()["relay"]
        self.replies = ReplyQueue(db)

    # -- the prospect's side, inside the engine's turn transaction ---------------------------------------
    def open(self, handoff: dict, target: dict, email: str | None, now: float) -> str:
        """A hand-off notice is queued: the relay waits for sales. Returns what to tell the prospect."""
        self.db.execute("update handoffs set status = 'closed', closed_at = ?, close_reason = 'asked again' "
                        "where conversation = ? and status = 'unanswered'", [now, handoff["conversation"]])
        self.db.execute(
            'insert into handoffs (id, conversation, "user", channel, target, question, campaign, status, '
            "created_at, last_activity_at, email) values (?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?)",
            [handoff["id"], handoff["conversation"], handoff["user"], handoff["channel"], json.dumps(target),
             handoff.get("question"), handoff.get("campaign"), now, now, email])
        return self.texts["opened"].format(wait=_minutes(self.settings.wait_s))

    def note(self, handoff: dict, status: str, now: float) -> None:
        """A hand-off without a relay: "notified" (sales got the notice), "unrouted" (no sink was configured)."""
        self.db.execute(
            'insert into handoffs (id, conversation, "user", channel, question, campaign, status, created_at, '
            "last_activity_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [handoff["id"], handoff["conversation"], handoff["user"], handoff["channel"], handoff.get("question"),
             handoff.get("campaign"), status, now, now])

    def active(self, conversation: str) -> dict | None:
        return self.db.one(f"select * from handoffs where conversation = ? and status in {LIVE} "
                           "order by created_at desc limit 1", [conversation])

    def takes(self, message: Message) -> bool:
        """Whether a message during a live relay is the relay's: everything but commands (/forget, /start…)
        and the erasure button, which the assistant still handles; /cancel ends the relay."""
        text = message.text.strip()
        if message.button is not None:
            return message.button != "intent:forget"
        return not text.startswith("/") or text.lower().startswith(CANCEL)

    def from_prospect(self, relay: dict, message: Message, now: float) -> Reply:
        """The prospect's message goes to the thread; the assistant says nothing (or why not, for a file)."""
        if message.text.strip().lower().startswith(CANCEL):
            self._close(relay, "cancelled", now, self._note("cancelled"))
            return Reply("relay.closed", 1.0, (self.texts["cancelled"],))
        self.db.execute("update handoffs set last_activity_at = ? where id = ?", [now, relay["id"]])
        said = message.text.strip() or (f"[pressed: {message.button}]" if message.button else "")
        if said:
            self._to_thread(relay["id"], {"from": "prospect", "text": said})
        if message.attachment:
            self._to_thread(relay["id"], {"from": "note", "text": self._note("prospect_attachment")})
            return Reply("relay.attachment", 1.0, (self.texts["attachment"],))
        return Reply("relay.forwarded", 1.0, ())

    # -- the sales side, each call its own transaction --------------------------------------------------
    def from_sales(self, notice_channel: str, thread_ts: str, user: str, name: str, text: str,
                   attachment: bool, keys: tuple[str, ...], is_sales: bool, now: float | None = None) -> str:
        """A message in a thread of the sales channel. Returns what became of it: relayed, not_relay (not a
        hand-off thread), not_sales, duplicate, closed (the prospect was forgotten) or empty."""
        now = time.time() if now is None else now
        relay = self.db.one("select * from handoffs where notice_channel = ? and notice_ts = ?",
                            [notice_channel, thread_ts])
        if relay is None or relay["status"] in UNRELAYED:
            return "not_relay"  # a notice without a relay (asked through /oncall): its thread is sales' own
        if not is_sales:
            return "not_sales"  # a colleague's remark in the thread stays in the thread
        try:
            with self.db.transaction():
                self.db.lock(f"conversation:{relay['conversation']}")  # in order with the prospect's turns
                Store(self.db).claim_delivery(keys)
                return self._deliver_from_sales(self.db.one("select * from handoffs where id = ?", [relay["id"]]),
                                                user, name, text.strip(), attachment, now)
        except AlreadyHandled:
            return "duplicate"

    def _deliver_from_sales(self, relay: dict, user: str, name: str, text: str, attachment: bool,
                            now: float) -> str:
        if relay["status"] == "forgotten":
            self._to_thread(relay["id"], {"from": "note", "text": self._note("not_open")})
            return "closed"
        if attachment:
            self._to_thread(relay["id"], {"from": "note", "text": self._note(
                "sales_attachment" if text else "sales_file_only")})
        if not text:
            return "empty"
        if relay["status"] not in LIVE and self.active(relay["conversation"]) is not None:
            self._to_thread(relay["id"], {"from": "note", "text": self._note("newer_thread")})
            return "superseded"  # an old thread must not take the conversation from the live one
        self.db.execute(
            "update handoffs set status = 'open', owner = coalesce(owner, ?), owner_name = coalesce(owner_name, ?), "
            "first_reply_at = coalesce(first_reply_at, ?), last_activity_at = ?, closed_at = null, "
            "close_reason = null where id = ?", [user, name, now, now, relay["id"]])
        self.db.execute("update leads set owner = ? where conversation = ? and owner is null",
                        [user, relay["conversation"]])
        said = self.texts["from_sales"].format(name=name, text=text)
        self._to_prospect(relay, Reply("relay.message", 1.0, (said,)))
        return "relayed"

    def close(self, handoff_id: str, by: str, now: float | None = None) -> bool:
        """Close from the sales side (the card's button, `/oncall close`): False if it was not live."""
        now = time.time() if now is None else now
        with self.db.transaction():
            relay = self.get(handoff_id)
            if relay is None:
                return False
            self.db.lock(f"conversation:{relay['conversation']}")
            relay = self.get(handoff_id)  # as it is now that no turn of theirs (a /cancel…) is under way
            if relay["status"] not in (*LIVE, "unanswered"):
                return False
            # the card is updated by the caller at once (it has Slack at hand), not through the outbox
            self._close(relay, "closed", now, self._note("closed", who=f"<@{by}>"), tell=relay["status"] in LIVE,
                        card=False)
        return True

    def get(self, handoff_id: str) -> dict | None:
        return self.db.one("select * from handoffs where id = ?", [handoff_id.strip().upper()])

    def owned_by(self, user: str) -> list[str]:
        rows = self.db.query(f"select id from handoffs where owner = ? and status in {LIVE} order by created_at",
                             [user])
        return [row["id"] for row in rows]

    def notice_posted(self, handoff_id: str, channel: str, ts: str) -> None:
        self.db.execute("update handoffs set notice_channel = ?, notice_ts = ? where id = ?", [channel, ts, handoff_id])

    def notice(self, handoff_id: str) -> dict | None:
        row = self.db.one("select notice_channel, notice_ts from handoffs where id = ?", [handoff_id])
        return {"channel": row["notice_channel"], "ts": row["notice_ts"]} if row and row["notice_ts"] else None

    # -- time passing -----------------------------------------------------------------------------------
    def sweep(self, now: float | None = None) -> dict[str, int]:
        """Nobody answered in time → unanswered; open and quiet too long → closed; a message that could not
        be delivered → a note in the thread. Safe to run on every instance at once."""
        now = time.time() if now is None else now
        counts = {"unanswered": 0, "idle": 0, "undeliverable": 0}
        waited = self.db.query("select id from handoffs where status = 'waiting' and created_at < ?",
                               [now - self.settings.wait_s])
        quiet = self.db.query("select id from handoffs where status = 'open' and last_activity_at < ?",
                              [now - self.settings.idle_s])
        for rows, status, kind in ((waited, "waiting", "unanswered"), (quiet, "open", "idle")):
            for row in rows:
                with self.db.transaction():
                    relay = self.db.one("select * from handoffs where id = ?", [row["id"]])
                    self.db.lock(f"conversation:{relay['conversation']}")
                    relay = self.db.one("select * from handoffs where id = ? and status = ?", [row["id"], status])
                    if relay is not None:
                        (self._no_reply if kind == "unanswered" else self._idle)(relay, now)
                        counts[kind] += 1
        # (seen keeps its keys a week: only failures younger than that are looked at, so none is told twice).
        # A failure retried within the backoff cap (a 5xx, a timeout) is not news; a reply given up on, or one
        # the platform will not take for a long while (a bot blocked by the user), is.
        for row in self.db.query("select key, last_error from replies where key like 'relay:%' and "
                                 "last_error is not null and (status = 'dead' or next_attempt_at > ?) and "
                                 "created_at > ?", [now + BACKOFF_CAP_S, now - 6 * 86_400]):
            handoff_id = row["key"].split(":")[1]
            with self.db.transaction():  # the note and its "told" mark together: a crash between loses neither
                if self.db.execute("insert into seen (key, at) values (?, ?) on conflict (key) do nothing",
                                   [f"undeliverable:{row['key']}", now]):
                    self._to_thread(handoff_id, {"from": "note", "text": self._note("undeliverable",
                                                                                    error=row["last_error"])})
                    counts["undeliverable"] += 1
        return counts

    def _no_reply(self, relay: dict, now: float) -> None:
        by_email = self.texts["by_email"] if relay["email"] else ""
        self.db.execute("update handoffs set status = 'unanswered', last_activity_at = ? where id = ?",
                        [now, relay["id"]])
        self._to_prospect(relay, Reply("relay.no_reply", 1.0, (self.texts["no_reply"].format(by_email=by_email),)))
        self._to_thread(relay["id"], {"from": "note", "text": self._note(
            "no_reply", wait=_minutes(self.settings.wait_s), by_email=by_email)})

    def _idle(self, relay: dict, now: float) -> None:
        self._close(relay, "idle", now, self._note("idle", idle=_minutes(self.settings.idle_s)))

    def _close(self, relay: dict, reason: str, now: float, note: str, tell: bool = True, card: bool = True) -> None:
        self.db.execute("update handoffs set status = 'closed', closed_at = ?, close_reason = ? where id = ?",
                        [now, reason, relay["id"]])
        self._to_thread(relay["id"], {"from": "note", "text": note})
        if card:
            self._card(relay, note)
        if tell and reason != "cancelled":  # /cancel is answered by the turn itself
            self._to_prospect(relay, Reply("relay.closed", 1.0, (self.texts["closed"],)))

    # -- privacy ----------------------------------------------------------------------------------------
    def forget(self, user: str, now: float | None = None) -> int:
        """Inside forget_user's transaction: the relay closes for good, our copies of what was said go.
        Returns the hand-offs closed by it."""
        now = time.time() if now is None else now
        relays = self.db.query('select * from handoffs where "user" = ?', [user])
        for relay in relays:
            if relay["status"] not in ("forgotten", *UNRELAYED):  # no thread to tell without a relay
                self._to_thread(relay["id"], {"from": "note", "text": self._note("forgotten")})
                self._card(relay, self._note("forgotten"), forgotten=True)
            self.db.execute("update handoffs set status = 'forgotten', question = null, target = null, "
                            "email = null, closed_at = coalesce(closed_at, ?), close_reason = coalesce("
                            "close_reason, 'forgotten') where id = ?", [now, relay["id"]])
            for row in self.db.query("select id, kind, payload from outbox where kind in ('relay', 'relay_card') "
                                     "and lead_id like ?", [f"{relay['id']}:%"]):
                payload = json.loads(row["payload"])
                if row["kind"] == "relay_card" and payload.get("user") != FORGOTTEN:  # an earlier redraw
                    self.db.execute("update outbox set payload = ? where id = ?", [json.dumps(
                        {"id": relay["id"], "handoff": relay["id"], "user": FORGOTTEN, "channel": relay["channel"],
                         "relay": True, "closed_note": payload.get("closed_note")}), row["id"]])
                elif row["kind"] == "relay" and payload.get("from") != "note":
                    self.db.execute("update outbox set payload = ?, status = case when status = 'pending' then "
                                    "'cancelled' else status end where id = ?",
                                    [json.dumps(payload | {"text": "[forgotten]"}), row["id"]])
        return sum(relay["status"] != "forgotten" for relay in relays)


    # -- rows for the senders ---------------------------------------------------------------------------
    def _to_thread(self, handoff_id: str, payload: dict) -> None:
        Outbox(self.db).enqueue(f"{handoff_id}:{uuid.uuid4().hex[:12]}", SINK, "relay",
                                payload | {"handoff": handoff_id})

    def notice_payload(self, relay: dict) -> dict:
        """What the notice was drawn from (the hand-off's outbox row), to redraw it."""
        original = self.db.scalar("select payload from outbox where lead_id = ? and sink = ? and kind = 'handoff'",
                                  [relay["id"], SINK])
        return json.loads(original) if original else {"id": relay["id"], "user": relay["user"],
                                                      "channel": relay["channel"], "relay": True}

    def _card(self, relay: dict, note: str, forgotten: bool = False) -> None:
        """The notice in the sales channel is redrawn without its Close button, saying why it closed; for a
        forgotten person, without who they were or what they said."""
        card = {"id": relay["id"], "user": FORGOTTEN, "channel": relay["channel"]} if forgotten else (
            self.notice_payload(relay))
        Outbox(self.db).enqueue(f"{relay['id']}:card:{uuid.uuid4().hex[:12]}", SINK, "relay_card",
                                card | {"handoff": relay["id"], "relay": True, "closed_note": note})

    def _to_prospect(self, relay: dict, reply: Reply) -> None:
        if relay["target"] is None:
            return
        self.replies.enqueue(f"relay:{relay['id']}:{uuid.uuid4().hex[:12]}", relay["channel"],
                             relay["conversation"], relay["user"], json.loads(relay["target"]), reply)

    def _note(self, name: str, **values: object) -> str:
        return self.texts["notes"][name].format(**values)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g}"
