"""Recognize what a normalized message is about: the roles it names, anything out of scope, and the
hiring signals in a situation the user describes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from intents import Signal

ROLE_TOKEN = "role"  # role phrases are replaced by this word so cues and examples generalize across roles
_OTHER_ONE = re.compile(r"\b(the other (one|role)|other role|the other)\b")
_SPEAKER = re.compile(r"\b(i am|im|as|our|my|we are|i work as)( the| a| an)?\s*$")
_BOTH = re.compile(r"\b(both (roles|of them|positions|jobs)?|the two roles|each role)\b")


@dataclass(frozen=True, slots=True)
class OutOfScope:
    kind: str  # "titles" | "senses" | "job_seeking"
    phrase: str


@dataclass(frozen=True, slots=True)
class Entities:
    roles: tuple[str, ...]  # in order of appearance, deduplicated, strong or weak mentions
    strong_roles: tuple[str, ...]  # named as a job ("ops manager"), not just "operations"
    masked: str  # normalized text with role phrases replaced by ROLE_TOKEN
    out_of_scope: tuple[OutOfScope, ...]
    signals: tuple[Signal, ...]
    mentions_both: bool
    other_one: bool


def _alternation(phrases: list[str]) -> re.Pattern[str]:
    ordered = sorted({p.strip() for p in phrases if p.strip()}, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(p) for p in ordered) + r")\b")


class EntityRecognizer:
    def __init__(self, roles: dict[str, list[str]], weak_roles: dict[str, list[str]],
                 out_of_scope: dict[str, list[str]], signals: tuple[Signal, ...]):
        self._role_of = {phrase: role for role, phrases in weak_roles.items() for phrase in phrases}
        self._strong = {phrase for phrases in roles.values() for phrase in phrases}
        self._role_of |= {phrase: role for role, phrases in roles.items() for phrase in phrases}
        self._roles = _alternation(list(self._role_of))
        self._oos = {kind: _alternation(phrases) for kind, phrases in out_of_scope.items()}
        self._signals = signals

    def __call__(self, text: str) -> Entities:
        found: list[OutOfScope] = []
        scrubbed = text
        for kind, pattern in self._oos.items():
            for match in pattern.finditer(scrubbed):
                if kind == "titles" and _SPEAKER.search(scrubbed, 0, match.start()):
                    continue  # "i am the coo of ...", "our cto says ...": who is talking, not the subject
                found.append(OutOfScope(kind, match.group(1)))
            # "project management software" must not also count as the project manager role
            scrubbed = pattern.sub(" ", scrubbed)
        roles: list[str] = []
        strong: list[str] = []
        for match in self._roles.finditer(scrubbed):
            role = self._role_of[match.group(1)]
            if role not in roles:
                roles.append(role)
            if match.group(1) in self._strong and role not in strong:
                strong.append(role)
        masked = self._roles.sub(ROLE_TOKEN, scrubbed)
        masked = re.sub(r"\s+", " ", masked).strip()
        matched = tuple(s for s in self._signals if any(p.search(scrubbed) for p in s.patterns))
        return Entities(
            roles=tuple(roles),
            strong_roles=tuple(strong),
            masked=masked,
            out_of_scope=tuple(found),
            signals=matched,
            mentions_both=bool(_BOTH.search(text)),
            other_one=bool(_OTHER_ONE.search(text)),
        )
