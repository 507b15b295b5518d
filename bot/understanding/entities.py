"""Recognize what a normalized message is about: the roles it names, anything out of scope, and the
hiring signals in a situation the user describes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.understanding.prefilter import PatternSet, PhraseMatcher
from intents import Signal

ROLE_TOKEN = "role"  # role phrases are replaced by this word so cues and examples generalize across roles
_OTHER_ONE = re.compile(r"\b(the other (one|role)|other role|the other)\b")
_SPEAKER = re.compile(r"\b(i am|im|as|our|my|we are|were|i work as)( the| a| an)?( \d+)?\s*$")
# "a 30-lawyer firm": a title describing the employer, not the subject of the question
_EMPLOYER = re.compile(r" (firm|company|team|practice|office|group|agency|business|startup|clinic|shop)\b")
_BOTH = re.compile(r"\b(both (roles|of them|positions|jobs)?|the two roles|each role)\b")


@dataclass(frozen=True, slots=True)
class OutOfScope:
    kind: str  # "titles" | "senses" | "job_seeking"
    phrase: str


@dataclass(frozen=True, slots=True)
class Entities:
    text: str  # the normalized message
    roles: tuple[str, ...]  # in order of appearance, deduplicated, strong or weak mentions
    strong_roles: tuple[str, ...]  # named as a job ("ops manager"), not just "operations"
    masked: str  # normalized text with role phrases replaced by ROLE_TOKEN
    out_of_scope: tuple[OutOfScope, ...]
    signals: tuple[Signal, ...]
    mentions_both: bool
    other_one: bool
    quotes: tuple[tuple[str, str], ...] = ()  # (signal id, the words that showed it): "why?" quotes them back


# "our day-to-day is in decent shape, vendors under control, but the launch slips": a hiring signal
# inside a clause that says the thing works is not a need.
_SETTLED = re.compile(r"\b(fine|under control|in (good|decent|great|ok|okay) shape|"
                      r"(is|are) (stable|ok|okay|good|great)|works? well|working well|runs? well|"
                      r"not (a |an )?(problem|issue)|no (problems|issues)|"
                      r"documented|tracked|handled|"
                      r"(?<!make the )(?<!keep the )(locations|operations|things|it|business|everything|day to day|"
                      r"daytoday) (run|runs|are running|is running) smoothly)\b")
# "no launch on the horizon", "not chasing any new initiatives", "no big launches planned" — but "no one
# owns the launch" is a need.
_NEGATED = re.compile(r"\b(no|not|never|without|nothing|none|zero)\b"
                      r"(?! one\b| body\b| idea\b| sure\b| longer\b| shows?\b)( \w+){0,2}\s*$")
# "switching from spreadsheets to a new ERP": what is being left behind is not the need.
_LEAVING = re.compile(r"\b(from|off|replacing|replace|away from|instead of|ditch\w*|get rid of|retir\w*|moving off|"
                      r"migrating off|move away from)\s+(our |the |all |those |these )?(\w+\s+){0,2}$")
_DONE = re.compile(r"\W*(\w+ ){0,2}(is|are|was|were|has been|have been) (now )?(built|live|done|finished|launched|"
                   r"delivered|shipped|complete|completed)\b")
_NEW_SUBJECT = re.compile(r"\b(operations|ops|the team|our \w+|we|they|it|everything|things|the rest|"
                          r"the existing \w*|everything else)( \w+)? (is|are|run|runs|works?|were|seems?)\b")
_CLAUSE_BREAK = re.compile(r"\b(but|however|though|although|yet|except|whereas|while|and also)\b")


def _settled(text: str, found: re.Match[str]) -> bool:
    before = text[max(0, found.start() - 40):found.start()]
    after = text[found.end():found.end() + 40]
    if _NEGATED.search(before):
        return True  # "no launch on the horizon", "not a one-off"
    if _DONE.match(text, found.end()):
        return True  # "the new booking system is built and live now": that project is over
    if _LEAVING.search(before) and re.match(r"\s*(\w+\s+){0,2}(to|for|with)\b", text[found.end():]):
        return True
    breaks = list(_CLAUSE_BREAK.finditer(before))
    clause = (before[breaks[-1].end():] if breaks else before) + found.group(0)
    # "one app launch coming, ops are fine": a new subject after the signal starts another clause.
    ends = [m.start() for m in (_CLAUSE_BREAK.search(after), _NEW_SUBJECT.search(after)) if m]
    clause += after[:min(ends)] if ends else after
    return bool(_SETTLED.search(clause))


def _squash(text: str) -> str:
    return " ".join(text.split())


class EntityRecognizer:
    def __init__(self, roles: dict[str, list[str]], weak_roles: dict[str, list[str]],
                 out_of_scope: dict[str, list[str]], signals: tuple[Signal, ...],
                 out_of_scope_patterns: dict[str, list[str]] | None = None, literals: dict | None = None):
        role_of = {phrase: role for role, phrases in weak_roles.items() for phrase in phrases}
        role_of |= {phrase: role for role, phrases in roles.items() for phrase in phrases}
        self._strong = {phrase for phrases in roles.values() for phrase in phrases}
        self._roles = PhraseMatcher(role_of)
        self._oos = PhraseMatcher({phrase: kind for kind, phrases in out_of_scope.items() for phrase in phrases})
        kinds_and_patterns = [(kind, p) for kind, ps in (out_of_scope_patterns or {}).items() for p in ps]
        self._oos_kinds = [kind for kind, _ in kinds_and_patterns]
        self._oos_patterns = PatternSet([pattern for _, pattern in kinds_and_patterns], literals)
        self._signals = signals
        self._signal_owner = [signal for signal in signals for _ in signal.patterns]
        self._signal_set = PatternSet([p for signal in signals for p in signal.patterns], literals)

    def __call__(self, text: str) -> Entities:
        found: list[OutOfScope] = []
        spans = self._oos.find(text)
        for index, _ in self._oos_patterns.matches(text):
            kind = self._oos_kinds[index]
            pattern = self._oos_patterns.pattern(index)
            spans += [(m.start(), m.end(), m.group(0), kind) for m in pattern.finditer(text)]
        spans.sort()
        spans = [span for i, span in enumerate(spans) if not any(o[0] <= span[0] < o[1] for o in spans[:i])]
        for start, _, phrase, kind in spans:
            if kind == "titles" and (_SPEAKER.search(text, 0, start) or _EMPLOYER.match(text, start + len(phrase))):
                continue  # "i am the coo of ...", "our cto says ...": who is talking, not the subject
            found.append(OutOfScope(kind, phrase))
        # "project management software" must not also count as the project manager role
        scrubbed = _squash(self._oos.replace(text, spans, lambda phrase, kind: " ")) if spans else text
        roles: list[str] = []
        strong: list[str] = []
        role_spans = self._roles.find(scrubbed)
        for _, _, phrase, role in role_spans:
            if role not in roles:
                roles.append(role)
            if phrase in self._strong and role not in strong:
                strong.append(role)
        masked = self._roles.replace(scrubbed, role_spans, lambda phrase, role: ROLE_TOKEN)
        quotes: dict[str, str] = {}
        for index, hit in self._signal_set.matches(scrubbed):
            if not _settled(scrubbed, hit):
                # the words that showed it, at most the last five ("…the supplier samples")
                quotes.setdefault(self._signal_owner[index].id, " ".join(hit.group(0).split()[-5:]))
        matched = tuple(s for s in self._signals if s.id in quotes)
        return Entities(
            text=text,
            roles=tuple(roles),
            strong_roles=tuple(strong),
            masked=masked,
            out_of_scope=tuple(found),
            signals=matched,
            mentions_both=bool(_BOTH.search(text)),
            other_one=bool(_OTHER_ONE.search(text)),
            quotes=tuple(quotes.items()),
        )
