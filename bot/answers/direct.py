"""Direct answers: the facts that answer the question, not the whole section.

- a yes/no question opens with "Yes", "No", "Usually, yes" or "It depends", then the deciding fact;
- a narrow question (an aspect: how long, how fast, vetted, skills…) gets one or two facts;
- a broad question gets the key facts of the topic's sections, within a word budget;
- "in one line" gets one fact; "tell me more" gets the full sections (bot/answers/compose.py);
- facts given a moment ago are not repeated: the answer says so and stays short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answers.facts import Fact, FactBook, polarity
from bot.types import Source
from knowledge.kb import KnowledgeBase

SUMMARY_WORDS = 70  # a broad answer's budget: well under the 180-word ceiling, a "Tell me more" away from the rest
NARROW_FACTS = 2
_SUBJECTS = {"project_manager": "Project managers", "operations_manager": "Operations managers"}


@dataclass(frozen=True, slots=True)
class Composed:
    texts: tuple[str, ...]
    sources: tuple[Source, ...]
    facts: tuple[str, ...] = ()  # the facts said, so a repeat can be recognized
    more: bool = False  # the sections hold more than was said ("Tell me more")
    narrow: bool = False  # answered a particular aspect or a yes/no question, not the topic as a whole


class DirectAnswers:
    def __init__(self, facts: FactBook, kb: KnowledgeBase):
        self.facts = facts
        self.kb = kb
        # A broad question's answer depends only on the topic's sections: composed once per topic.
        self._summaries: dict[tuple[str, ...], Composed | None] = {}

    def topic(self, sections: tuple[str, ...], question: str, role: str | None, *, yes_no: bool = False,
              brief: bool = False, given: frozenset[str] = frozenset(), words: str = "") -> Composed | None:
        """Answer `question` (normalized, role phrases masked) from the facts of `sections`; None when the
        sections have no facts (an owner's own documents): the caller shows the sections instead. `words`:
        the question unmasked, for facts that share its distinctive words ("… for compliance stuff?")."""
        aspects = self.facts.aspects_of(question)
        if not aspects and not yes_no and not brief and words:
            pool = self.facts.of_sections(sections)
            named = self.facts.sharing_words(pool, words)
            if named:
                return self._compose(sections, question, role, (), False, False, given, named)
        if not aspects and not yes_no and not brief:
            if sections not in self._summaries:
                self._summaries[sections] = self._compose(sections, "", None, (), False, False, frozenset())
            summary = self._summaries[sections]
            if summary is None or not set(summary.facts) <= given:
                return summary
        return self._compose(sections, question, role, aspects, yes_no, brief, given)

    def _compose(self, sections: tuple[str, ...], question: str, role: str | None, aspects: tuple[str, ...],
                 yes_no: bool, brief: bool, given: frozenset[str], narrow: list[Fact] | None = None) -> Composed | None:
        pool = self.facts.of_sections(sections)
        if not pool:
            return None
        if narrow is None:
            narrow = self.facts.of_aspect(aspects, pool, role) if aspects else []
        opening, chosen = "", []
        if yes_no:
            settled = polarity(narrow, question) or polarity(pool, question) or polarity(
                self.facts.of_aspect(aspects, [], role), question)
            if settled:
                opening, first = settled
                chosen = [first, *[f for f in narrow if f is not first][:NARROW_FACTS - 1]]
        if brief:
            chosen = chosen[:1] or [f for f in pool if f.brief][:1] or self.facts.key_facts(sections)[:1] or pool[:1]
        elif not chosen:
            chosen = narrow[:NARROW_FACTS] if narrow else self._summary(sections, pool)
        repeated = all(f.id in given for f in chosen)
        if repeated:
            chosen = chosen[:1]
        text = self._sentence(chosen, opening)
        if repeated:  # said a moment ago: say so, and keep it short
            body = self._sentence(chosen, "")
            text = f"{opening}, as I mentioned: {body}" if opening else f"As I mentioned, {body[0].lower()}{body[1:]}"
        elif not narrow and not opening and not brief:
            heading = self._heading(chosen[0].section)
            text = f"**{heading}**\n{text}" if heading else text
        said = {f.id for f in chosen}
        return Composed((text,), self._sources(chosen), tuple(f.id for f in chosen),
                        more=any(f.id not in said for f in pool), narrow=bool(narrow or opening))

    def fact(self, fact_id: str) -> Fact | None:
        return self.facts.by_id.get(fact_id)

    def _summary(self, sections: tuple[str, ...], pool: list[Fact]) -> list[Fact]:
        chosen, words = [], 0
        for fact in self.facts.key_facts(sections) or pool:
            size = len(fact.text.split())
            if chosen and words + size > SUMMARY_WORDS:
                break
            chosen.append(fact)
            words += size
        return chosen

    @staticmethod
    def _sentence(facts: list[Fact], opening: str) -> str:
        parts = []
        for index, fact in enumerate(facts):
            text = fact.text
            if index == 0 and text.startswith("They ") and fact.role in _SUBJECTS:
                text = _SUBJECTS[fact.role] + text[4:]  # "They plan…" alone reads as "Project managers plan…"
            parts.append(text)
        body = " ".join(parts)
        return f"{opening}. {body}" if opening else body

    def _heading(self, ref: str) -> str | None:
        section = self.kb.section(ref)
        return section.heading if section else None

    def _sources(self, facts: list[Fact]) -> tuple[Source, ...]:
        sources = []
        for ref in dict.fromkeys(f.section for f in facts):
            section = self.kb.section(ref)
            if section:
                sources.append(Source(section.document, section.heading))
        return tuple(sources)


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def without_repeats(texts: list[str]) -> list[str]:
    """No sentence twice in one reply: a later text drops the sentences an earlier one already said."""
    if len(texts) < 2:
        return texts  # one text is one composition: its facts are distinct
    seen: set[str] = set()
    out = []
    for text in texts:
        kept = []
        for line in text.split("\n"):
            sentences = [s for s in _SENTENCE.split(line) if s.strip()]
            fresh = [s for s in sentences if _key(s) not in seen]
            seen.update(_key(s) for s in sentences)
            if fresh or not sentences:
                kept.append(" ".join(fresh))
        joined = "\n".join(kept).strip()
        if joined:
            out.append(joined)
    return out


def _key(sentence: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", sentence.lower()).strip()
