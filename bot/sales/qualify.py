"""Score a talent request against the sales team's rules (intents/qualification.yaml)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from intents import INTENTS_DIR

DEFAULT_RULES = INTENTS_DIR / "qualification.yaml"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    points: int
    reason: str
    equals: tuple[tuple[str, tuple[str, ...]], ...]
    has: str | None
    matches: re.Pattern[str] | None

    def holds(self, fields: dict) -> bool:
        if any(fields.get(name) not in allowed for name, allowed in self.equals):
            return False
        if self.has and not fields.get(self.has):
            return False
        words = " ".join(str(fields.get(k) or "") for k in ("start_said", "details"))
        return not (self.matches and not self.matches.search(words))


@dataclass(frozen=True, slots=True)
class Qualification:
    score: int
    tier: str
    qualified: bool
    reasons: tuple[str, ...]


class Rules:
    def __init__(self, path: Path | None = None):
        path = path or Path(os.environ.get("ONCALL_QUALIFICATION") or DEFAULT_RULES)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.path = path
        self.hot = int(data["tiers"]["hot"])
        self.warm = int(data["tiers"]["warm"])
        self.rules = tuple(_rule(raw) for raw in data["rules"])

    def score(self, fields: dict) -> Qualification:
        held = [rule for rule in self.rules if rule.holds(fields)]
        score = sum(rule.points for rule in held)
        tier = "hot" if score >= self.hot else "warm" if score >= self.warm else "cold"
        reasons = tuple(f"{'+' if r.points >= 0 else ''}{r.points} {r.reason}" for r in held)
        return Qualification(score, tier, tier != "cold", reasons)

    def describe(self) -> list[str]:
        lines = [f"hot: score >= {self.hot}; warm: score >= {self.warm}; cold: below (not qualified)"]
        lines += [f"{r.points:+4d}  {r.id}: {r.reason}" for r in self.rules]
        return lines


def _rule(raw: dict) -> Rule:
    when = dict(raw.get("when") or {})
    has = when.pop("has", None)
    pattern = when.pop("matches", None)
    equals = tuple((name, tuple(values)) for name, values in when.items())
    return Rule(raw["id"], int(raw["points"]), raw.get("reason", raw["id"]), equals, has,
                re.compile(pattern, re.I) if pattern else None)
