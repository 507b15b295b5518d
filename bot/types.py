"""Value objects that flow through the engine. Frozen, and free of any back-reference to a channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Recommendation = Literal["project_manager", "operations_manager", "both"]


@dataclass(frozen=True, slots=True)
class Message:
    """One inbound user message, or a button press when `button` is set."""

    user: str
    text: str = ""
    button: str | None = None
    channel: str = "console"
    conversation: str | None = None  # defaults to channel + user
    campaign: str | None = None  # a deep link's payload: recorded on the conversation and its leads
    attachment: bool = False  # a file or photo came with it (its caption, if any, is the text)

    @property
    def conversation_key(self) -> str:
        return self.conversation or f"{self.channel}:{self.user}"


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Source:
    """Where an answer's text came from in the knowledge base."""

    document: str
    section: str


@dataclass(frozen=True, slots=True)
class Match:
    """One ranked candidate intent for a message, with the evidence that scored it."""

    intent: str
    confidence: float
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reply:
    """Everything the engine answers to one message; adapters only render it."""

    intent: str
    confidence: float
    texts: tuple[str, ...]
    buttons: tuple[Button, ...] = ()
    sources: tuple[Source, ...] = ()
    expecting: str | None = None
    recommendation: Recommendation | None = None
    lead: dict | None = None
    ranking: tuple[Match, ...] = field(default=(), compare=False)

    def to_json(self, user: str) -> dict:
        """The replay interface's line for this reply."""
        return {
            "user": user,
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "texts": list(self.texts),
            "buttons": [{"label": b.label, "value": b.value} for b in self.buttons],
            "expecting": self.expecting,
            "recommendation": self.recommendation,
            "lead": self.lead,
        }
