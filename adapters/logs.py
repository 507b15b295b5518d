"""Logging for every command: nothing secret and nothing personal reaches a log, at any level.

Secrets are removed by value (whatever tokens and secrets this process was given) and by shape (Slack,
Telegram and webhook tokens, passwords in URLs), from the whole formatted record, tracebacks and library
messages included. Emails and phone numbers are removed as well. Library loggers stay at INFO even when
ONCALL_LOG_LEVEL=DEBUG: at DEBUG they print whole updates and requests (names, companies, messages);
ONCALL_LIBRARY_LOG_LEVEL=DEBUG opts in, still redacted. httpx stays at WARNING: its INFO line is the URL,
and a Telegram token is part of every Bot API URL.
"""

from __future__ import annotations

import logging
import os
import re
from typing import TextIO

from bot.redaction import scrub

SECRET_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "TELEGRAM_BOT_TOKEN",
                    "TELEGRAM_WEBHOOK_SECRET", "ONCALL_LEAD_WEBHOOK_SECRET", "ONCALL_ADMIN_TOKEN", "PGPASSWORD")
# DATABASE_URL is not a secret as a whole: its password is removed by shape (_URL_PASSWORD).
_SHAPES = re.compile(r"\bxox[a-z]-[A-Za-z0-9-]{8,}|\bxapp-[A-Za-z0-9-]{8,}|\bwhsec_[A-Za-z0-9+/=]{8,}")
_URL_PASSWORD = re.compile(r"(?<=://)([^/:@\s]+):[^/@\s]+@")
LIBRARIES = ("telegram", "slack_bolt", "slack_sdk", "aiohttp", "websockets", "asyncio", "psycopg")
QUIET = ("httpx", "httpcore")
MIN_SECRET = 6  # shorter values would blank out ordinary words; real tokens are far longer


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: list[str]):
        super().__init__(fmt)
        self.secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[secret]")
        return scrub(_URL_PASSWORD.sub(r"\1:[secret]@", _SHAPES.sub("[secret]", text)))


def setup_logging(stream: TextIO | None = None) -> logging.Handler:
    """Warnings and up on stderr (ONCALL_LOG_LEVEL to change), every record redacted."""
    handler = logging.StreamHandler(stream)
    secrets = [os.environ.get(name, "") for name in SECRET_VARIABLES]
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    level = logging.getLevelName(os.environ.get("ONCALL_LOG_LEVEL", "WARNING").upper())
    root.setLevel(level if isinstance(level, int) else logging.WARNING)
    library = os.environ.get("ONCALL_LIBRARY_LOG_LEVEL", "").upper()
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(library or max(root.level, logging.INFO))
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
