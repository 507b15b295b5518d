"""Turn what users type into a canonical word sequence.

"whats the diff btw a pm & an ops mgr??" -> "what is the difference btw a project manager and an
operations manager". Steps: unicode folding, lowercase, punctuation removal, abbreviation expansion,
typo correction against the assistant's vocabulary (rapidfuzz), then multi-word canonical phrases.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

MAX_CHARS = 2_000  # long pastes: keep the head and the tail, where questions usually are
_TOKEN = re.compile(r"[^\W_]+")
_TIME_WORDS = frozenset({"am", "pm"})
_MEMO_LIMIT = 100_000
_MIN_CORRECTABLE = 4
# Control, format (zero-width, bidi overrides), surrogate and private-use characters.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ud800-\udfff\ue000-\uf8ff]")


@dataclass(frozen=True, slots=True)
class Normalized:
    raw: str
    text: str  # canonical words joined by single spaces

    @property
    def words(self) -> list[str]:
        return self.text.split()


def fold(text: str) -> str:
    """Lowercase, unify quotes, drop control characters, bound the length."""
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS // 2] + " " + text[-MAX_CHARS // 2 :]
    if not text.isascii():  # ASCII is already NFKC-normal: skip the work for most messages
        text = unicodedata.normalize("NFKC", text)
    text = text.lower()
    text = text.replace("’", "'").replace("'", "").replace("&", " and ").replace("+", " plus ")
    return _CONTROL.sub(" ", text)


class Normalizer:
    def __init__(self, abbreviations: dict[str, str], phrases: dict[str, str], known: Iterable[str],
                 targets: Iterable[str]):
        """`known` words are left alone; an unknown word is corrected only towards a `targets` word
        (the domain's key words), so "handle" stays "handle" while "manger" becomes "manager"."""
        self.abbreviations = {k: str(v) for k, v in abbreviations.items()}
        self._targets = sorted({w for w in targets if w.isalpha()})
        self.vocabulary = frozenset(w for w in known if w.isalpha()) | frozenset(self._targets)
        self._phrase_of = {" ".join(_TOKEN.findall(fold(src))): dst for src, dst in phrases.items()}
        ordered = sorted(self._phrase_of, key=len, reverse=True)  # longest first: "bye bye" before "bye"
        self._phrases = re.compile(r"\b(" + "|".join(re.escape(p) for p in ordered) + r")\b")
        self._spelled_out = {dst: src.split() for src, dst in reversed(self._phrase_of.items())}
        self.correct = lru_cache(maxsize=50_000)(self._correct)
        self._memo: dict[str, str] = {}  # token -> expansion or correction; a plain dict is the fastest lookup

    def __call__(self, text: str) -> Normalized:
        tokens = _TOKEN.findall(fold(text))
        memo = self._memo
        out: list[str] = []
        previous = ""
        for token in tokens:
            if token in _TIME_WORDS and previous.isdigit() or (token[-2:] in _TIME_WORDS and token[:-2].isdigit()):
                out.append("oclock")  # "3pm" / "3 pm" is a time, not a project manager
            else:
                mapped = memo.get(token)
                if mapped is None:
                    if len(memo) > _MEMO_LIMIT:
                        memo.clear()
                    mapped = memo[token] = self.abbreviations.get(token) or self.correct(token)
                out.append(mapped)
            previous = token
        joined = self._phrases.sub(lambda m: self._phrase_of[m.group(1)], " ".join(out))
        return Normalized(raw=text, text=joined)

    def spelled_out(self, words: list[str]) -> list[str]:
        """Canonical joined words back as text uses them ("supplychain" -> "supply", "chain"), for
        full-text search over documents that were never normalized."""
        out: list[str] = []
        for word in words:
            out.extend(self._spelled_out.get(word, (word,)))
        return out

    def _correct(self, token: str) -> str:
        if token in self.vocabulary or len(token) < _MIN_CORRECTABLE or not token.isascii() or not token.isalpha():
            return token
        cutoff = 86 if len(token) <= 5 else 82
        best = process.extractOne(token, self._targets, scorer=fuzz.ratio, score_cutoff=cutoff)
        if best is None:
            return token
        candidate = best[0]
        return self.abbreviations.get(candidate, candidate)
