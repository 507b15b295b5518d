"""Keeping emails, phone numbers and secrets out of what is written down for people to read later.

Two strengths: `scrub` for log lines (conservative about digits, since logs are full of ids and
timestamps and never carry what users typed) and `redact_text` for what users typed (the turn log), where
any long run of digits may be a phone number and is removed.
"""

from __future__ import annotations

import logging
import re

from bot.contact_patterns import TYPED_EMAIL, TYPED_PHONE

# Each pattern starts only where a token starts (the lookbehind), so a long run without a match is
# scanned once, not once per character: a 100,000-character paste must not cost seconds.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(\.[\w-]+)+")
# A run of 7+ digits with phone punctuation, standing alone: not part of an IP address, a host:port, a
# path or a longer token; dates, dotted quads and bare digit runs (update ids, Slack timestamps) are left
# alone: user text is never logged, so what this catches is a number quoted in an error.
_PHONE = re.compile(r"(?<![\w.:/-])\+?\d[\d\s().-]{6,}\d(?![\w.:/-])")
_NOT_A_PHONE = re.compile(r"\d{1,3}(\.\d{1,3}){3}|\d{4}-\d\d-\d\d( \d\d)?|[\d.]+")
_BOT_TOKEN = re.compile(r"\d{6,12}:[A-Za-z0-9_-]{20,}")  # Telegram bot tokens travel inside request URLs


def _phone(match: re.Match) -> str:
    found = match.group(0)
    return found if _NOT_A_PHONE.fullmatch(found) or sum(c.isdigit() for c in found) < 7 else "[phone]"


def scrub(text: str) -> str:
    return _PHONE.sub(_phone, _EMAIL.sub("[email]", _BOT_TOKEN.sub("[token]", text)))


def _typed_phone(match: re.Match) -> str:
    return "[phone]" if sum(c.isdigit() for c in match.group(0)) >= 7 else match.group(0)


def redact_text(text: str, names: list[str], limit: int = 2_000) -> str:
    """What a user typed, without their email, phone number or the names they gave; at most `limit`
    characters, cut before the word the limit falls in, so no half of an address is left behind."""
    if len(text) > limit:
        text = text[:limit].rsplit(None, 1)[0] if " " in text[:limit] else ""
    text = TYPED_EMAIL.sub("[email]", _BOT_TOKEN.sub("[token]", text))
    for name in sorted({n for n in names if n and len(n) > 1}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "[name]", text, flags=re.IGNORECASE)
    return TYPED_PHONE.sub(_typed_phone, text)


class RedactingFilter(logging.Filter):
    """No email address, phone number or bot token in a record's message (adapters/logs.py redacts the
    whole formatted output, secrets and tracebacks included; this filter is for handlers it doesn't own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
