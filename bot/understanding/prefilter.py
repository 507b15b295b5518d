"""Run many regular expressions over a message cheaply.

Every cue is a regex; running ~200 of them on each message costs more than everything else in the
engine. Most can only match if the text contains one of a few literal strings ("skill", "when ",
"oncall") and, often, one of a second set too, so one Aho-Corasick pass over the message
(pyahocorasick) finds the handful of patterns worth running. The literals are derived from each
pattern's parse tree; a pattern whose literals cannot be derived is always run, so the screen never
changes a result, only its cost.
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

_MIN_LITERAL = 3  # shorter literals hit almost every message: the screen would let everything through
CACHE_VERSION = "2"  # bump when the literal derivation changes: cached literals are keyed by it


def required_literals(pattern: str) -> list[frozenset[str]] | None:
    """Up to two sets of strings such that every match of `pattern` contains a string of each set
    (the two most selective parts of the pattern's top-level sequence), or None if unknown."""
    if _parser is None:
        return None
    try:
        parts = _parts(_parser.parse(pattern))
    except Exception:  # noqa: BLE001 - any parser surprise just disables the screen for this pattern
        return None
    usable = [p for p in parts if p and min(len(s) for s in p) >= _MIN_LITERAL]
    if not usable:
        return None
    usable.sort(key=lambda c: -min(len(s) for s in c))
    return [frozenset(p) for p in usable[:2]]


def _parts(items) -> list[set[str]]:
    """The requirement of each element of a sequence (None where an element requires nothing)."""
    parts: list[set[str]] = []
    run = ""
    for op, av in items:
        if op is _sre.LITERAL:
            run += chr(av)
            continue
        if run:
            parts.append({run})
            run = ""
        required = _node(op, av)
        if required:
            parts.append(required)
    if run:
        parts.append({run})
    return parts


def _sequence(items) -> set[str] | None:
    # Any one element of a sequence is required; the most selective is the one with the longest literals.
    parts = _parts(items)
    return max(parts, key=lambda c: min(len(s) for s in c)) if parts else None


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
    """Compile on first use: a cold start then compiles only the patterns its first messages need.
    ASCII word boundaries: the patterns match English words, and they run about a third faster."""
    return re.compile(source, re.ASCII)


class PatternSet:
    """Regex sources with a literal screen: `matches(text)` yields (index, match) for each that matches.

    `literals` maps a source to its required literals (as computed by `required_literals`); pass the
    same dict again (e.g. loaded from the database) to skip parsing the patterns at start-up.
    """

    def __init__(self, sources: Sequence[str], literals: dict[str, list[list[str]] | None] | None = None):
        self.sources = list(sources)
        self.literals = literals if literals is not None else {}
        # Sets of pattern indices are int bitmasks: a message's screen is then a few integer operations.
        self._always = 0  # patterns whose literals are unknown: always run
        self._single = 0  # patterns with one required literal set
        first: dict[str, int] = {}
        second: dict[str, int] = {}
        for index, source in enumerate(self.sources):
            key = f"{CACHE_VERSION}|{source}"
            if key not in self.literals:
                found = required_literals(source)
                self.literals[key] = [sorted(part) for part in found] if found is not None else None
            parts = self.literals[key] or []
            bit = 1 << index
            if not parts:
                self._always |= bit
                continue
            for literal in parts[0]:
                first[literal] = first.get(literal, 0) | bit
            if len(parts) == 1:
                self._single |= bit
            for literal in parts[1] if len(parts) > 1 else ():
                second[literal] = second.get(literal, 0) | bit
        self._automaton = ahocorasick.Automaton()
        for literal in first.keys() | second.keys():
            self._automaton.add_word(literal, (first.get(literal, 0), second.get(literal, 0)))
        self._patterns: list[re.Pattern[str] | None] = [None] * len(self.sources)  # compiled on first use
        self._screened = bool(first)
        if self._screened:
            self._automaton.make_automaton()

    def pattern(self, index: int) -> re.Pattern[str]:
        return compiled(self.sources[index])

    def candidates(self, text: str) -> list[int]:
        """Indices, in order, of the patterns that can match `text`."""
        mask = self._always
        if self._screened:
            hit_first = hit_second = 0
            for _, (first, second) in self._automaton.iter(text):
                hit_first |= first
                hit_second |= second
            mask |= hit_first & (self._single | hit_second)
        found = []
        while mask:
            low = mask & -mask
            found.append(low.bit_length() - 1)
            mask ^= low
        return found

    def matches(self, text: str):
        patterns = self._patterns
        for index in self.candidates(text):
            pattern = patterns[index]
            if pattern is None:
                pattern = patterns[index] = compiled(self.sources[index])
            match = pattern.search(text)
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
