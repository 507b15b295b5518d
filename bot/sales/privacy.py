"""Privacy: forgetting a user (what keeps emails and phone numbers out of logs is bot/redaction.py)."""

from __future__ import annotations

import uuid

from bot.insights.turns import TurnLog
from bot.sales.leads import FORGOTTEN, LeadStore, flat
from bot.sales.outbox import Outbox
from bot.sales.relay import Relays
from bot.storage.database import Database
from bot.storage.replies import ReplyQueue
from bot.storage.store import Store

_PERSONAL = ("name", "email", "phone", "details", "start_said", "transcript", "question", "conversation")


def forget_user(db: Database, user: str) -> dict[str, int]:
    """Delete the user's conversations and what they typed, anonymize their leads, redact every
    notification about them and cancel their pending hand-offs. Returns what was there, by kind."""
    with db.transaction():
        lead_ids = [row["id"] for row in db.query('select id from leads where "user" = ?', [user])]
        conversations, questions = Store(db).forget(user)
        done = {"conversation(s)": conversations, "unanswered question(s)": questions,
                "logged turn(s)": TurnLog(db).forget(user), "hand-off(s) closed": Relays(db).forget(user),
                "stored repl(ies)": ReplyQueue(db).forget(user),
                "lead(s) anonymized": LeadStore(db).anonymize_user(user)}
        if lead_ids:
            Outbox(db).redact(lead_ids, redact_payload)
        done["pending hand-off notice(s) cancelled"] = Outbox(db).cancel_handoffs(user, redact_payload)
    return done


def redact_payload(payload: dict) -> dict:
    return {k: (FORGOTTEN if k in ("name", "user") else [] if k == "transcript" else None)
            if k in _PERSONAL or k == "user" else v for k, v in payload.items()}


def lead_payload(lead: dict) -> dict:
    """What a sink receives about a lead: the export shape plus the sales context."""
    return flat(lead) | {"user": lead.get("user"), "transcript": lead.get("transcript", [])}


def handoff_payload(message, state, question: str | None = None) -> dict:
    """A "talk to a human" request: who, where, the question to pass on, and what they said recently."""
    return {"id": f"H-{uuid.uuid4().hex[:10].upper()}", "user": message.user, "channel": message.channel,
            "conversation": message.conversation_key, "question": question, "transcript": list(state.recent[-6:]),
            "last_topic": state.last_topic, "recommendation": state.recommendation,
            "campaign": state.extra.get("campaign")}
