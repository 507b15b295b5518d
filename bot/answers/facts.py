"""Atomic facts (knowledge/facts.yaml): one claim each, tagged with role and aspect, citing a section.

A direct answer picks the facts that answer the question instead of pasting whole sections: the
facts of the aspect asked about ("how long does a PM stay?" → horizon), or a section's key facts for a
broad question. Yes/no questions get their first word from the fact that settles them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from bot.understanding.prefilter import PatternSet
from knowledge import FACTS_FILE

ROLE_GROUPS = {"project_manager": ("project_manager", "both"), "operations_manager": ("operations_manager", "both")}


@dataclass(frozen=True, slots=True)
class Fact:
    id: str
    section: str  # document#slug: where the fact is grounded, and what "Tell me more" shows
    role: str
    aspect: str
    text: str
    key: int | None = None
    brief: bool = False
    usually: bool = False
    yes: tuple[re.Pattern[str], ...] = ()
    no: tuple[re.Pattern[str], ...] = ()
    depends: tuple[re.Pattern[str], ...] = ()


class FactBook:
    def __init__(self, path: Path = FACTS_FILE):
        data = _load(path)
        self._aspect_names = list(data["aspects"])
        self._aspects = PatternSet(list(data["aspects"].values()))  # a literal screen first: few regexes run
        self.facts = tuple(_fact(raw) for raw in data["facts"])
        self.by_id = {fact.id: fact for fact in self.facts}
        self._stems = {fact.id: _stems(fact.text) for fact in self.facts}
        self._by_section: dict[str, list[Fact]] = {}
        for fact in self.facts:
            self._by_section.setdefault(fact.section, []).append(fact)

    def aspects_of(self, text: str) -> tuple[str, ...]:
        return tuple(self._aspect_names[index] for index, _ in self._aspects.matches(text))

    def of_sections(self, refs: tuple[str, ...]) -> list[Fact]:
        return [fact for ref in refs for fact in self._by_section.get(ref, ())]

    def key_facts(self, refs: tuple[str, ...]) -> list[Fact]:
        """Each section's key facts in order, sections interleaved: a summary covers every section."""
        per_section = [sorted((f for f in self._by_section.get(ref, ()) if f.key), key=lambda f: f.key or 0)
                       for ref in refs]
        ordered = []
        for rank in range(max((len(facts) for facts in per_section), default=0)):
            ordered += [facts[rank] for facts in per_section if rank < len(facts)]
        return ordered

    def sharing_words(self, pool: list[Fact], words: str) -> list[Fact]:
        """The facts of `pool` that share the question's distinctive words (not ones most facts share)."""
        asked = _stems(words)
        if not asked:
            return []
        common = {stem for stem in asked if sum(stem in self._stems[f.id] for f in pool) > max(1, len(pool) // 2)}
        scored = [(len((asked - common) & self._stems[f.id]), f) for f in pool]
        best = max((score for score, _ in scored), default=0)
        return [f for score, f in scored if score == best][:2] if best else []

    def of_aspect(self, aspects: tuple[str, ...], pool: list[Fact], role: str | None) -> list[Fact]:
        """Facts of the asked aspects: from the topic's own sections first, else — for a question about one
        of the roles ("is part-time possible for an ops manager?") — from the role's other facts or OnCall's."""
        found = [f for f in pool if f.aspect in aspects]
        if found or role not in ROLE_GROUPS:
            return found
        roles = (*ROLE_GROUPS[role], "oncall")
        return [f for f in self.facts if f.aspect in aspects and f.role in roles]


# Words every question about the roles has: they say nothing about which fact is meant.
_GENERIC = frozenset(
    "what does role roles manager managers they them their there about stuff thing things with from that this "
    "have need needs want really actually exactly kind sort type some would could should will your yours "
    "oncall company business tell know like does doing done make when where which".split())


def _stems(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 4 and w not in _GENERIC}


def polarity(facts: list[Fact], question: str) -> tuple[str, Fact] | None:
    """("No"/"Yes"/"Usually, yes"/"It depends", the fact that settles it) for a yes/no question."""
    for fact in facts:
        if any(p.search(question) for p in fact.no):
            return "No", fact
    for fact in facts:
        if any(p.search(question) for p in fact.yes):
            return ("Usually, yes" if fact.usually else "Yes"), fact
    for fact in facts:
        if any(p.search(question) for p in fact.depends):
            return "It depends", fact
    return None


@cache
def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _patterns(raw: dict, key: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in raw.get(key) or ())


def _fact(raw: dict) -> Fact:
    return Fact(id=raw["id"], section=raw["section"], role=raw["role"], aspect=raw["aspect"],
                text=" ".join(str(raw["text"]).split()), key=raw.get("key"), brief=bool(raw.get("brief")),
                usually=bool(raw.get("usually")), yes=_patterns(raw, "yes_when"), no=_patterns(raw, "no_when"),
                depends=_patterns(raw, "depends_when"))
