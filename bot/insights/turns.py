"""The turn log: one row per turn, written in the turn's transaction, for the owner's report.

A row says when and where (UTC day, channel, campaign), which conversation (a pseudonym: a keyed hash of
the conversation key, so rows can be counted per conversation but not traced back to a chat), what was
understood (intent, confidence), how it was answered, the recommendation, where the talent request
stands (started, filed, cancelled; the field being asked) and the message with emails, phone numbers
and names replaced. `forget` deletes the user's rows (found through their pseudonym); retention prunes
the rest after ONCALL_KEEP_TURNS_DAYS (180 by default).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass

from bot.dialogue.extract import find_name
from bot.dialogue.state import ConversationState
from bot.redaction import redact_text
from bot.storage.database import Database
from bot.types import Message, Reply

QUESTION_PREFIXES = ("pm.", "ops.", "compare.", "oncall.")
KINDS = {"kb.answer": "knowledge", "unknown": "unknown", "fallback": "out_of_scope", "clarify": "clarify"}
MAX_TEXT = 500


@dataclass(frozen=True, slots=True)
class Turn:
    message: Message
    before: ConversationState
    after: ConversationState
    reply: Reply
    filed: bool
    unanswered: bool


def turn_log_enabled() -> bool:
    """One setting switches the log off: ONCALL_TURN_LOG=off (or 0, false, no)."""
    return os.environ.get("ONCALL_TURN_LOG", "on").strip().lower() not in ("off", "0", "false", "no")


def answered_kind(reply: Reply, form_open: bool, unanswered: bool = False) -> str:
    """intent (a question answered from what we know), knowledge (a passage found by search), clarify,
    unknown (in our domain, not in our knowledge), out_of_scope, form (a turn of the talent request), relay
    (passed to a person from sales), other."""
    if unanswered:
        return "out_of_scope" if reply.intent == "fallback" else "unknown"
    if reply.intent.startswith(QUESTION_PREFIXES) or reply.intent in ("advise", "explain", "request.question"):
        return "intent"
    if reply.intent in KINDS:
        return KINDS[reply.intent]
    if reply.intent.startswith("relay."):
        return "relay"  # said to (or by) a person from sales, not answered by the assistant
    return "form" if form_open or reply.intent.startswith("lead.") else "other"


def _form(state: ConversationState) -> dict | None:
    return state.form if state.form and state.form.get("status") == "open" else None


def redact(text: str, names: list[str], answering_name: bool) -> str:
    """The message without emails, phone numbers or names; an answer to "your name?" is all name."""
    if answering_name:
        return "[name]"
    return redact_text(text, [*names, find_name(text) or ""])[:MAX_TEXT]


class TurnLog:
    def __init__(self, db: Database):
        self.db = db
        self._key: bytes | None = None

    def key(self) -> bytes:
        """The deployment's pseudonym key: made once, kept in the store, shared by every instance."""
        if self._key is None:
            self.db.execute("insert into settings (key, value) values ('pseudonym_key', ?) "
                            "on conflict (key) do nothing", [secrets.token_hex(32)])
            self._key = bytes.fromhex(self.db.scalar("select value from settings where key = 'pseudonym_key'"))
        return self._key

    def pseudonym(self, value: str) -> str:
        return hmac.new(self.key(), value.encode(), hashlib.sha256).hexdigest()[:20]

    def record(self, turn: Turn, now: float | None = None) -> None:
        """Inside the turn's transaction: nothing is logged for a turn that rolled back."""
        now = time.time() if now is None else now
        before, after = _form(turn.before), _form(turn.after)
        event = "filed" if turn.filed else "started" if after and not before else (
            "cancelled" if before and not after else None)
        field = after["expecting"] if after else before["expecting"] if event == "cancelled" else None
        names = [f["fields"].get("name") for f in (before, after, turn.before.form, turn.after.form)
                 if f and f.get("fields", {}).get("name")]
        text = turn.message.text or f"[button] {turn.message.button or ''}"
        campaign = turn.message.campaign or turn.after.extra.get("campaign") or turn.before.extra.get("campaign")
        self.db.execute(
            "insert into turns (at, day, channel, campaign, conversation, user_ref, intent, confidence, "
            "answered, recommendation, form_event, form_field, unanswered, text) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [now, time.strftime("%Y-%m-%d", time.gmtime(now)), turn.message.channel, campaign,
             self.pseudonym(turn.message.conversation_key), self.pseudonym(turn.message.user), turn.reply.intent,
             round(turn.reply.confidence, 3), answered_kind(turn.reply, bool(before or after), turn.unanswered),
             turn.reply.recommendation, event, field, int(turn.unanswered),
             redact(text, names, bool(before) and before.get("expecting") == "name")])

    def forget(self, user: str) -> int:
        return self.db.execute("delete from turns where user_ref = ?", [self.pseudonym(user)])
