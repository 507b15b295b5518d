"""Talent requests inside a conversation: starting the form, and reading every message while it is open
— an answer, several answers at once, a correction, a note for the details, a question about the
request or about anything else (answered, then the same field asked again), or "cancel".

Questions are answered through a function the dialogue manager hands in, so this module never reaches
back up to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.answers.compose import Answers
from bot.dialogue.fields import SKIP
from bot.dialogue.form import CHOICES, OPTIONAL, PREFIX, FormTurn, Said, TalentForm, copy
from bot.dialogue.outcome import Outcome
from bot.dialogue.state import ConversationState
from bot.sales.leads import FIELDS
from bot.types import Button, Match, Message, Reply
from bot.understanding.entities import Entities
from bot.understanding.matcher import ACCEPT
from bot.understanding.reader import Reading

Answer = Callable[[Match, Reading, ConversationState], Outcome]
STRUCTURED = ("role", "engagement", "start", "email", "phone", "company_size")
FREE_TEXT = ("company", "name", "details")
QUESTION_CONFIDENCE = 0.6
_NOT_QUESTIONS = ("fallback", "cancel", "lead.start", "clarify")
# "oh and they should know Shopify", "also: must speak German": more for the details, whatever is asked now.
_ADD_DETAILS = re.compile(
    r"^((oh|ah|and|also|plus|btw|by the way|one more thing|ps|p s|note|fyi|oh and|and also)\b.{0,40})?"
    r"\b(they|he|she|the role|the person|the candidate|someone|whoever|ideally they)\b.{0,15}\b(should|must|need to|"
    r"needs to|has to|have to|would need to|ideally|will need to)\b.{0,12}\b(know|have|be|speak|understand|bring|"
    r"come from|work with|handle|live|like)\b|^(oh and|and also|also|one more thing|btw|by the way|ps|fyi|"
    r"note)\b(?!.*\?)")
_OPTIONS = re.compile(r"\b((what|which) are (the|my|your) (options|choices)|what (options|choices)|"
                      r"what can i (choose|pick)|^(options|choices)$)\b")
_ONE_OF_THEM = re.compile(r"\b(one|them|him|her|that|such a person|someone like that)\b")
_CORRECTION_AT = re.compile(r"\b(actually|wait|make it|make that|change|switch|instead|rather|i meant|i mean|"
                            r"should be|correction|update|scratch that|oops|sorry)\b")
_CLAUSE_END = re.compile(r"[,;.!?]| because | since | as | coz | cause | we | our | but ", re.IGNORECASE)
_CANCEL = re.compile(r"\b(cancel\w*|never ?mind|nvm|forget (it|about it|the (whole )?(thing|request))|abort|"
                     r"scrap (it|that|this|the request)|drop it|changed my mind|not anymore|leave it|"
                     r"(do not|dont) want to (continue|go on|proceed)|(lets |please )?stop( it| this| here| now)?$|"
                     r"^stop\b|not now|call it off|hold off)\b")
_WORTH_KEEPING_SKIP = frozenset(
    "i we you me us a an the to for of and or would like want need needs looking request requesting hire hiring "
    "get find book please some someone role can could help start started starting parttime fulltime "
    "projectbased as soon possible asap lets our my".split())


class RequestFlow:
    def __init__(self, form: TalentForm, answers: Answers, entities_of: Callable[[str], Entities]):
        """`entities_of(text)`: what a piece of a message says on its own (the understanding layer's reader)."""
        self.form = form
        self.answers = answers
        self.entities_of = entities_of

    # -- starting ------------------------------------------------------------------------------------
    def start(self, reading: Reading, state: ConversationState, intro: str, from_offer: bool = False) -> Outcome:
        """`reading`: the message that asked for talent (it may pre-fill the form); `from_offer`: it only
        said yes to the assistant's offer, so it is no description of the need."""
        found = self.form.found(self._said(reading)) if reading.raw else {}
        if state.recommendation and "role" not in found:
            found = {"role": state.recommendation, **found}
        if "role" not in found and _ONE_OF_THEM.search(reading.entities.text) and state.last_role:
            found = {"role": state.last_role, **found}  # "can you get me one?" after talking about PMs
        details = None
        if reading.raw and not from_offer and _worth_keeping(reading):
            details = " ".join(reading.raw.split())[:1000]
        elif state.extra.get("situation"):
            details = state.extra["situation"]
        turn = self.form.start(found, None, intro, details)
        return self._outcome(turn, state.evolve(offer=None, more=None), "lead.start", 1.0)

    # -- while the form is open ----------------------------------------------------------------------
    def turn(self, message: Message, reading: Reading, state: ConversationState, answer: Answer) -> Outcome:
        form = copy(state.form)
        said, acts, top = self._said(reading), reading.acts, reading.top
        expecting = form["expecting"]
        skipping = expecting in OPTIONAL and SKIP.match(said.normalized.strip())
        if not skipping and (_CANCEL.search(said.normalized) or top.intent == "cancel" and top.confidence >= 0.8):
            return self._outcome(self.form.cancelled(), state, "cancel", 1.0)
        if skipping:
            self.form.skip(form)
            return self._outcome(self.form.next(form), state, "lead.start", 1.0)
        if acts.about_request:
            return self._about_request_in_form(acts.about_request, form, state)
        if expecting in CHOICES and _OPTIONS.search(said.normalized):  # "what are the options?"
            turn = self.form.prompt(form, [self.form.text["options"]])
            return self._outcome(turn, state, "request.question", 1.0)
        if self._is_question(reading, expecting) and not (state.form.get("note_next") and not acts.question):
            # A question is answered, never stored: "when will I hear back?" is nobody's name. A note
            # asked for a moment ago is still awaited after it.
            return self._interrupt(answer(reading.top, reading, state), form, state)
        noting = form.pop("note_next", False)
        offered_person = (state.offer or {}).get("kind") == "human" and (acts.affirm or acts.proceed)
        if not noting and (offered_person or top.intent == "human" and top.confidence >= QUESTION_CONFIDENCE):
            # "ok put me through to someone": a person, and the request stays where it was
            return self._interrupt(answer(Match("human", 1.0, ("asked for a person",)), reading, state), form, state)
        found = self.form.found(said)
        if noting or not found and _ADD_DETAILS.search(said.normalized) and expecting != "details":
            self.form.add_details(form, " ".join(said.raw.split()))
            form["details_done"] = form.get("details_done") or expecting == "details"
            return self._outcome(self.form.next(form, [self.form.text["details_added"]]), state, "lead.start", 1.0)
        correcting = acts.correction or expecting == "confirm"
        if correcting:
            found = self._corrected(said) or found
        before = dict(form["fields"])
        changed = self.form.fill(form, found, override=correcting)
        corrected = [f for f in changed if f in before and f != expecting]
        if corrected:
            return self._outcome(self.form.next(form, [self.form.changed(form, corrected)]), state, "lead.start", 1.0)
        if expecting == "confirm":
            turn = self.form.at_confirm(form, said)
            if turn is None:
                turn = self.form.ask(form, [self.form.text["what_to_change"]])
            return self._outcome(turn, state, "lead.start", 1.0)
        if expecting in changed or changed and expecting in form["fields"]:
            return self._outcome(self.form.next(form), state, "lead.start", 1.0)
        value, why = self.form.parse(expecting, said)
        if value == "skip":
            self.form.skip(form)
            return self._outcome(self.form.next(form), state, "lead.start", 1.0)
        if value is not None:
            self.form.set(form, expecting, value)
            return self._outcome(self.form.next(form), state, "lead.start", 1.0)
        if changed:
            return self._outcome(self.form.next(form), state, "lead.start", 1.0)
        if acts.question:  # "is my data safe?" when a phone number was asked: a question, not a bad number
            return self._interrupt(answer(reading.top, reading, state), form, state)
        return self._outcome(self.form.invalid(form, why), state, "lead.start", 1.0)

    def _corrected(self, said: Said) -> dict:
        """What a correction changes: read from the words after "actually", "make it", "change … to"
        ("actually make it part-time, we can't afford full time right now" changes the engagement only)."""
        marker = _CORRECTION_AT.search(said.raw.lower())
        if marker is None:
            return {}
        clause = _CLAUSE_END.split(said.raw[marker.start():])[0]
        entities = self.entities_of(clause)
        return self.form.found(Said(clause, entities.text, entities))

    def press(self, value: str, nothing: Reading, state: ConversationState, answer: Answer) -> Outcome | None:
        """A button pressed while the form is open (or a form button from an older message)."""
        form = state.form or {}
        if form.get("status") == "filed" and value == PREFIX + "confirm":
            return Outcome(Reply("lead.start", 1.0, (self.form.already_filed(form["lead_id"]),)), state)
        if form.get("status") != "open":
            return None
        if value.startswith(PREFIX):
            turn = self.form.press(form, value) or self.form.prompt(copy(form))
            return self._outcome(turn, state, "lead.start", 1.0)
        if value == "intent:cancel":
            return self._outcome(self.form.cancelled(), state, "cancel", 1.0)
        if value.startswith("intent:") and value != "intent:lead.start":
            match = Match(value.removeprefix("intent:"), 1.0, ("button",))
            return self._interrupt(answer(match, nothing, state), copy(form), state)
        return None

    def filed_again(self, state: ConversationState) -> Outcome:
        reply = Reply("lead.start", 1.0, (self.form.already_filed(state.form["lead_id"]),))
        return Outcome(reply, state)

    def about_request(self, key: str, state: ConversationState) -> Outcome:
        """A question about the request process outside an open form (before one, or after filing)."""
        filed = (state.form or {}).get("lead_id") if (state.form or {}).get("status") == "filed" else None
        offer = None
        if key == "status":
            text = self.form.text["status_filed"].format(id=filed) if filed else self.form.text["status_none"]
            offer = None if filed else {"kind": "request", "role": state.recommendation}
        elif key == "add_note" and filed:
            text, offer = self.form.text["after_filed_note"].format(id=filed), {"kind": "human"}
        else:
            text = self.answers.policy({"add_note": "next_steps"}.get(key, key))
        reply = Reply("request.question", 1.0, (text,))
        return Outcome(reply, state.evolve(last_intent="request.question", offer=offer))

    # -- internals -----------------------------------------------------------------------------------
    def _about_request_in_form(self, key: str, form: dict, state: ConversationState) -> Outcome:
        if key == "add_note" and form["expecting"] in ("details", "confirm"):
            form["note_next"] = True  # the next message is the note
            before = [self.form.text["note_prompt"]]
            turn = self.form.ask(form, before) if form["expecting"] != "confirm" else self.form.summary(form, before)
        elif key == "add_note":  # there is a question for it at the end: keep to the field asked now
            turn = self.form.prompt(form, [self.form.text["note_later"]])
        else:
            policy = {"status": "next_steps"}.get(key, key)
            turn = self.form.prompt(form, [self.answers.policy(policy), self.form.text["back_to_form"]])
        return self._outcome(turn, state, "request.question", 1.0)

    @staticmethod
    def _is_question(reading: Reading, expecting: str) -> bool:
        """A question to answer rather than a value for the pending field."""
        top, acts = reading.top, reading.acts
        if acts.identity or reading.uncovered and acts.question:
            return True
        if top.intent in _NOT_QUESTIONS or top.confidence < (ACCEPT if acts.question else QUESTION_CONFIDENCE):
            return acts.question and expecting in FREE_TEXT and len(reading.text.split()) > 2
        return acts.question or top.confidence >= 0.8 and expecting in FREE_TEXT

    def _interrupt(self, answered: Outcome, form: dict, state: ConversationState) -> Outcome:
        """Answer a question asked mid-form, then ask the same pending field again."""
        prompt = self.form.prompt(form, [self.form.text["back_to_form"]])
        reply = answered.reply
        texts = reply.texts
        if (answered.state.offer or {}).get("kind") == "request" and len(texts) > 1:
            texts = texts[:-1]  # "want me to start a request?" — one is under way
        merged = Reply(reply.intent, reply.confidence, texts + prompt.texts, prompt.buttons, reply.sources,
                       expecting=prompt.expecting, recommendation=reply.recommendation, ranking=reply.ranking)
        # The form stays open: a "yes" now answers the form, not the answer's offer.
        return Outcome(merged, answered.state.evolve(form=form, offer=None), handoff=answered.handoff,
                       unanswered=answered.unanswered)

    def _outcome(self, turn: FormTurn, state: ConversationState, intent: str, confidence: float) -> Outcome:
        lead = summary = None
        if turn.lead is not None:
            lead = turn.lead | {"transcript": list(state.recent[-6:]), "source": state.extra.get("source"),
                                "campaign": state.extra.get("campaign")}
            summary = {"id": lead["id"], "tier": lead["tier"], "qualified": lead["qualified"],
                       "score": lead["score"], "fields": {k: v for k, v in lead.items() if k in FIELDS and v}}
        buttons = turn.buttons
        if turn.person:
            buttons += (Button(self.answers.button("person"), "intent:human"),)
        reply = Reply(intent, confidence, turn.texts, buttons, expecting=turn.expecting, lead=summary)
        offer = {"kind": "human"} if turn.person else None
        return Outcome(reply, state.evolve(form=turn.form, offer=offer), lead)

    @staticmethod
    def _said(reading: Reading) -> Said:
        return Said(reading.raw, reading.text, reading.entities)


def _worth_keeping(reading: Reading) -> bool:
    """Keep the opening message as the request's details when it says more than "i'd like to hire a PM"."""
    extra = [w for w in reading.entities.masked.split() if w not in _WORTH_KEEPING_SKIP]
    return bool(reading.entities.signals) or len(extra) >= 3
