"""Two questions in one message ("what does a pm do and how much do you charge?"): split them so each
gets its answer."""

from __future__ import annotations

import re

_SPLIT = re.compile(
    r"\?+\s+(?=\S)|\s+\+\s+|;\s+|\.\s+(?=(?:and |also |plus )?(?:how|what|whats|who|why|when|where|is|are|do|does|"
    r"can|could|which)\b)|,?\s+(?:and|also|plus)\s+(?:also\s+)?(?=(?:how|what|whats|who|whos|why|when|where|is|are|do|"
    r"does|can|could|which)\b)", re.IGNORECASE)


def split_questions(raw: str) -> list[str]:
    """The questions of a message, or one part when it asks one thing (or more than two)."""
    parts = [p.strip(" ,.") for p in _SPLIT.split(raw) if p and len(p.split()) >= 2]
    return parts if len(parts) == 2 else [raw]
