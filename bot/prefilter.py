"""Run many regular expressions over a message cheaply.

Every cue is a regex; running ~100 of them on each message costs more than everything else in the
engine. Most can only match if the text contains one of a few literal strings ("skill", "when ",
"oncall"), so one Aho-Corasick pass over the message (pyahocorasick) finds the handful of patterns
worth running. The literals are derived from each pattern's parse tree; a pattern whose literals
cannot be derived is always run, so the screen never changes a result, only its cost.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import ahocorasick

try:  # the regex parser is internal to `re`; if it moves, every pattern is simply always run
    import re._constants as _sre
    import re._parser as _parser
except ImportError:  # pragma: no cover
    _parser = None

_MIN_LITERAL = 2


def required_literals(pattern: str) -> frozenset[str] | None:
    """Strings of which every match of `pattern` contains at least one, or None if unknown."""
    if _parser is None:
        return None
    try:
        found = _sequence(_parser.parse(pattern))
    except Exception:  # noqa: BLE001 - any parser surprise just disables the screen for this pattern
        return None
    if not found or min(len(s) for s in found) < _MIN_LITERAL:
        return None
    return frozenset(found)


def _sequence(items) -> set[str] | None:
    candidates: list[set[str]] = []
    run = ""
    for op, av in items:
        if op is _sre.LITERAL:
            run += chr(av)
            continue
        if run:
            candidates.append({run})
            run = ""
        required = _node(op, av)
        if required:
            candidates.append(required)
    if run:
        candidates.append({run})
    # Any one element of a sequence is required; the most selective is the one with the longest literals.
    return max(candidates, key=lambda c: min(len(s) for s in c)) if candidates else None


def _node(op, av) -> set[str] | None:
    if op is _sre.SUBPATTERN:
        return _sequence(av[3])
    if op is _sre.BRANCH:
        union: set[str] = set()
        for alternative in av[1]:
            required = _sequence(alternative)
            if not required:
                return None
            union |= required
        return union
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
        return _sequence(av[2])
    return None


@functools.cache
def compiled(source: str) -> re.Pattern[str]:
    """Compile on first use: a cold start then compiles only the patterns its first messages need."""
    return re.compile(source)


class PatternSet:
    """Regex sources with a literal screen: `matches(text)` yields (index, match) for each that matches.

    `literals` maps a source to its required literals (as computed by `required_literals`); pass the
    same dict again (e.g. loaded from the database) to skip parsing the patterns at start-up.
    """

    def __init__(self, sources: Sequence[str], literals: dict[str, list[str] | None] | None = None):
        self.sources = list(sources)
        self.literals = literals if literals is not None else {}
        self._always: list[int] = []
        self._automaton = ahocorasick.Automaton()
        owners: dict[str, set[int]] = {}
        for index, source in enumerate(self.sources):
            if source not in self.literals:
                found = required_literals(source)
                self.literals[source] = sorted(found) if found is not None else None
            if self.literals[source] is None:
                self._always.append(index)
                continue
            for literal in self.literals[source]:
                owners.setdefault(literal, set()).add(index)
        for literal, indices in owners.items():
            self._automaton.add_word(literal, frozenset(indices))
        if owners:
            self._automaton.make_automaton()
        self._screened = bool(owners)

    def pattern(self, index: int) -> re.Pattern[str]:
        return compiled(self.sources[index])

    def candidates(self, text: str) -> list[int]:
        found: set[int] = set(self._always)
        if self._screened:
            for _, indices in self._automaton.iter(text):
                found |= indices
        return sorted(found)

    def matches(self, text: str):
        for index in self.candidates(text):
            match = compiled(self.sources[index]).search(text)
            if match:
                yield index, match


class PhraseMatcher:
    """Find whole-word phrases in normalized text (single spaces) in one Aho-Corasick pass.

    Overlaps resolve like a longest-first regex alternation: leftmost match first, longest at a
    position, and no two results overlap.
    """

    def __init__(self, phrases: dict[str, str]):
        """`phrases`: phrase -> label."""
        self._automaton = ahocorasick.Automaton()
        for phrase, label in phrases.items():
            key = f" {phrase.strip()} "
            if key.strip():
                self._automaton.add_word(key, (len(key), phrase.strip(), label))
        self._empty = not phrases
        if not self._empty:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[tuple[int, int, str, str]]:
        """(start, end, phrase, label) in `text` coordinates, in order."""
        if self._empty:
            return []
        padded = f" {text} "
        spans = []
        for end, (length, phrase, label) in self._automaton.iter(padded):
            start = end - length + 1  # index of the leading space in `padded` == start in `text`
            spans.append((start, start + len(phrase), phrase, label))
        spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        chosen, last_end = [], -1
        for span in spans:
            if span[0] >= last_end:
                chosen.append(span)
                last_end = span[1] + 1  # the next phrase must start after the separating space
        return chosen

    def replace(self, text: str, found: list[tuple[int, int, str, str]], by) -> str:
        parts, cursor = [], 0
        for start, end, phrase, label in found:
            parts.append(text[cursor:start])
            parts.append(by(phrase, label))
            cursor = end
        parts.append(text[cursor:])
        return "".join(parts)
