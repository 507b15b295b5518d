"""Engine replies as Telegram messages: HTML-escaped text split at 4096 characters, inline keyboards
whose callback data always fits Telegram's 64 bytes."""

from __future__ import annotations

import hashlib
import html
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.types import Reply

LIMIT = 4096
CALLBACK_LIMIT = 64
LONG_VALUE_PREFIX = "k:"


def to_html(markdown: str) -> str:
    """Escape everything the user could have typed, then turn our own **bold** into <b>."""
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(markdown, quote=False))


def split(text: str, limit: int = LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, a line or a space when possible."""
    pieces = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        head, text = text[:cut], text[cut:]
        if not head.endswith(">") and head.count("<b>") > head.count("</b>"):
            head, text = head + "</b>", "<b>" + text  # never leave a tag open across messages
        pieces.append(head.rstrip())
        text = text.lstrip()
    pieces.append(text)
    return [p for p in pieces if p]


def callback_data(value: str, remember) -> str:
    """The value itself when it fits in 64 bytes, else a short key `remember(key, value)` stores."""
    if len(value.encode()) <= CALLBACK_LIMIT:
        return value
    key = LONG_VALUE_PREFIX + hashlib.sha256(value.encode()).hexdigest()[:24]
    remember(key, value)
    return key


def messages(reply: Reply, remember) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """(html text, keyboard) per message to send; the keyboard goes with the last piece."""
    pieces = [piece for text in reply.texts for piece in split(to_html(text))] or ["…"]
    keyboard = None
    if reply.buttons:
        rows = [[InlineKeyboardButton(b.label[:64], callback_data=callback_data(b.value, remember))]
                for b in reply.buttons]
        keyboard = InlineKeyboardMarkup(rows)
    return [(piece, keyboard if i == len(pieces) - 1 else None) for i, piece in enumerate(pieces)]
