"""Subjects inside the domain that the knowledge does not cover (intents/unknowns.yaml).

"do you offer a free trial?" is about OnCall, so the generic out-of-scope reply would be wrong, and
the articles say nothing about trials, so any answer would be invented. Finding the subject lets the
assistant say exactly what it can't answer and pass the question to a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.understanding.acts import Acts
from bot.understanding.entities import Entities
from bot.understanding.prefilter import PatternSet

# A question about OnCall, its managers, the two roles or hiring them (role phrases read as `role`).
_DOMAIN = re.compile(r"\b(oncall|you|your|yours|role|roles|manager|managers|candidates?|talent|hire|hiring|hired|"
                     r"parttime|fulltime|projectbased|"
                     r"zowa|professionals?|engagement|contract|them|they|he|she|someone|somebody|person|people|"
                     r"client|clients|service|platform|trial|nda|ndas)\b")
_ASKING = re.compile(r"\b(tell me|i want to know|i would like to know|wondering|curious|what about|how about|"
                     r"any|is there|do you|can you|can i|can we|will|would|what|how|which|where|when|who|"
                     r"please|need to know)\b")


@dataclass(frozen=True, slots=True)
class Subject:
    id: str
    label: str
    nearest: str | None  # the closest fact the knowledge does cover (knowledge/facts.yaml)
    partial: str | None = None  # the intent that covers the subject in part: it answers first
    general: bool = False  # can be asked about the roles in general ("is a certification important?")


class Unknowns:
    def __init__(self, subjects: dict[str, dict], literals: dict | None = None):
        self._subjects = [Subject(key, str(raw["label"]), raw.get("nearest"), raw.get("partial"),
                                  bool(raw.get("general"))) for key, raw in subjects.items()]
        self._owner = [index for index, raw in enumerate(subjects.values()) for _ in raw["patterns"]]
        self._patterns = PatternSet([p for raw in subjects.values() for p in raw["patterns"]], literals)

    def find(self, entities: Entities, acts: Acts, in_domain: bool = False) -> Subject | None:
        """The uncovered subject a question is about, if it is asked inside the domain (`in_domain`: the
        conversation so far is about OnCall or the roles)."""
        if not entities.masked or any(o.kind != "senses" for o in entities.out_of_scope):
            return None  # "what's the salary of a data engineer" is about another job: out of scope
        # Another sense of a word ("PMP" the certificate) does not take an in-domain question out of scope.
        text = entities.masked
        for index, _ in self._patterns.matches(text):
            if (in_domain or _DOMAIN.search(text)) and (acts.question or _ASKING.search(text)
                                                        or len(text.split()) <= 4):
                return self._subjects[self._owner[index]]
        return None
