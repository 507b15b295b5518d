"""The conversation engine: a `Message` in, a `Reply` out. It knows nothing of any channel.

One turn: load the state → understand (bot/understanding) → decide what it means here
(bot/dialogue) → compose (bot/answers) → commit the effects (state, lead, outbox rows, hand-off,
unanswered question, erasure) in one transaction (bot/storage, bot/sales).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import intents as intent_data
from bot.answers.compose import Answers
from bot.dialogue.form import TalentForm
from bot.dialogue.manager import Dialogue
from bot.dialogue.outcome import Outcome
from bot.dialogue.request_flow import RequestFlow
from bot.dialogue.state import ConversationState
from bot.insights.turns import Turn, TurnLog, turn_log_enabled
from bot.sales.leads import LeadStore
from bot.sales.outbox import Outbox
from bot.sales.privacy import forget_user, handoff_payload, lead_payload
from bot.sales.qualify import Rules
from bot.sales.relay import Relays
from bot.storage.database import Database
from bot.storage.replies import ReplyQueue
from bot.storage.store import AlreadyHandled, Store
from bot.types import Match, Message, Reply
from bot.understanding.entities import Entities
from bot.understanding.reader import Understanding
from knowledge import kb as knowledge


class Engine:
    def __init__(self, db: Database, notify: dict[str, tuple[str, ...]] | None = None,
                 rules: Rules | None = None, today: Callable[[], date] = date.today,
                 turn_log: bool | None = None, clock: Callable[[], float] = time.time):
        """`notify`: for each event ("lead", "handoff"), the outbox sinks it is queued for, e.g.
        {"lead": ("webhook", "slack"), "handoff": ("slack",)}. `today`: the day relative dates
        ("next week", "Q1") are read from. `turn_log`: write the owner's turn log (default: unless
        ONCALL_TURN_LOG=off). `clock`: the time turns are logged at."""
        knowledge.ensure_built(db, db.index())
        self.db = db
        self.store = Store(db)
        self.leads = LeadStore(db)
        self.outbox = Outbox(db)
        self.replies = ReplyQueue(db)
        self.relays = Relays(db)
        self.turn_log = TurnLog(db) if (turn_log_enabled() if turn_log is None else turn_log) else None
        self.clock = clock
        self.notify = notify or {}
        self.kb = knowledge.KnowledgeBase(db.index())
        self.intents = intent_data.load_intents()
        literals = self.store.regex_literals()
        known = set(literals)
        kb_words = {w for section in self.kb.sections for _, text in section.passages
                    for w in re.findall(r"[a-z]+", text.lower())}
        self.understanding = Understanding(self.intents, kb_words, literals)
        self.store.save_regex_literals(literals, known)
        self.normalize = self.understanding.normalize
        self.matcher = self.understanding.matcher
        self.answers = Answers(self.kb, intent_data.messages())
        self.form = TalentForm(intent_data.messages(), rules or Rules(), today)
        flow = RequestFlow(self.form, self.answers, self.understanding.entities)
        self.dialogue = Dialogue(self.understanding, self.answers, self.intents, flow)

    # -- public API ------------------------------------------------------------------------------
    def handle(self, message: Message, delivery_keys: tuple[str, ...] = (), reply_to: dict | None = None
               ) -> Reply | None:
        """One turn, durably: the new state, a filed lead and its queued notifications, a hand-off, the
        unanswered question, or a privacy erasure are committed together, or not at all.

        `delivery_keys` identify the inbound delivery (an event id, an update id): a delivery already
        acted on returns None, and the keys are recorded in the same transaction as the turn.
        `reply_to`: where the channel will post the answer; the reply is then queued in the same
        transaction (bot/storage/replies.py) and the channel's sender posts it from there."""
        try:
            with self.db.transaction():
                return self._handle(message, delivery_keys, reply_to)
        except AlreadyHandled:
            return None  # its turn was committed before (here or on another instance): nothing to redo

    def _handle(self, message: Message, delivery_keys: tuple[str, ...], reply_to: dict | None) -> Reply | None:
        key = message.conversation_key
        self.store.lock(key)  # one turn at a time per conversation, across instances
        if delivery_keys:
            self.store.claim_delivery(delivery_keys)  # raises AlreadyHandled: the transaction rolls back
        state = ConversationState.from_dict(self.store.load(key))
        relay = self.relays.active(key)
        if relay is not None and self.relays.takes(message):  # a person from sales has the conversation
            reply = self.relays.from_prospect(relay, message, self.clock())
            self._log(message, state, Outcome(reply, state))
            return self._queue(reply, message, delivery_keys, reply_to)
        outcome = self.dialogue.turn(message, state)
        if outcome.forget:
            forget_user(self.db, message.user)
        else:
            self.store.save(key, message.user, message.channel, outcome.state.to_dict())
        if outcome.lead:
            lead = outcome.lead | {"channel": message.channel, "user": message.user, "conversation": key}
            self.leads.insert(lead)
            for sink in self.notify.get("lead", ()):
                self.outbox.enqueue(lead["id"], sink, "lead", lead_payload(lead))
        if outcome.handoff is not None:
            outcome = self._hand_off(message, outcome, reply_to)
        if outcome.unanswered and message.text.strip() and not outcome.forget:
            self.store.record_fallback(message.text, message.channel, message.user)
        self._log(message, state, outcome)
        return self._queue(outcome.reply, message, delivery_keys, reply_to)

    def _hand_off(self, message: Message, outcome: Outcome, reply_to: dict | None) -> Outcome:
        """Queue the notice for sales; with a sales channel to reply from and a chat to reply to, open a relay."""
        handoff = handoff_payload(message, outcome.state, outcome.handoff.get("question"))
        # a live relay needs a sales channel to answer from and a place to reach them for a while; a target
        # that only lives minutes (a slash command's response URL) gets the notice without a relay
        relay = reply_to is not None and not reply_to.get("short_lived") and "slack" in self.notify.get("handoff", ())
        sinks = self.notify.get("handoff", ())
        for sink in sinks:
            self.outbox.enqueue(handoff["id"], sink, "handoff", handoff | ({"relay": True} if relay else {}))
        if not relay:
            # kept for `oncall-bot handoffs` either way; with nowhere to send it, the promise is not made
            self.relays.note(handoff, "notified" if sinks else "unrouted", self.clock())
            if sinks:
                return outcome
            generic = self.answers.policy("handoff")
            texts = tuple(self.relays.texts["unrouted"] if t == generic else t for t in outcome.reply.texts)
            return replace(outcome, reply=replace(outcome.reply, texts=texts))
        email = (outcome.state.form or {}).get("fields", {}).get("email") or self.leads.email_given(
            message.conversation_key)
        told = self.relays.open(handoff, reply_to, email, self.clock())
        generic = self.answers.policy("handoff")  # "a person will reply here or by email": now said precisely
        texts = (*(t for t in outcome.reply.texts if t != generic), told)
        # no buttons: while the relay waits, a press would go to the team rather than do what it says
        return replace(outcome, reply=replace(outcome.reply, texts=texts, buttons=()))

    def _log(self, message: Message, state: ConversationState, outcome: Outcome) -> None:
        if self.turn_log and not outcome.forget:
            self.turn_log.record(Turn(message, state, outcome.state, outcome.reply, bool(outcome.lead),
                                      outcome.unanswered), self.clock())

    def _queue(self, reply: Reply, message: Message, delivery_keys: tuple[str, ...], reply_to: dict | None) -> Reply:
        if reply_to is not None and (reply.texts or reply.buttons):  # a relayed message: nothing to say
            key = delivery_keys[0] if delivery_keys else f"{message.conversation_key}:{uuid.uuid4().hex}"
            self.replies.enqueue(key, message.channel, message.conversation_key, message.user, reply_to, reply)
        return reply

    def respond(self, message: Message, state: ConversationState) -> tuple[Reply, ConversationState]:
        """The reply and the next conversation state, without touching the store."""
        outcome = self.dialogue.turn(message, state)
        return outcome.reply, outcome.state

    def understand(self, text: str, state: ConversationState | None = None) -> tuple[Entities, list[Match]]:
        reading = self.understanding.read(text, state or ConversationState())
        return reading.entities, list(reading.ranking)
