"""The dialogue manager: what a message means in this conversation.

The next message is read against what the assistant offered and asked last before anything else:
"ok do it" after a recommendation starts the talent request for that role, "why?" explains the last
answer, new facts revise the advice, "tell me more" expands the last topic. Then an open talent-request
form gets the message; only then is it a new question, answered directly, honestly unknown, or out of
scope.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import replace

import intents as intent_data
from bot.answers.compose import Answers
from bot.dialogue.advising import Advising, adds_facts
from bot.dialogue.fields import parse_engagement
from bot.dialogue.form import Said
from bot.dialogue.outcome import Outcome
from bot.dialogue.questions import split_questions
from bot.dialogue.request_flow import RequestFlow
from bot.dialogue.state import ConversationState
from bot.dialogue.topics import BUTTON_PREFIX, ELLIPTICAL_QUESTION, MORE_PREFIX, TopicReplies, clamp
from bot.types import Button, Match, Message, Reply, Source
from bot.understanding.acts import NOTHING, strip_fillers
from bot.understanding.matcher import ACCEPT, OUT_OF_SCOPE, ROLE_TOPICS, TOO_CLOSE, content
from bot.understanding.reader import Reading, Understanding

KB_STRONG = 0.6  # share of the message's content words a passage must contain to answer on its own
_KB_MIN_WORDS = 3
RECENT_MESSAGES, RECENT_CHARS = 6, 240  # the transcript excerpt sales sees with a lead
_QUESTION_WORDS = frozenset("role what how why when who which where whats hows".split())
# Chat commands every channel shares (Telegram's /hire, the console's /help...).
SLASH_COMMANDS = {"/start": "smalltalk.greet", "/help": "help", "/hire": "lead.start", "/cancel": "cancel"}
# A statement of need naming a role is a request ("hire ops manager", "looking for a PM, full time, asap").
_NEED = re.compile(r"\b(need|needs|needed|needing|looking for|look for|looking to (hire|bring|get|find|engage)|want|"
                   r"wanna|get me|get us|find me|find us|send me|send us|search|searching|seeking|bring in|bring on|"
                   r"hire|hiring|book|require|requires|required|get (a|an|one|two|some)|engage)\b")
_REQUEST_START = re.compile(r"^(hi |hey |hello |ok |so |then |please |pls |actually |alright |right )*"
                            r"(hire|book|get me|get us|find me|find us|"
                            r"lets (get|hire|book|go with|do) (that|the|a|an|one|both)|"
                            r"send me|send us|(i |we )?need (a|an|one|two|both|someone|somebody|role|help)|"
                            r"looking for|we are looking|i am looking|(i |we )?(want|would like|d like) "
                            r"(to (hire|get|book|bring|find|request|engage)|a |an |one |two |both |someone|role)|"
                            r"request|requesting|"
                            r"we are needing|we search|seeking|can (you|u) (find|get|send|"
                            r"arrange|book|hook)|could (you|u) (find|get|send|arrange))\b")
_STARTING = re.compile(r"\bhow (do |can |should |would |shall )?(i|we) (get started|start|begin|proceed|sign up|"
                       r"go about hiring|get going)\b")
# Asking whether something is possible is a question, not yet a request: "is part time even a thing?"
_POSSIBLE = re.compile(r"^(is|are|do|does|can i|can we|could i|could we|would|should|is it|is there|do i|do we|"
                       r"will|what|which|who|why|when|how)\b")
_ABOUT_ADVICE = re.compile(r"\b(that|it|this|them|one|role)\b.{0,25}\b(overkill|too much|necessary|needed|worth it|"
                           r"still|make sense|makes sense|change|right for us|enough)\b|\bstill\b")
_SOCIAL = frozenset({"help", "smalltalk.greet", "smalltalk.thanks", "smalltalk.bye"})
_ELLIPTICAL = re.compile(r"^(and|what about|how about|also|plus|or)( \w+){1,3}$")
_ABOUT_ONCALL = re.compile(r"\b(you|your|yours|oncall|you guys|through you)\b")
_CHOOSING = re.compile(r"\brole or (a |an )?role\b|\b(which|who) (one|role|should)\b")
class Dialogue:
    def __init__(self, understanding: Understanding, answers: Answers, intents: dict[str, intent_data.Intent],
                 flow: RequestFlow):
        self.understanding = understanding
        self.answers = answers
        self.intents = intents
        self.advising = Advising(answers, intent_data.signals())
        self.topics = TopicReplies(intents, answers, self.advising)
        self.flow = flow

    def read(self, text: str, state: ConversationState) -> Reading:
        return self.understanding.read(text, state)

    # -- one turn ------------------------------------------------------------------------------------
    def turn(self, message: Message, state: ConversationState) -> Outcome:
        outcome = self._turn(message, state)
        said = zlib.crc32("\n".join(outcome.reply.texts).encode())
        if said == state.said and outcome.reply.texts and not outcome.forget:
            outcome = self._said_again(outcome)  # never the same text twice in a row
            said = zlib.crc32("\n".join(outcome.reply.texts).encode())
        return replace(outcome, state=outcome.state.evolve(said=said)) if not outcome.forget else outcome

    def _said_again(self, outcome: Outcome) -> Outcome:
        """The reply about to repeat the last one word for word: say so, or offer a person instead."""
        reply = outcome.reply
        if reply.intent == "fallback":
            texts = (self.answers.say("fallback_again"),)
            buttons = (Button(self.answers.button("person"), BUTTON_PREFIX + "human"), *reply.buttons[:3])
            return replace(outcome, reply=replace(reply, texts=texts, buttons=buttons),
                           state=outcome.state.evolve(offer={"kind": "human"}))
        first, *rest = reply.texts
        return replace(outcome, reply=replace(reply, texts=(self.answers.say("again", text=first), *rest)))

    def _turn(self, message: Message, state: ConversationState) -> Outcome:
        command = message.text.strip().lower() if message.button is None else ""
        if command == "/forget":
            return self._forget(state)
        if command in SLASH_COMMANDS:
            message = replace(message, text="", button=BUTTON_PREFIX + SLASH_COMMANDS[command])
        if message.attachment and not message.text.strip() and message.button is None:
            return Outcome(Reply("attachment", 1.0, (self.answers.say("attachment_only"),)), state)
        if message.text.strip():
            state = state.evolve(recent=(*state.recent, message.text[:RECENT_CHARS])[-RECENT_MESSAGES:])
        if message.campaign:
            state = state.evolve(extra={**state.extra, "campaign": message.campaign,
                                        "source": f"{message.channel} deep link"})
        if message.button is not None:
            return self._button(message.button, state)
        if not message.text.strip():
            return self._template("fallback", "empty", state)
        reading = self.read(message.text, state)
        acts = reading.acts
        offer = state.offer or {}
        if offer.get("kind") == "forget" and (acts.affirm or acts.deny):
            return self._forget(state) if acts.affirm else self._template("decline", "decline_forget", state)
        if acts.forget:
            return self._confirm_forget(state)
        if state.form and state.form.get("status") == "open":
            return self.flow.turn(message, reading, state, self._answer_in_form)
        if state.form and not state.offer and (acts.affirm or acts.proceed) and not acts.ack and (
                reading.top.intent not in _SOCIAL):
            return self.flow.filed_again(state)  # a second "yes" never files the request twice
        return self._understood(reading, state)

    def _understood(self, reading: Reading, state: ConversationState) -> Outcome:
        acts, entities = reading.acts, reading.entities
        offer = state.offer or {}
        # An offer made earlier still stands after a question or two ("what would they do?" … "ok do it"),
        # but a bare "ok" only accepts what the last reply asked.
        asked = offer.get("asked", True)
        thanking = reading.top.intent in _SOCIAL  # "cool thx" is thanks, not a yes
        if offer and not thanking and (acts.proceed or acts.affirm and not acts.question and (asked or not acts.ack)):
            return self._accept(offer, reading, state)
        if offer and acts.deny:
            return self._template("decline", "decline", state)
        if acts.why and (state.advice or state.last_intent):
            return self._explain(state, brief=acts.brief)
        if acts.more and state.more:
            return self.topics.more(state.more, state)
        if acts.identity:
            return self.topics.identity(state, reading)
        about_advice = acts.question and _ABOUT_ADVICE.search(entities.masked)  # "is that overkill for us?"
        adding = entities.signals and reading.top.intent == "advise"  # "what about our launch in March, who runs that?"
        if state.advice and (not acts.question or about_advice or adding) and adds_facts(entities) and (
                reading.top.intent in ("advise", "fallback", "lead.start", "compare.need_both") or entities.signals):
            return self._revise(reading, state)
        if acts.about_request:
            return self.flow.about_request(acts.about_request, state)
        uncovered = self._uncovered(reading, state)
        if uncovered is not None:
            return uncovered
        if acts.brief and reading.top.intent == "fallback" and state.last_intent in self.intents:
            return self.topics.answer(Match(state.last_intent, 1.0, ("in one line",)), reading, state)
        if acts.ack and not offer and reading.top.intent in ("fallback", "smalltalk.thanks"):
            return self._template("smalltalk.ack", "ack", state)
        both = self._two_questions(reading, state)
        if both is not None:
            return both
        asked = state.extra.get("asked")
        if asked and asked["yn"] and reading.top.intent == "fallback" and _ELLIPTICAL.match(entities.text) and (
                state.last_intent in self.intents) and not entities.out_of_scope:
            # "does an ops manager deal with vendors?" … "and budgets?": the same question about something else
            return self.topics.answer(Match(state.last_intent, 0.8, (ELLIPTICAL_QUESTION,)), reading, state)
        return self._answer(reading, state)

    # -- a new question ------------------------------------------------------------------------------
    def _answer(self, reading: Reading, state: ConversationState) -> Outcome:
        entities, ranking, top = reading.entities, reading.ranking, reading.top
        requested = self._is_request(reading) or self._is_order(reading)
        if top.intent == "lead.start" or requested:
            possible = reading.acts.question and _POSSIBLE.match(strip_fillers(entities.text))
            if requested or reading.acts.proceed or _STARTING.search(entities.text) or not possible:
                return self.flow.start(reading, state, self.answers.say("lead_start"))
            ranking = tuple(m for m in ranking if m.intent != "lead.start") or ranking
            if ranking[0].confidence < ACCEPT:
                ranking = (Match("fallback", 1 - ranking[0].confidence, ("a question, not a request",)), *ranking)
            top = ranking[0]
        if top.intent == "fallback" and not entities.out_of_scope and state.last_topic != OUT_OF_SCOPE:
            grounded = self._from_knowledge(reading)
            if grounded:
                return Outcome(grounded, state.evolve(last_intent="kb.answer", offer=None, more=None))
            if self._in_domain(reading):
                return self.topics.unknown(reading, state, None)
        runner_up = next((m for m in ranking[1:] if m.intent != "fallback"), None)
        if (top.intent != "fallback" and runner_up and runner_up.confidence >= ACCEPT
                and top.confidence - runner_up.confidence < TOO_CLOSE):
            return self._clarify(top, runner_up, reading, state)
        if top is not reading.top:
            reading = replace(reading, ranking=(top, *ranking))
        return self.topics.answer(top, reading, state)

    def _is_request(self, reading: Reading) -> bool:
        """"hire ops manager", "we need a PM, part time, asap": a request naming the role, not a question
        about one ("when should I hire a PM?") nor a choice to make ("a PM or an ops manager?")."""
        entities = reading.entities
        if not (entities.strong_roles or entities.mentions_both) or not _NEED.search(entities.text):
            return False
        if _CHOOSING.search(entities.masked) or (reading.acts.question and not re.match(
                r"^(can|could|would) (you|u) ", strip_fillers(entities.text))):
            return False
        if _REQUEST_START.match(entities.text):
            return True
        terms = self.flow.form.found(Said(reading.raw, entities.text, entities))
        return "engagement" in terms or "start" in terms

    def _is_order(self, reading: Reading) -> bool:
        """"project manager for a website redesign, project based, asap": the terms of a request, no verb."""
        entities = reading.entities
        if not entities.strong_roles or reading.acts.question or not parse_engagement(entities.masked) or (
                _CHOOSING.search(entities.masked)):
            return False
        return "start" in self.flow.form.found(Said(reading.raw, entities.text, entities))

    def _uncovered(self, reading: Reading, state: ConversationState) -> Outcome | None:
        """A question about a subject the knowledge doesn't cover: honestly unknown, or — when an intent
        covers it in part — that answer followed by what it doesn't cover."""
        subject, top = reading.uncovered, reading.top
        if subject is None or top.intent in ("human", "lead.start") or (
                top.intent == "advise" and reading.entities.signals):
            return None
        covering = subject.partial
        general = subject.general and top.intent.split(".")[0] in ("pm", "ops", "compare") and (
            top.confidence >= ACCEPT)
        if covering is None and general and not _ABOUT_ONCALL.search(reading.entities.masked):
            covering = top.intent  # "is a certification important for a PM?": about the role in general
        if covering in self.intents:
            return self.topics.partly(Match(covering, top.confidence, ("partly covered",)), reading, state, subject)
        return self.topics.unknown(reading, state, subject)

    def _in_domain(self, reading: Reading) -> bool:
        """A question about OnCall or the two roles that nothing answered: honest unknown, not out of scope."""
        entities = reading.entities
        if entities.out_of_scope or not reading.acts.question:
            return False
        words = set(entities.masked.split())
        return bool(entities.strong_roles) or bool(words & {"oncall", "zowa", "candidates", "talent"})

    def _two_questions(self, reading: Reading, state: ConversationState) -> Outcome | None:
        parts = split_questions(reading.raw)
        if len(parts) < 2:
            return None
        subs = [self.read(part, state) for part in parts]
        asked = [sub for sub in subs if sub.top.intent not in _SOCIAL]
        if len(asked) == 1 and len(subs) == 2 and asked[0].top.intent != "fallback":
            return self._answer(asked[0], state)  # "hiii how r u? … whats zowa btw": one real question
        outcomes: list[Outcome] = []
        for index, part in enumerate(parts):
            # the second part reads in the light of the first: "…and when an ops manager?"
            sub = self.read(part, outcomes[-1].state) if outcomes else subs[index]
            if sub.top.intent in ("fallback", "lead.start", "human", "cancel") or sub.top.confidence < 0.6 or not (
                    sub.acts.question or sub.acts.brief):
                return None  # a story and then its question is one question, not two
            outcomes.append(self.topics.answer(sub.top, sub, outcomes[-1].state if outcomes else state))
        if len({o.reply.intent for o in outcomes}) < 2:
            return None
        first, second = outcomes
        texts = tuple(first.reply.texts) + tuple(second.reply.texts)
        reply = replace(first.reply, texts=texts, sources=first.reply.sources + second.reply.sources,
                        buttons=tuple(dict.fromkeys(first.reply.buttons + second.reply.buttons))[:6])
        answered = tuple(dict.fromkeys(first.state.answered + second.state.answered))
        return Outcome(reply, first.state.evolve(answered=answered, offer=second.state.offer or first.state.offer))

    def _clarify(self, top: Match, runner_up: Match, reading: Reading, state: ConversationState) -> Outcome:
        buttons = tuple(Button(self.answers.title(m.intent), BUTTON_PREFIX + m.intent) for m in (top, runner_up))
        topic = self.intents[top.intent].topic
        which_role = topic == self.intents[runner_up.intent].topic and topic in ROLE_TOPICS
        text = self.answers.say("which_role" if which_role else "clarify")
        reply = Reply("clarify", clamp(top.confidence), (text,), buttons, ranking=reading.ranking[:5])
        return Outcome(reply, state.evolve(last_intent="clarify", pending=(top.intent, runner_up.intent),
                                           offer=None, more=None))

    def _from_knowledge(self, reading: Reading) -> Reply | None:
        """Answer from a strong passage when no intent matched; weak hits fall back."""
        normalize = self.understanding.normalize
        words = [w for w in normalize.spelled_out(content(reading.entities.masked).split())
                 if w not in _QUESTION_WORDS and len(w) > 2]
        if len(words) < _KB_MIN_WORDS:
            return None
        for hit in self.answers.kb.search(words, limit=3):
            found = re.findall(r"[a-z0-9]+", hit.text.lower() + " " + hit.heading.lower())
            stems = {w[:5] for w in found}
            coverage = sum(1 for w in words if w[:5] in stems) / len(words)
            if coverage >= KB_STRONG:
                text = self.answers.say("kb_answer_intro", heading=hit.heading) + "\n" + hit.text
                return Reply("kb.answer", clamp(coverage), (text,), sources=(Source(hit.document, hit.heading),))
        return None

    # -- what the last reply offered -----------------------------------------------------------------
    def _accept(self, offer: dict, reading: Reading, state: ConversationState) -> Outcome:
        named = reading.entities.roles or reading.entities.mentions_both or "both" in reading.entities.text.split()
        if offer["kind"] == "human" and reading.acts.proceed and named:
            return self.flow.start(reading, state, self.answers.say("lead_start"))  # "ok lets do both then"
        if offer["kind"] == "request":
            accepted = state.evolve(recommendation=offer.get("role") or state.recommendation, offer=None)
            return self.flow.start(reading, accepted, self.answers.say("lead_start"), from_offer=True)
        if offer["kind"] == "forget":
            return self._forget(state)
        return self.topics.answer(Match("human", 1.0, ("accepted the offer",)), reading, state)

    def _explain(self, state: ConversationState, brief: bool = False) -> Outcome:
        if state.advice:
            texts, sources = self.advising.explain(state.advice, brief)
            buttons = (Button(self.answers.button("request"), BUTTON_PREFIX + "lead.start"),)
            offer = {"kind": "request", "role": state.advice["rec"]}
        else:
            intent = self.intents.get(state.last_intent or "")
            section = self.answers.kb.section(intent.sections[0]) if intent and intent.sections else None
            if section is None:
                return self._template("explain", "explain_nothing", state)
            texts = [self.answers.say("explain_answer", heading=section.heading)]
            sources = [Source(section.document, section.heading)]
            buttons = (Button(self.answers.button("more"), MORE_PREFIX + intent.id),)
            offer = None
        reply = Reply("explain", 1.0, tuple(texts), buttons, tuple(sources))
        return Outcome(reply, state.evolve(last_intent="explain", offer=offer))

    def _revise(self, reading: Reading, state: ConversationState) -> Outcome:
        revised = self.advising.revise(state.advice, reading.entities)
        choice = self.answers.role_name(revised.recommendation)
        texts = [*revised.texts, self.answers.say("offer_request", choice=choice)]
        if reading.acts.yes_no:  # "we're tiny, is that overkill for us?": the answer first
            changed = revised.recommendation != state.advice["rec"]
            texts[0] = f"{'Yes' if changed else 'It depends'}. {texts[0]}"
        buttons = self.intents["advise"].buttons
        reply = Reply("advise", 1.0, tuple(texts), buttons, tuple(revised.sources),
                      recommendation=revised.recommendation,
                      ranking=reading.ranking[:5])
        role = revised.recommendation if revised.recommendation in ("project_manager", "operations_manager") else (
            state.last_role)
        situation = f"{state.extra.get('situation', '')} {' '.join(reading.raw.split())}".strip()[-1000:]
        new_state = state.evolve(last_intent="advise", last_topic="advise", last_role=role, advice=revised.memo,
                                 recommendation=revised.recommendation, offer={"kind": "request",
                                                                               "role": revised.recommendation},
                                 extra={**state.extra, "situation": situation}, more=None)
        return Outcome(reply, new_state)

    # -- small replies -------------------------------------------------------------------------------
    def _template(self, intent: str, key: str, state: ConversationState) -> Outcome:
        known = self.intents.get(intent)
        buttons = known.buttons if known else ()
        reply = Reply(intent, 1.0, (self.answers.say(key),), buttons)
        return Outcome(reply, state.evolve(last_intent=intent, offer=None))

    def _confirm_forget(self, state: ConversationState) -> Outcome:
        buttons = (Button(self.answers.button("yes_delete"), "intent:forget"),
                   Button(self.answers.button("no_keep"), "intent:decline"))
        reply = Reply("forget.confirm", 1.0, (self.answers.say("forget_confirm"),), buttons)
        return Outcome(reply, state.evolve(last_intent="forget.confirm", offer={"kind": "forget"}))

    def _forget(self, state: ConversationState) -> Outcome:
        reply = Reply("forget", 1.0, (self.answers.messages["form"]["forgotten"],))
        return Outcome(reply, ConversationState(), forget=True)

    def _button(self, value: str, state: ConversationState) -> Outcome:
        if value.startswith(MORE_PREFIX) and value.removeprefix(MORE_PREFIX) in self.intents:
            return self.topics.more(value.removeprefix(MORE_PREFIX), state)
        if value == "intent:forget":
            return self._forget(state)
        if value == "intent:decline":
            return self._template("decline", "decline_forget" if (state.offer or {}).get("kind") == "forget"
                                  else "decline", state)
        nothing = Reading("", self.understanding.nothing, (Match("fallback", 1.0),), NOTHING, None)
        if state.form and state.form.get("status") == "open" or value.startswith("form:"):
            handled = self.flow.press(value, nothing, state, self._answer_in_form)
            if handled is not None:
                return handled
        chosen = value.removeprefix(BUTTON_PREFIX)
        if value.startswith(BUTTON_PREFIX) and chosen in self.intents:
            if chosen == "lead.start":
                return self.flow.start(nothing, state, self.answers.say("lead_start"))
            match = Match(chosen, 1.0, ("button",))
            return self.topics.answer(match, replace(nothing, ranking=(match,)), state)
        reading = self.read(value, state)  # a channel's own button value, typed out
        return self._understood(reading, state)

    def _answer_in_form(self, match: Match, reading: Reading, state: ConversationState) -> Outcome:
        """A question asked in the middle of the form: answered like any other (the flow re-asks its field)."""
        uncovered = self._uncovered(reading, state)
        if uncovered is not None:
            return uncovered
        if reading.acts.identity:
            return self.topics.identity(state, reading)
        return self.topics.answer(match, reading, state)
