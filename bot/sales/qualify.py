"""Score a talent request against the sales team's rules (intents/qualification.yaml by default).

The rules in force are `$ONCALL_QUALIFICATION`, else the owner's copy in the config directory, else the
built-in file (bot/config.py). An owner's file is checked against the schema below before any rule is
used, so a typo stops the start with the file, the line and what was expected instead of scoring leads
wrongly; the built-in file is checked by the tests instead, which keeps pydantic out of a normal start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot import config
from bot.sales.leads import FIELDS

KNOWN_FIELDS = (*(f for f in FIELDS if f != "start_said"), "email_kind")
EXPECTED = {
    "tiers": "`tiers:` with whole-number `hot:` and `warm:` minimum scores, e.g. `tiers: {hot: 70, warm: 40}`",
    "hot": "a whole number of points, e.g. `hot: 70`",
    "warm": "a whole number of points not above `hot`, e.g. `warm: 40`",
    "rules": "`rules:`, a list of rules, each with `id`, `when` and `points`",
    "id": "a short unique name for the rule, e.g. `id: starts_soon`",
    "points": "a whole number, e.g. `points: 15` (negative points lower the score)",
    "reason": "a short text saying why the rule adds points",
    "when": f"conditions: `FIELD: [values]` (fields: {', '.join(KNOWN_FIELDS)}), `has: FIELD` or `matches: REGEX`",
    "has": "the name of a field that must be given, e.g. `has: phone`",
    "matches": "a regular expression over the user's own words, e.g. `matches: '\\bnext year\\b'`",
}
WHOLE_FILE = "the qualification rules: a `tiers:` mapping and a `rules:` list (`oncall-bot init` writes an example)"


@cache
def rules_schema() -> type:
    """The pydantic model of a rules file, defined on first use: only an owner's file is validated, so a
    start on the built-in rules does not pay for importing pydantic."""
    from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

    class _When(BaseModel):
        model_config = ConfigDict(extra="allow", strict=True)
        __pydantic_extra__: dict[str, list[str]] = Field(init=False)  # FIELD: [values]
        has: str | None = None
        matches: str | None = None

        @field_validator("matches")
        @classmethod
        def _compiles(cls, pattern: str | None) -> str | None:
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as error:
                    raise ValueError(f"the regular expression does not compile ({error})") from None
            return pattern

        @model_validator(mode="after")
        def _known_fields(self) -> _When:
            unknown = [name for name in [*(self.model_extra or {}), self.has or "email"] if name not in KNOWN_FIELDS]
            if unknown:
                raise ValueError(f"unknown field {unknown[0]!r} (a rule on it would never hold)")
            return self

    class _Rule(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        id: str
        points: int
        reason: str | None = None
        when: _When = Field(default_factory=_When)

    class _Tiers(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        hot: int
        warm: int

        @model_validator(mode="after")
        def _ordered(self) -> _Tiers:
            if self.warm > self.hot:
                raise ValueError(f"warm ({self.warm}) is above hot ({self.hot})")
            return self

    class RulesFile(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        tiers: _Tiers
        rules: list[_Rule]

        @field_validator("rules")
        @classmethod
        def _unique(cls, rules: list[_Rule]) -> list[_Rule]:
            ids = [rule.id for rule in rules]
            twice = sorted({i for i in ids if ids.count(i) > 1})
            if twice:
                raise ValueError(f"rule id {twice[0]!r} is used twice")
            return rules

    return RulesFile


def load_rules_data(path: Path) -> dict[str, Any]:
    """The rules file as plain data: the built-in file as read, an owner's file once it passed the schema."""
    if config.is_builtin(path):
        data, _ = config.read_yaml(path, WHOLE_FILE)
        return data
    checked = config.validate(path, rules_schema(), EXPECTED, WHOLE_FILE)
    return checked.model_dump(exclude_none=True)


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
        path = path or config.qualification_file()
        data = load_rules_data(path)
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
