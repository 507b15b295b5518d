"""Recommend a Project Manager, an Operations Manager or both from the hiring signals in a situation."""

from __future__ import annotations

from dataclasses import dataclass

from bot.entities import Entities
from intents import Signal

PM, OPS, BOTH = "project_manager", "operations_manager", "both"


@dataclass(frozen=True, slots=True)
class Advice:
    recommendation: str | None
    signals: tuple[Signal, ...]


def recommend(entities: Entities) -> Advice:
    pm = [s for s in entities.signals if s.role == PM]
    ops = [s for s in entities.signals if s.role == OPS]
    if entities.mentions_both and (pm or ops):
        return Advice(BOTH, entities.signals)
    if pm and ops:
        # One stray signal on the other side is usually incidental wording; two each is a real mix.
        if len(pm) >= len(ops) + 2:
            return Advice(PM, tuple(pm))
        if len(ops) >= len(pm) + 2:
            return Advice(OPS, tuple(ops))
        return Advice(BOTH, entities.signals)
    if pm:
        return Advice(PM, tuple(pm))
    if ops:
        return Advice(OPS, tuple(ops))
    return Advice(None, ())
