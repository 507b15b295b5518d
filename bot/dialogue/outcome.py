"""What one turn decides: the reply, the next state and the effects the engine commits with them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.dialogue.state import ConversationState
from bot.types import Reply


@dataclass(frozen=True, slots=True)
class Outcome:
    reply: Reply
    state: ConversationState
    lead: dict | None = None  # the full lead record to file in this turn's transaction
    forget: bool = False  # erase everything about the user
    handoff: dict | None = None  # pass the conversation to a person: {"question": …}
    unanswered: bool = False  # a question the assistant could not answer: kept for the owner to review
