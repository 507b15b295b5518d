"""Answering a recognized intent: direct answers from facts, advice, OnCall questions, honest unknowns,
the assistant's identity, hand-offs, and the out-of-scope reply — each with the state it leaves behind
(the topic and role for follow-ups, the offer a "yes" would accept, what "Tell me more" expands)."""

from __future__ import annotations

import re

import intents as intent_data
from bot.answers.compose import Answers
from bot.answers.direct import without_repeats
from bot.dialogue.advising import Advising, memo_of
from bot.dialogue.outcome import Outcome
from bot.dialogue.state import MAX_ANSWERED, ConversationState
from bot.types import Button, Match, Reply
from bot.understanding.advice import BOTH, recommend
from bot.understanding.matcher import OUT_OF_SCOPE
from bot.understanding.reader import Reading
from bot.understanding.unknowns import Subject

BUTTON_PREFIX = "intent:"
MORE_PREFIX = "more:"
_ROLE_OF_PREFIX = {"pm": "project_manager", "ops": "operations_manager"}
_ASKS_HUMAN = re.compile(r"\b(human|real|person|alive|sentient|someone|somebody|a man|a woman|actual)\b")
_ELLIPSIS = frozenset({"follow-up on previous topic", "a role on its own"})  # the matcher's evidence
ELLIPTICAL_QUESTION = "the last question, about something else"
_TEMPLATE_REPLIES = {
    "smalltalk.greet": "greet", "smalltalk.thanks": "thanks", "smalltalk.bye": "bye", "help": "help",
    "cancel": "cancel", "lead.start": "lead_start",
}


def clamp(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 4)


