"""Intent definitions (YAML) and their loader.

An intent has an id, example messages, the knowledge-base sections its answer draws from and
follow-up buttons. Role-specific intents (`pm.skills`, `ops.skills`) share a topic (`skills`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from bot.types import Button
from bot.understanding.prefilter import compiled

INTENTS_DIR = Path(__file__).parent
_DATA_FILES = {"lexicon.yaml", "topics.yaml", "signals.yaml", "messages.yaml", "qualification.yaml", "unknowns.yaml"}
REQUIRED_IDS = (
    "pm.role pm.skills pm.when_to_hire ops.role ops.skills ops.when_to_hire compare.differences compare.need_both "
    "compare.work_together advise oncall.about oncall.benefits oncall.case_study oncall.pricing lead.start human "
    "smalltalk.greet smalltalk.thanks smalltalk.bye help cancel fallback"
).split()

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Intent:
    id: str
    topic: str
    role: str | None
    examples: tuple[str, ...]
    sections: tuple[str, ...]
    buttons: tuple[Button, ...]


@dataclass(frozen=True, slots=True)
class Cue:
    topic: str
    regex: str  # compiled on first use (bot.prefilter.compiled): start-up stays quick
    weight: float

    @property
    def pattern(self) -> re.Pattern[str]:
        return compiled(self.regex)


@dataclass(frozen=True, slots=True)
class Signal:
    id: str
    role: str
    label: str
    source: str  # the knowledge-base section the signal comes from
    patterns: tuple[str, ...]  # regular expressions


def _read(path: Path) -> object:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)  # noqa: S506 - a safe loader, C-accelerated


def load_intents(directory: Path = INTENTS_DIR) -> dict[str, Intent]:
    intents: dict[str, Intent] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name in _DATA_FILES:
            continue
        for raw in _read(path) or []:
            intent = _parse_intent(raw, path)
            if intent.id in intents:
                raise ValueError(f"{path.name}: intent {intent.id!r} is defined twice")
            intents[intent.id] = intent
    missing = [i for i in REQUIRED_IDS if i not in intents]
    if missing:
        raise ValueError(f"intents missing from {directory}: {', '.join(missing)}")
    return intents


def _parse_intent(raw: dict, path: Path) -> Intent:
    try:
        answer = raw.get("answer") or {}
        return Intent(
            id=raw["id"],
            topic=raw.get("topic") or raw["id"],
            role=raw.get("role"),
            examples=tuple(str(e) for e in raw.get("examples") or ()),
            sections=tuple(answer.get("sections") or ()),
            buttons=tuple(Button(b["label"], b["value"]) for b in raw.get("buttons") or ()),
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"{path.name}: malformed intent {raw!r}: {error}") from error


@cache
def lexicon() -> dict:
    return _read(INTENTS_DIR / "lexicon.yaml")


@cache
def messages() -> dict:
    return _read(INTENTS_DIR / "messages.yaml")


@cache
def unknown_subjects() -> dict[str, dict]:
    return _read(INTENTS_DIR / "unknowns.yaml")


@cache
def cues() -> tuple[Cue, ...]:
    found = []
    for topic, patterns in _read(INTENTS_DIR / "topics.yaml").items():
        for pattern, weight in patterns.items():
            found.append(Cue(topic, pattern, float(weight)))
    return tuple(found)


@cache
def signals() -> tuple[Signal, ...]:
    found = []
    for role, block in _read(INTENTS_DIR / "signals.yaml").items():
        for raw in block["signals"]:
            patterns = tuple(raw["patterns"])
            found.append(Signal(raw["id"], role, raw["label"], block["source"], patterns))
    return tuple(found)
