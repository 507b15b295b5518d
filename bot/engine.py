"""The conversation engine: a `Message` in, a `Reply` out. It knows nothing of any channel."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import sqlite_utils

import intents as intent_data
from bot.answers.compose import Answers
from bot.dialogue.form import TalentForm
from bot.dialogue.request_flow import Outcome, RequestFlow
from bot.dialogue.state import ConversationState
from bot.sales.leads import LeadStore
from bot.sales.outbox import Outbox
from bot.sales.privacy import forget_user, handoff_payload, lead_payload
from bot.sales.qualify import Rules
from bot.storage.store import Store
from bot.types import Button, Match, Message, Reply, Source
from bot.understanding.advice import recommend
from bot.understanding.entities import Entities, EntityRecognizer
from bot.understanding.matcher import ACCEPT, OUT_OF_SCOPE, ROLE_TOPICS, TOO_CLOSE, Matcher, content
from bot.understanding.normalize import Normalizer
from knowledge import kb as knowledge

BUTTON_PREFIX = "intent:"
KB_STRONG = 0.6  # share of the message's content words a passage must contain to answer on its own
_KB_MIN_WORDS = 3
RECENT_MESSAGES, RECENT_CHARS = 6, 240  # the transcript excerpt sales sees with a lead
_QUESTION_WORDS = frozenset("role what how why when who which where whats hows".split())
_TEMPLATE_REPLIES = {
    "smalltalk.greet": "greet", "smalltalk.thanks": "thanks", "smalltalk.bye": "bye", "help": "help",
    "cancel": "cancel", "lead.start": "lead_start", "human": "human",
}
_ROLE_OF_PREFIX = {"pm": "project_manager", "ops": "operations_manager"}
# Chat commands every channel shares (Telegram's /hire, the console's /help...).
SLASH_COMMANDS = {"/start": "smalltalk.greet", "/help": "help", "/hire": "lead.start", "/cancel": "cancel"}


class Engine:
    def __init__(self, db: sqlite_utils.Database, notify: dict[str, tuple[str, ...]] | None = None,
                 rules: Rules | None = None, today: Callable[[], date] = date.today):
        """`notify`: for each event ("lead", "handoff"), the outbox sinks it is queued for, e.g.
        {"lead": ("webhook", "slack"), "handoff": ("slack",)}. `today`: the day relative dates
        ("next week", "Q1") are read from."""
        knowledge.ensure_built(db)
        self.db = db
        self.store = Store(db)
        self.leads = LeadStore(db)
        self.outbox = Outbox(db)
        self.notify = notify or {}
        self.kb = knowledge.KnowledgeBase(db)
        self.intents = intent_data.load_intents()
        lexicon = intent_data.lexicon()
        self.normalize = Normalizer(lexicon["abbreviations"], lexicon["phrases"], self._known_words(),
                                    self._domain_words(lexicon))
        # Phrases go through the same normalizer as messages: "black ops" is matched as "black operations".
        phrases = {group: {key: [self.normalize(p).text for p in values] for key, values in lexicon[group].items()}
                   for group in ("roles", "weak_roles", "out_of_scope")}
        literals = self.store.regex_literals()
        known = set(literals)
        self.recognize = EntityRecognizer(phrases["roles"], phrases["weak_roles"], phrases["out_of_scope"],
                                          intent_data.signals(), lexicon.get("out_of_scope_patterns"), literals)
        self.matcher = Matcher(self.intents, intent_data.cues(), literals)
        self.store.save_regex_literals(literals, known)
        self.matcher.index_examples(lambda text: self.recognize(self.normalize(text).text).masked)
        self._nothing = self.recognize("")  # what a button press or an empty message "says"
        self.answers = Answers(self.kb, intent_data.messages())
        self.form = TalentForm(intent_data.messages(), rules or Rules(), today)
        self.flow = RequestFlow(self)

    @staticmethod
    def _domain_words(lexicon: dict) -> set[str]:
        """The words typos are corrected towards: the lexicon's and every word the topic cues look for."""
        words = set(lexicon["domain_words"].split())
        for cue in intent_data.cues():
            words.update(re.findall(r"[a-z]{4,}", re.sub(r"\\[a-zA-Z]", " ", cue.regex)))
        for mapping in (lexicon["abbreviations"], lexicon["phrases"]):
            for value in mapping.values():
                words.update(str(value).split())
        for group in ("roles", "weak_roles", "out_of_scope"):
            for phrases in lexicon[group].values():
                for phrase in phrases:
                    words.update(phrase.split())
        return words

    def _known_words(self) -> set[str]:
        """Words that are never "corrected": the examples, the knowledge base and the common English
        words that sit close to a domain word (see scripts/protected_words.py)."""
        protected = (intent_data.INTENTS_DIR / "protected_words.txt").read_text(encoding="utf-8").split("\n")
        words: set[str] = {w for w in protected if w and not w.startswith("#")}
        for intent in self.intents.values():
            for example in intent.examples:
                words.update(re.findall(r"[a-z]+", example.lower()))
        for section in self.kb.sections:
            for _, text in section.passages:
                words.update(re.findall(r"[a-z]+", text.lower()))
        return words

    # -- public API ------------------------------------------------------------------------------
    def handle(self, message: Message, delivery_keys: tuple[str, ...] = ()) -> Reply | None:
        """One turn, durably: the new state, a filed lead and its queued notifications, the unanswered
        question, or a privacy erasure are committed together, or not at all.

        `delivery_keys` identify the inbound delivery (an event id, an update id): a delivery already
        acted on returns None, and the keys are recorded in the same transaction as the turn."""
        try:
            return self._handle(message, delivery_keys)
        except BaseException:
            self.db.conn.rollback()  # a failed turn leaves nothing half-written for the next one
            raise

    def _handle(self, message: Message, delivery_keys: tuple[str, ...]) -> Reply | None:
        if delivery_keys and self.store.already_seen(delivery_keys):
            return None
        key = message.conversation_key
        outcome = self._outcome(message, ConversationState.from_dict(self.store.load(key)))
        if delivery_keys:
            self.store.mark_seen(delivery_keys)
        if outcome.forget:
            forget_user(self.db, message.user)
        else:
            self.store.save(key, message.user, message.channel, outcome.state.to_dict())
        if outcome.lead:
            lead = outcome.lead | {"channel": message.channel, "user": message.user, "conversation": key}
            self.leads.insert(lead)
            for sink in self.notify.get("lead", ()):
                self.outbox.enqueue(lead["id"], sink, "lead", lead_payload(lead))
        if outcome.reply.intent == "human":
            handoff = handoff_payload(message, outcome.state)
            for sink in self.notify.get("handoff", ()):
                self.outbox.enqueue(handoff["id"], sink, "handoff", handoff)
        if outcome.reply.intent == "fallback" and message.text.strip():
            self.store.record_fallback(message.text, message.channel, message.user)
        self.store.commit()
        return outcome.reply

    def respond(self, message: Message, state: ConversationState) -> tuple[Reply, ConversationState]:
        """The reply and the next conversation state, without touching the store."""
        outcome = self._outcome(message, state)
        return outcome.reply, outcome.state

    def understand(self, text: str, state: ConversationState | None = None) -> tuple[Entities, list[Match]]:
        entities = self.recognize(self.normalize(text).text)
        return entities, self.matcher.rank(entities, state or ConversationState())

    # -- internals -------------------------------------------------------------------------------
    def _outcome(self, message: Message, state: ConversationState) -> Outcome:
        command = message.text.strip().lower() if message.button is None else ""
        if command == "/forget":
            return Outcome(self._reply("forget", 1.0, [self.form.text["forgotten"]]), ConversationState(),
                           forget=True)
        if command in SLASH_COMMANDS:
            message = replace(message, text="", button=BUTTON_PREFIX + SLASH_COMMANDS[command])
        if message.text.strip():
            state = state.evolve(recent=(*state.recent, message.text[:RECENT_CHARS])[-RECENT_MESSAGES:])
        if message.campaign:
            state = state.evolve(extra={**state.extra, "campaign": message.campaign,
                                        "source": f"{message.channel} deep link"})
        flow = self.flow.turn(message, state)
        if flow is not None:
            return flow
        reply, new_state, entities = self._respond(message, state)
        if reply.intent == "lead.start":
            return self.flow.start(message.text if message.button is None else "", entities, new_state, reply)
        return Outcome(reply, new_state)

    def _respond(self, message: Message, state: ConversationState) -> tuple[Reply, ConversationState, Entities]:
        """The answer, the next state, and what was understood (a talent request started here reuses it)."""
        if message.button is not None:
            chosen = message.button.removeprefix(BUTTON_PREFIX)
            if message.button.startswith(BUTTON_PREFIX) and chosen in self.intents:
                match = Match(chosen, 1.0, ("button",))
                return *self.answer_intent(match, (match,), self._nothing, state), self._nothing
            message = replace(message, text=message.button, button=None)
        if not message.text.strip():
            return self._reply("fallback", 1.0, [self.answers.say("empty")]), state, self._nothing
        entities, ranking = self.understand(message.text, state)
        top = ranking[0]
        if top.intent == "fallback" and not entities.out_of_scope and state.last_topic != OUT_OF_SCOPE:
            grounded = self._from_knowledge(entities)
            if grounded:
                return grounded, state.evolve(last_intent="kb.answer"), entities
        runner_up = next((m for m in ranking[1:] if m.intent != "fallback"), None)
        if (top.intent != "fallback" and runner_up and runner_up.confidence >= ACCEPT
                and top.confidence - runner_up.confidence < TOO_CLOSE):
            return *self._clarify(top, runner_up, ranking, state), entities
        return *self.answer_intent(top, tuple(ranking[:5]), entities, state), entities

    def answer_intent(self, match: Match, ranking: tuple[Match, ...], entities: Entities,
                state: ConversationState) -> tuple[Reply, ConversationState]:
        intent = self.intents[match.intent]
        recommendation = None
        buttons = intent.buttons
        if intent.id == "advise":
            advice = recommend(entities, state.recommendation)
            recommendation = advice.recommendation or None
            texts, sources = self.answers.advice(advice)
        elif intent.id == "fallback":
            texts, sources = [self._fallback_text(entities)], []
        else:
            texts, sources = self.answers.sections(intent.sections)
            if intent.id in _TEMPLATE_REPLIES:
                texts = [self.answers.say(_TEMPLATE_REPLIES[intent.id]), *texts]
            if intent.id == "oncall.pricing":
                texts.append(self.answers.say("pricing_note"))
        role = _ROLE_OF_PREFIX.get(intent.id.split(".")[0])
        if role is None and len(entities.roles) == 1:
            role = entities.roles[0]
        extra = state.extra
        if intent.id == "advise" and entities.signals:
            # the situation told here becomes the talent request's details if one follows
            extra = {**extra, "situation": entities.text[:1000]}
        if intent.id == "fallback" and entities.out_of_scope:
            topic, role = OUT_OF_SCOPE, None
            asked = next((self.intents[m.intent].topic for m in ranking if m.intent in self.intents
                          and m.intent != "fallback"), None)
            extra = {**extra, "asked_topic": asked}
        elif intent.id in ("fallback", "cancel"):
            topic, role = state.last_topic, role or state.last_role
        else:
            topic, role = intent.topic, role or state.last_role
        new_state = state.evolve(
            extra=extra,
            last_intent=intent.id,
            last_topic=topic,
            last_role=role,
            recommendation=recommendation or state.recommendation,
            pending=(),
        )
        reply = Reply(intent.id, _clamp(match.confidence), tuple(texts), tuple(buttons), tuple(sources),
                      recommendation=recommendation, ranking=ranking)
        return reply, new_state

    def _clarify(self, top: Match, runner_up: Match, ranking: list[Match],
                 state: ConversationState) -> tuple[Reply, ConversationState]:
        buttons = tuple(Button(self.answers.title(m.intent), BUTTON_PREFIX + m.intent) for m in (top, runner_up))
        topic = self.intents[top.intent].topic
        which_role = topic == self.intents[runner_up.intent].topic and topic in ROLE_TOPICS
        text = self.answers.say("which_role" if which_role else "clarify")
        reply = Reply("clarify", _clamp(top.confidence), (text,), buttons, ranking=tuple(ranking[:5]))
        return reply, state.evolve(last_intent="clarify", pending=(top.intent, runner_up.intent))

    def _from_knowledge(self, entities: Entities) -> Reply | None:
        """Answer from a strong passage when no intent matched; weak hits fall back."""
        words = [w for w in self.normalize.spelled_out(content(entities.masked).split())
                 if w not in _QUESTION_WORDS and len(w) > 2]
        if len(words) < _KB_MIN_WORDS:
            return None
        for hit in self.kb.search(words, limit=3):
            found = re.findall(r"[a-z0-9]+", hit.text.lower() + " " + hit.heading.lower())
            stems = {w[:5] for w in found}
            coverage = sum(1 for w in words if w[:5] in stems) / len(words)
            if coverage >= KB_STRONG:
                text = self.answers.say("kb_answer_intro", heading=hit.heading) + "\n" + hit.text
                return Reply("kb.answer", _clamp(coverage), (text,), sources=(Source(hit.document, hit.heading),))
        return None

    def _fallback_text(self, entities: Entities) -> str:
        for item in entities.out_of_scope:
            if item.kind == "job_seeking":
                return self.answers.say("fallback_job_seeker")
            if item.kind == "titles":
                return self.answers.say("fallback_other_title", title=item.phrase)
            return self.answers.say("fallback_other_sense", topic=item.phrase)
        return self.answers.say("fallback")

    def _reply(self, intent: str, confidence: float, texts: list[str]) -> Reply:
        known = self.intents.get(intent)
        buttons = known.buttons if known else ()
        return Reply(intent, confidence, tuple(texts), buttons)


def _clamp(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 4)
