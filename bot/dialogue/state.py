"""The conversation state: what makes a chat continue across messages and process restarts.

The last topic and role (for follow-ups), the advice given, the open talent-request form, and what the
assistant offered in its last reply (so "ok do it" means something). The store keeps it as a JSON
object; empty fields are left out to keep the row small.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

MAX_ANSWERED = 16  # facts remembered as said, so a repeated question gets a shorter answer


@dataclass(frozen=True, slots=True)
class ConversationState:
    last_intent: str | None = None
    last_topic: str | None = None
    last_role: str | None = None
    recommendation: str | None = None
    pending: tuple[str, ...] = ()  # intents offered by a "did you mean" question
    form: dict | None = None  # the talent request being filled in (bot/dialogue/form.py)
    recent: tuple[str, ...] = ()  # the user's last messages, for the transcript excerpt sales sees
    extra: dict = field(default_factory=dict)  # e.g. source/campaign from a deep link
    # What the last reply offered and the user can accept with "yes": {"kind": "request", "role": …},
    # {"kind": "human", "question": …}, {"kind": "forget"}.
    offer: dict | None = None
    more: str | None = None  # the intent whose full sections "Tell me more" shows
    answered: tuple[str, ...] = ()  # facts said recently
    # The advice given: {"rec": …, "signals": [[signal id, the user's words], …]} — for "why?" and updates.
    advice: dict | None = None
    said: int | None = None  # a checksum of the last reply: the same text is never sent twice in a row

    def evolve(self, **changes: object) -> ConversationState:
        # Spelled out: several times faster than dataclasses.replace, and this runs a few times a message.
        get = changes.get
        return ConversationState(
            get("last_intent", self.last_intent), get("last_topic", self.last_topic), get("last_role", self.last_role),
            get("recommendation", self.recommendation), get("pending", self.pending), get("form", self.form),
            get("recent", self.recent), get("extra", self.extra), get("offer", self.offer), get("more", self.more),
            get("answered", self.answered), get("advice", self.advice), get("said", self.said))

    def to_dict(self) -> dict:
        out = {}
        for name in _FIELDS:
            value = getattr(self, name)
            if value:
                out[name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: dict | None) -> ConversationState:
        if not data:
            return cls()
        try:
            data = {k: (tuple(v) if k in _TUPLES else v) for k, v in data.items()}
            return cls(**data)
        except TypeError:
            return cls()  # a state written by an older version: start afresh


_FIELDS = tuple(f.name for f in fields(ConversationState))
_TUPLES = frozenset({"pending", "recent", "answered"})
