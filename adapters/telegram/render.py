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
    """Pieces of at most `limit` characters, each valid HTML on its own: cut only between entities and
    outside tags — at a paragraph, a line or a space when possible — closing the tags open at the cut and
    reopening them in the next piece, so the order and every character are kept."""
    atoms = _ATOM.findall(text)
    pieces: list[str] = []
    start, reopened = 0, []
    while start < len(atoms):
        index, length, stack = start, sum(map(len, reopened)), list(reopened)
        breaks: dict[str, tuple[int, list[str]]] = {}  # the last cut of each kind: after it, tags open
        while index < len(atoms):
            atom = atoms[index]
            after = _after(stack, atom)
            if length + len(atom) + sum(len(_closing(tag)) for tag in after) > limit:
                break
            length, stack, index = length + len(atom), after, index + 1
            if atom == "\n" and index > start + 1 and atoms[index - 2] == "\n":
                breaks["paragraph"] = (index, stack)
            elif atom in ("\n", " "):
                breaks["line" if atom == "\n" else "space"] = (index, stack)
        if index == len(atoms):
            cut, open_at_cut = index, stack
        else:
            cut, open_at_cut = next((breaks[kind] for kind in ("paragraph", "line", "space")
                                     if kind in breaks and breaks[kind][0] - start > (index - start) // 2),
                                    (max(index, start + 1), stack))
        body = "".join(reopened) + "".join(atoms[start:cut]) + "".join(_closing(t) for t in reversed(open_at_cut))
        if _visible(body).strip():
            pieces.append(body.strip())
        start, reopened = cut, open_at_cut
    return pieces


# One atom: a whole tag, a whole entity, or a single character — a piece never ends inside the first two.
_ATOM = re.compile(r"<[^>]*>|&#?\w+;|[^<&]|[<&]", re.S)


def _after(stack: list[str], atom: str) -> list[str]:
    if atom.startswith("</"):
        return stack[:-1] if stack else stack
    if atom.startswith("<") and atom.endswith(">") and not atom.endswith("/>"):
        return [*stack, atom]
    return stack


def _closing(tag: str) -> str:
    return "</" + re.match(r"<\s*(\w+)", tag).group(1) + ">"


def _visible(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", html_text))


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
