"""Talent requests inside a conversation: starting the form, routing each message while it is open
(answer, question, cancel), and recognizing a repeated confirmation after filing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.dialogue.fields import SKIP
from bot.dialogue.form import OPTIONAL, PREFIX, FormTurn
from bot.dialogue.state import ConversationState
from bot.sales.leads import FIELDS
from bot.types import Match, Message, Reply
from bot.understanding.entities import Entities

if TYPE_CHECKING:
    from bot.engine import Engine

STRUCTURED = ("role", "engagement", "start", "email", "phone", "company_size", "confirm")
NOT_QUESTIONS = ("fallback", "cancel", "lead.start", "clarify")
QUESTION_CONFIDENCE = 0.6
_QUESTION = re.compile(r"(\?\s*$)|^(what|how|why|when|who|which|where|can|could|do|does|is|are|should|tell me)\b")
_CONFIRM_AGAIN = re.compile(r"^(yes|y|yep|yeah|confirm\w*|send( it)?|submit|ok|okay|sure)\b")


@dataclass(frozen=True, slots=True)
class Outcome:
    reply: Reply
    state: ConversationState
    lead: dict | None = None  # the full lead record to file in this turn's transaction
    forget: bool = False


class RequestFlow:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.form = engine.form

    def start(self, raw: str, entities: Entities, state: ConversationState, reply: Reply) -> Outcome:
        """`raw` and `entities`: what the message that asked for talent said (it may pre-fill the form)."""
        turn = self.form.start(raw, entities.text, entities, state.recommendation, reply.texts[0],
                               state.extra.get("situation"))
        return self._outcome(turn, state, reply.intent, reply.confidence)

    def turn(self, message: Message, state: ConversationState) -> Outcome | None:
        """Handle the message if a request is open (or was just filed); None lets the engine answer."""
        form = state.form
        if not form:
            return None
        if form.get("status") == "filed":
            # The filed marker stays until a new request starts, so a repeated "yes" never files twice.
            text = message.text if message.button is None else message.button
            if message.button == PREFIX + "confirm" or _CONFIRM_AGAIN.match(text.strip().lower()):
                return Outcome(Reply("lead.start", 1.0, (self.form.already_filed(form["lead_id"]),)), state)
            return None
        return self._open(message, state, form)

    def _open(self, message: Message, state: ConversationState, form: dict) -> Outcome:
        if message.button and message.button.startswith(PREFIX):
            turn = self.form.press(form, message.button) or self.form.prompt(form)
            return self._outcome(turn, state, "lead.start", 1.0)
        if message.button == "intent:cancel":
            return self._outcome(self.form.cancelled(), state, "cancel", 1.0)
        if message.button and message.button.startswith("intent:"):
            match = Match(message.button.removeprefix("intent:"), 1.0, ("button",))
            return self._interrupt(match, self.engine.recognize(""), state, form)
        text = message.text if message.button is None else message.button
        entities, ranking = self.engine.understand(text, state)
        top = ranking[0]
        if form["expecting"] in OPTIONAL and SKIP.match(entities.text.strip()):
            return self._outcome(self.form.answer(form, text, entities.text, entities), state, "lead.start", 1.0)
        if top.intent == "cancel":
            return self._outcome(self.form.cancelled(), state, "cancel", top.confidence)
        question = top.intent not in NOT_QUESTIONS and top.confidence >= QUESTION_CONFIDENCE and (
            form["expecting"] in STRUCTURED or _QUESTION.search(text.strip().lower()) or top.confidence >= 0.8)
        if not question or form["expecting"] in STRUCTURED:
            turn = self.form.answer(form, text, entities.text, entities)
            if turn is not None:
                return self._outcome(turn, state, "lead.start", 1.0)
        if question:
            return self._interrupt(top, entities, state, form)
        return self._outcome(self.form.invalid(form, text, entities.text, entities), state, "lead.start", 1.0)

    def _interrupt(self, match: Match, entities, state: ConversationState, form: dict) -> Outcome:
        """Answer a question asked mid-form, then ask the same pending field again."""
        answer, answered_state = self.engine.answer_intent(match, (match,), entities, state)
        prompt = self.form.prompt(form, [self.form.text["back_to_form"]])
        reply = Reply(answer.intent, answer.confidence, answer.texts + prompt.texts, prompt.buttons,
                      answer.sources, expecting=prompt.expecting, recommendation=answer.recommendation)
        return Outcome(reply, answered_state.evolve(form=form))

    def _outcome(self, turn: FormTurn, state: ConversationState, intent: str, confidence: float) -> Outcome:
        lead = summary = None
        if turn.lead is not None:
            lead = turn.lead | {"transcript": list(state.recent[-6:]), "source": state.extra.get("source"),
                                "campaign": state.extra.get("campaign")}
            summary = {"id": lead["id"], "tier": lead["tier"], "qualified": lead["qualified"],
                       "score": lead["score"], "fields": {k: v for k, v in lead.items() if k in FIELDS and v}}
        reply = Reply(intent, confidence, turn.texts, turn.buttons, expecting=turn.expecting, lead=summary)
        return Outcome(reply, state.evolve(form=turn.form), lead)
