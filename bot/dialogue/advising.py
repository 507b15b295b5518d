"""Advice as a conversation: remember why a role was recommended, explain it ("why?"), and revise it when
the user adds facts ("we're only 8 people", "the real problem is our processes").

The advice memo in the state keeps each hiring signal with the user's own words, so an explanation can
quote them and a later message can add to them or replace them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answers.compose import ROLE_SHORT, Answers
from bot.types import Source
from bot.understanding.advice import BOTH, OPS, PM, Advice
from bot.understanding.entities import Entities
from intents import Signal

# "the real problem is…", "actually it's more about…": the new facts replace the earlier picture.
_REPLACE = re.compile(r"\b(real (problem|issue|pain)|main (problem|issue|pain|thing)|actual (problem|issue)|actually|"
                      r"more (about|of)|mostly|rather|the (problem|issue) is|really about|not really|biggest "
                      r"(problem|issue|pain|headache)|underlying|root cause|instead|once (its|it is) (live|done|built|"
                      r"launched|finished)|after (it|its|it is) (goes )?(live|launched|done)|when (its|it is) live)\b")
_SMALL = re.compile(r"\b((only|just) (\w+ ){0,2}(people|persons|staff|employees|of us|founders?|ppl)|"
                    r"(\d+|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|a dozen) "
                    r"(people|person|persons|staff|employees|of us|ppl|founders|heads)|"
                    r"small (team|company|business|startup|shop|outfit|org\w*)|tiny (team|company|startup)|"
                    r"early stage|solo founder|one man|one woman|just me|just us|pre revenue|"
                    r"(team|company|we are|were) (is |are )?(small|tiny))\b")
_BUDGET = re.compile(r"\b((can not|cant|cannot|not able to|unable to) afford|tight budget|budget is tight|"
                     r"limited budget|low budget|no budget|small budget|on a budget|bootstrap\w*|cash strapped|"
                     r"not (much|a lot of) (money|budget|cash)|money is tight|(too )?expensive for us)\b")


@dataclass(frozen=True, slots=True)
class Revised:
    recommendation: str
    texts: list[str]
    memo: dict
    sources: list[Source]


def memo_of(advice: Advice, entities: Entities) -> dict:
    quotes = dict(entities.quotes)
    return {"rec": advice.recommendation, "signals": [[s.id, quotes.get(s.id, s.label)] for s in advice.signals]}


# "the existing 4 run fine, it's just this opening": a statement about the situation that keeps the advice.
_SETTLED = re.compile(r"\b(run|runs|running|is|are|works?|working|going)( pretty| really| totally| mostly)? "
                      r"(fine|smoothly|well|ok|okay|great|under control)\b|"
                      r"\b(its|it is) (just|only|mainly|mostly) (this|the|our)\b")


def adds_facts(entities: Entities) -> bool:
    """New facts about the user's situation: hiring signals, a small team, a tight budget, what works."""
    text = entities.text
    return bool(entities.signals) or any(p.search(text) for p in (_SMALL, _BUDGET, _SETTLED))


def recommendation_of(signals: list[Signal]) -> str | None:
    roles = {s.role for s in signals}
    if roles == {PM, OPS}:
        return BOTH
    return roles.pop() if roles else None


class Advising:
    def __init__(self, answers: Answers, signals: tuple[Signal, ...]):
        self.answers = answers
        self.signals = {s.id: s for s in signals}

    def explain(self, memo: dict, brief: bool = False) -> tuple[list[str], list[Source]]:
        names = self.answers.messages["role_names"]
        if brief and memo.get("signals"):  # "in one line why": the user's words and the role
            quotes = " and ".join(f'"{quote}"' for _, quote in memo["signals"][:2])
            return [self.answers.say("explain_brief", quotes=quotes, role=names[memo["rec"]])], []
        lines = [self.answers.say("explain_advice", choice=names[memo["rec"]])]
        known = [(self.signals[sid], quote) for sid, quote in memo.get("signals", []) if sid in self.signals]
        lines += [self.answers.say("explain_signal", quote=quote, label=s.label, role=names[s.role])
                  for s, quote in known]
        if not known:
            return [self.answers.say("advise_earlier", choice=names[memo["rec"]])], []
        lines.append(self.answers.say("explain_source", role_short=ROLE_SHORT[memo["rec"]]))
        advice = Advice(memo["rec"], tuple(s for s, _ in known))
        return ["\n".join(lines)], self.answers.signal_sources(advice)

    def revise(self, memo: dict, entities: Entities) -> Revised:
        """The advice after the user added facts: changed, strengthened, or holding with a note."""
        names = self.answers.messages["role_names"]
        before = [self.signals[sid] for sid, _ in memo.get("signals", []) if sid in self.signals]
        quotes = dict(entities.quotes)
        new = [s for s in entities.signals if s.id not in {b.id for b in before}]
        replacing = bool(new) and bool(_REPLACE.search(entities.text)) and (
            recommendation_of(new) != recommendation_of(before))
        kept = [] if replacing else before
        combined = kept + new
        recommendation = recommendation_of(combined) or memo["rec"]
        signals = [[s.id, quotes.get(s.id) or dict(memo.get("signals", [])).get(s.id, s.label)] for s in combined]
        revised = {"rec": recommendation, "signals": signals}
        if recommendation != memo["rec"]:
            lines = [self.answers.say("advice_changed", choice=names[recommendation])]
        else:
            lines = [self.answers.say("advice_holds", choice=names[recommendation])]
        lines += [self.answers.say("advise_signal_line", label=s.label, role=names[s.role]) for s in new]
        texts = ["\n".join(lines)]
        if recommendation == BOTH and memo["rec"] != BOTH:
            texts.append(self.answers.say("advise_both"))
        if _SMALL.search(entities.text) or _BUDGET.search(entities.text):
            texts.append(self.answers.say("advice_small", choice=names[recommendation]))
        sources = self.answers.signal_sources(Advice(recommendation, tuple(combined)))
        return Revised(recommendation, texts, revised, sources)
