"""Privacy: forgetting a user, and keeping emails and phone numbers out of logs."""

from __future__ import annotations

import logging
import re
import uuid

from bot.sales.leads import FORGOTTEN, LeadStore, flat
from bot.sales.outbox import Outbox
from bot.storage.database import Database
from bot.storage.replies import ReplyQueue
from bot.storage.store import Store

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# A run of 7+ digits with phone punctuation, standing alone: not part of an IP address, a host:port, a
# path or a longer token; dates, dotted quads and bare digit runs (update ids, Slack timestamps) are left
# alone: user text is never logged, so what this catches is a number quoted in an error.
_PHONE = re.compile(r"(?<![\w.:/-])\+?\d[\d\s().-]{6,}\d(?![\w.:/-])")
_NOT_A_PHONE = re.compile(r"\d{1,3}(\.\d{1,3}){3}|\d{4}-\d\d-\d\d( \d\d)?|[\d.]+")
_BOT_TOKEN = re.compile(r"\d{6,12}:[A-Za-z0-9_-]{20,}")  # Telegram bot tokens travel inside request URLs
_PERSONAL = ("name", "email", "phone", "details", "start_said", "transcript", "question", "conversation")


def forget_user(db: Database, user: str) -> int:
    """Delete the user's conversations and what they typed, anonymize their leads, redact every
    notification about them and cancel their pending hand-offs. Returns the leads anonymized."""
    with db.transaction():
        lead_ids = [row["id"] for row in db.query('select id from leads where "user" = ?', [user])]
        Store(db).forget(user)
        ReplyQueue(db).forget(user)
        count = LeadStore(db).anonymize_user(user)
        if lead_ids:
            Outbox(db).redact(lead_ids, redact_payload)
        Outbox(db).cancel_handoffs(user, redact_payload)
    return count


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


def _phone(match: re.Match) -> str:
    found = match.group(0)
    return found if _NOT_A_PHONE.fullmatch(found) or sum(c.isdigit() for c in found) < 7 else "[phone]"


def scrub(text: str) -> str:
    return _PHONE.sub(_phone, _EMAIL.sub("[email]", _BOT_TOKEN.sub("[token]", text)))


class RedactingFilter(logging.Filter):
    """No email address, phone number or bot token in a record's message (adapters/logs.py redacts the
    whole formatted output, secrets and tracebacks included; this filter is for handlers it doesn't own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
