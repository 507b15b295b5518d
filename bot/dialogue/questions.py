"""Two questions in one message ("what does a pm do and how much do you charge?"): split them so each
gets its answer."""

from __future__ import annotations

import re

_SPLIT = re.compile(
    r"\?+\s+(?=\S)|\s+\+\s+|;\s+|\.\s+(?=(?:and |also |plus )?(?:how|what|whats|who|why|when|where|is|are|do|does|"
    r"can|could|which)\b)|,?\s+(?:and|also|plus)\s+(?:also\s+)?(?=(?:how|what|whats|who|whos|why|when|where|is|are|do|"
    r"does|can|could|which)\b)", re.IGNORECASE)


_ASKS = re.compile(r"^\W*(and |also |plus |so |ok |okay |oh |but |hi+ |hey |hello )*(how|what|whats|who|whos|why|when|"
                   r"where|which|is|are|do|does|can|could|should|would|will|tell me|any|wat)\b", re.IGNORECASE)


_JOINS = re.compile(r"\?.|[+;]|\.\s|\b(and|also|plus)\s")  # where a second question could begin


def split_questions(raw: str) -> list[str]:
    """The questions of a message, or one part when it asks one thing (or more than two)."""
    if not _JOINS.search(raw):
        return [raw]
    parts = [p.strip(" ,.") for p in _SPLIT.split(raw) if p and len(p.split()) >= 2]
    if len(parts) != 2:
        return [raw]
    # A story followed by its question ("we launch in May. who should we hire?") is one question.
    first = parts[0]
    asks = raw[len(first):].lstrip(" ,.").startswith("?") or _ASKS.match(first)
    return parts if asks else [raw]
