"""Recommend a Project Manager, an Operations Manager or both from the hiring signals in a situation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.understanding.entities import Entities
from intents import Signal

PM, OPS, BOTH = "project_manager", "operations_manager", "both"


@dataclass(frozen=True, slots=True)
class Advice:
    recommendation: str | None
    signals: tuple[Signal, ...]


# "launching in May while our fulfilment is bottlenecked": two problems side by side call for both.
_SIDE_BY_SIDE = re.compile(r"\b(at the same time|while|meanwhile|and also|also|plus|on top of|as well|simultaneously|"
                           r"separately|on the other hand|as well as|"
                           r"(two|2|both|several) (problems|issues|things|challenges)|(and|but) (our|the|my|we|us))\b")


_AND = re.compile(r"\band (also |then |now |on top |at the same time )?(were|we are|our|the|we|its|it is|everything|"
                  r"launching|scaling|growing|opening|building|rolling|moving|expanding|costs?|orders?|support|"
                  r"daily|everyday|internally|honestly)\b")
_ADDING = re.compile(r"\b(also|too|as well|plus|on top|another|besides|in addition|additionally)\b")
_SATURATION = 2  # one initiative often trips several project signals (launch, deadline, "by september")


def recommend(entities: Entities, earlier: str | None = None) -> Advice:
    """`earlier`: the recommendation already given in this conversation. Used when the message itself
    ("so who should I hire?") describes no situation, and combined with this one when the user adds a
    problem of the other kind ("oh and also our support is chaos")."""
    advice = _from_signals(entities)
    if advice.recommendation is None:
        return Advice(earlier, ())
    if earlier and earlier != advice.recommendation and _ADDING.search(entities.masked):
        return Advice(BOTH, advice.signals)
    return advice


def _from_signals(entities: Entities) -> Advice:
    pm = [s for s in entities.signals if s.role == PM]
    ops = [s for s in entities.signals if s.role == OPS]
    if entities.mentions_both and (pm or ops):
        return Advice(BOTH, entities.signals)
    if pm and ops:
        weight_pm, weight_ops = min(len(pm), _SATURATION), min(len(ops), _SATURATION)
        if weight_pm == weight_ops or _SIDE_BY_SIDE.search(entities.masked) or _AND.search(entities.masked):
            return Advice(BOTH, entities.signals)
        # Otherwise the side with more signals is the situation; the other is incidental wording.
        return Advice(PM, tuple(pm)) if weight_pm > weight_ops else Advice(OPS, tuple(ops))
    if pm:
        return Advice(PM, tuple(pm))
    if ops:
        return Advice(OPS, tuple(ops))
    return Advice(None, ())