class TopicReplies:
    def __init__(self, intents: dict[str, intent_data.Intent], answers: Answers, advising: Advising):
        self.intents = intents
        self.answers = answers
        self.advising = advising

    def answer(self, match: Match, reading: Reading, state: ConversationState) -> Outcome:
        intent = self.intents[match.intent]
        entities = reading.entities
        role = _ROLE_OF_PREFIX.get(intent.id.split(".")[0])
        if role is None and len(entities.roles) == 1:
            role = entities.roles[0]
        changes: dict = {}
        buttons = list(intent.buttons)
        sources: list = []
        handoff = None
        if intent.id == "advise":
            advice = recommend(entities, state.recommendation)
            texts, sources = self.answers.advice(advice, brief=reading.acts.brief)
            if advice.recommendation:
                texts.append(self.answers.say("offer_request", choice=self.answers.role_name(advice.recommendation)))
                changes["offer"] = {"kind": "request", "role": advice.recommendation}
                changes["recommendation"] = advice.recommendation
                changes["advice"] = memo_of(advice, entities) if advice.signals else state.advice
                if advice.recommendation != BOTH:
                    role = advice.recommendation  # "what would they do all day?" now means this role
            if entities.signals:
                # the situation told here becomes the talent request's details if one follows
                changes["extra"] = {**state.extra, "situation": " ".join(reading.raw.split())[:1000]}
        elif intent.id == "fallback":
            texts = [self._fallback_text(reading)]
        elif intent.id == "human":
            texts = [self.answers.say("human"), self.answers.policy("handoff")]
            question = (state.offer or {}).get("question") if state.offer else None
            handoff = {"question": question or reading.raw[:500] or None}
        elif intent.id in _TEMPLATE_REPLIES:
            texts = [self.answers.say(_TEMPLATE_REPLIES[intent.id])]
        else:
            texts, sources, buttons, changes = self._from_facts(intent, match, reading, state, role)
        role_now = role or state.last_role
        topic = intent.topic
        if intent.id == "fallback" and entities.out_of_scope:
            topic, role_now = OUT_OF_SCOPE, None
            asked = next((self.intents[m.intent].topic for m in reading.ranking if m.intent in self.intents
                          and m.intent != "fallback"), None)
            changes["extra"] = {**state.extra, "asked_topic": asked}
        elif intent.id in ("fallback", "cancel"):
            topic = state.last_topic
        standing = state.offer if (state.offer or {}).get("kind") == "request" else None
        if standing:  # a recommendation's offer stands through follow-up questions, unasked
            standing = {**standing, "asked": False}
        new_state = state.evolve(**{"last_intent": intent.id, "last_topic": topic, "last_role": role_now,
                                    "pending": (), "offer": standing, "more": None, **changes})
        reply = Reply(intent.id, clamp(match.confidence), tuple(without_repeats(texts)), tuple(buttons),
                      tuple(sources), recommendation=changes.get("offer", {}).get("role") if intent.id == "advise"
                      else None, ranking=reading.ranking[:5])
        return Outcome(reply, new_state, handoff=handoff, unanswered=intent.id == "fallback")

    def _from_facts(self, intent: intent_data.Intent, match: Match, reading: Reading, state: ConversationState,
                    role: str | None) -> tuple[list[str], list, list[Button], dict]:
        acts = reading.acts
        question, yes_no = reading.entities.masked, acts.yes_no
        asked = state.extra.get("asked")
        if asked and _ELLIPSIS.intersection(match.evidence) and not acts.brief:
            question, yes_no = asked["q"], asked["yn"]  # "is a PM short term?" … "and an ops manager?"
        elif ELLIPTICAL_QUESTION in match.evidence:
            yes_no = True  # "and budgets?": asked like the last one
        about_roles = intent.id.split(".")[0] in ("pm", "ops", "compare")  # not OnCall's or Zowa's own facts
        topic_role = (role or state.last_role) if about_roles else None
        # The words that pick particular facts: the role itself says nothing about a role's own facts, but
        # "what did the ops manager do there?" picks Zowa's ops manager.
        words = reading.entities.masked if about_roles else " ".join(
            (reading.entities.masked, *(r.split("_")[0] for r in reading.entities.roles)))
        composed = self.answers.direct.topic(intent.sections, question, topic_role, yes_no=yes_no, brief=acts.brief,
                                             given=frozenset(state.answered), words=words)
        buttons = list(intent.buttons)
        changes: dict = {"extra": {**state.extra, "asked": {"q": question, "yn": yes_no}} if composed and (
            composed.narrow) else {k: v for k, v in state.extra.items() if k != "asked"}}
        if composed is None:  # the owner's own documents have no facts: show the sections
            texts, sources = self.answers.sections(intent.sections)
        else:
            texts, sources = list(composed.texts), list(composed.sources)
            changes["answered"] = (*state.answered, *composed.facts)[-MAX_ANSWERED:]
            if composed.more:
                buttons.insert(0, Button(self.answers.button("more"), MORE_PREFIX + intent.id))
                changes["more"] = intent.id
        if intent.id == "oncall.pricing":
            texts += [self.answers.policy("quotes"), self.answers.say("offer_quote")]
            changes["offer"] = {"kind": "request", "role": role or state.recommendation}
        return texts, sources, buttons, changes

    def more(self, intent_id: str, state: ConversationState, confidence: float = 1.0) -> Outcome:
        """"Tell me more": the topic's full sections."""
        intent = self.intents[intent_id]
        texts, sources = self.answers.sections(intent.sections)
        reply = Reply(intent.id, confidence, tuple(texts), intent.buttons, tuple(sources))
        return Outcome(reply, state.evolve(last_intent=intent.id, last_topic=intent.topic, offer=None, more=None,
                                           last_role=_ROLE_OF_PREFIX.get(intent.id.split(".")[0]) or state.last_role))

    def unknown(self, reading: Reading, state: ConversationState, subject: Subject | None) -> Outcome:
        """An in-domain question the knowledge does not answer: say so, give the nearest fact, offer a person."""
        lines = [self.answers.say("unknown", label=subject.label) if subject else self.answers.say("unknown_generic")]
        nearest = self.answers.direct.fact(subject.nearest) if subject and subject.nearest else None
        if nearest:
            lines.append(self.answers.say("unknown_nearest", fact=nearest.text))
        lines.append(self.answers.say("unknown_offer"))
        buttons = (Button(self.answers.button("ask_team"), BUTTON_PREFIX + "human"),
                   *self.intents["fallback"].buttons[:2])
        reply = Reply("unknown", 1.0, (" ".join(lines),), buttons, ranking=reading.ranking[:5])
        offer = {"kind": "human", "question": reading.raw[:500]}
        roles = reading.entities.roles
        role = roles[0] if len(roles) == 1 else state.last_role  # "…PMP certified?" "what skills do they have?"
        return Outcome(reply, state.evolve(last_intent="unknown", last_role=role, offer=offer, more=None, pending=()),
                       unanswered=True)

    def partly(self, match: Match, reading: Reading, state: ConversationState, subject: Subject) -> Outcome:
        """The intent's answer, then what it doesn't cover, with the offer to ask the team."""
        answered = self.answer(match, reading, state)
        note = " ".join((self.answers.say("unknown", label=subject.label), self.answers.say("unknown_offer")))
        reply = answered.reply
        buttons = (Button(self.answers.button("ask_team"), BUTTON_PREFIX + "human"), *reply.buttons)[:5]
        reply = Reply(reply.intent, reply.confidence, (*reply.texts, note), buttons, reply.sources,
                      recommendation=reply.recommendation, ranking=reply.ranking)
        offer = {"kind": "human", "question": reading.raw[:500]}
        return Outcome(reply, answered.state.evolve(offer=offer), unanswered=True)

    def identity(self, state: ConversationState, reading: Reading | None = None) -> Outcome:
        buttons = (Button(self.answers.button("person"), BUTTON_PREFIX + "human"),
                   *self.intents["help"].buttons[:3])
        text = self.answers.say("identity")
        if reading is not None and reading.acts.yes_no:  # "are you a bot?" yes; "is this a real person?" no
            asks_human = _ASKS_HUMAN.search(reading.entities.text)
            text = f"{'No' if asks_human else 'Yes'}. {text}"
        reply = Reply("assistant.identity", 1.0, (text,), buttons)
        return Outcome(reply, state.evolve(last_intent="assistant.identity", offer={"kind": "human"}, more=None))

    def _fallback_text(self, reading: Reading) -> str:
        for item in reading.entities.out_of_scope:
            if item.kind == "job_seeking":
                return self.answers.say("fallback_job_seeker")
            if item.kind == "tasks":
                return self.answers.say("fallback_task")
            if item.kind == "titles":
                return self.answers.say("fallback_other_title", title=item.phrase)
            return self.answers.say("fallback_other_sense", topic=item.phrase)
        return self.answers.say("fallback")
