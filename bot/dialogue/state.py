"""The conversation state: what makes a chat continue across messages and process restarts.

The last topic and role (for follow-ups), the last recommendation, the open talent-request form, and
what the assistant offered or asked in its last reply. The store keeps it as a JSON object.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ConversationState:
    last_intent: str | None = None
    last_topic: str | None = None
    last_role: str | None = None
    recommendation: str | None = None
    pending: tuple[str, ...] = ()  # intents offered by a "did you mean" question
    form: dict | None = None  # the talent request being filled in (bot/form.py)
    recent: tuple[str, ...] = ()  # the user's last messages, for the transcript excerpt sales sees
    extra: dict = field(default_factory=dict)  # e.g. source/campaign from a deep link

    def evolve(self, **changes: object) -> ConversationState:
        # Faster than dataclasses.replace, which validates every field: this runs twice a message.
        fields = {"last_intent": self.last_intent, "last_topic": self.last_topic, "last_role": self.last_role,
                  "recommendation": self.recommendation, "pending": self.pending, "form": self.form,
                  "recent": self.recent, "extra": self.extra}
        fields.update(changes)
        return ConversationState(**fields)

    def to_dict(self) -> dict:
        # Hand-written rather than dataclasses.asdict: this runs on every message.
        return {"last_intent": self.last_intent, "last_topic": self.last_topic, "last_role": self.last_role,
                "recommendation": self.recommendation, "pending": list(self.pending), "form": self.form,
                "recent": list(self.recent), "extra": self.extra}

    @classmethod
    def from_dict(cls, data: dict | None) -> ConversationState:
        if not data:
            return cls()
        try:
            data = dict(data)
            data["pending"] = tuple(data.get("pending", ()))
            data["recent"] = tuple(data.get("recent", ()))
            return cls(**data)
        except TypeError:
            return cls()  # a state written by an older version: start afresh
