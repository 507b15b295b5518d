"""Score the engine on a labelled set: accuracy, out-of-scope rejection, per-intent precision/recall."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot import config
from bot.dialogue.state import ConversationState
from bot.engine import Engine
from bot.types import Message

OUT_OF_SCOPE = "fallback"


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    text: str
    intent: str
    recommendation: str | None = None
    history: tuple[str, ...] = ()


@dataclass
class Report:
    total: int = 0
    correct: int = 0
    recommendation_total: int = 0
    recommendation_correct: int = 0
    out_of_scope_total: int = 0
    out_of_scope_rejected: int = 0
    confusions: Counter = field(default_factory=Counter)
    predicted: Counter = field(default_factory=Counter)
    expected: Counter = field(default_factory=Counter)
    hits: Counter = field(default_factory=Counter)
    errors: list[tuple[Case, str]] = field(default_factory=list)
    predictions: list[tuple[Case, str]] = field(default_factory=list)  # every case with its predicted intent

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def rejection(self) -> float:
        return self.out_of_scope_rejected / self.out_of_scope_total if self.out_of_scope_total else 0.0

    @property
    def recommendation_accuracy(self) -> float:
        return self.recommendation_correct / self.recommendation_total if self.recommendation_total else 0.0


def default_set() -> Path:
    """The set `oncall-bot eval` scores without a FILE: the owner's copy in the config directory, else built in."""
    return config.owner_file("labelled.yaml")


def load_cases(path: Path) -> list[Case]:
    """The cases of a labelled set; ValueError names the file, the line and what is wrong."""
    try:
        raw, text = config.read_yaml(path, "a list of cases, each `- {id: …, text: …, intent: …}`")
    except config.ConfigError as error:  # a FILE argument: reported by `oncall-bot eval` like its other errors
        raise ValueError(error.message) from None
    raw = [] if raw is None else raw  # an empty file is an empty set
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a list of cases, each `- {{id: …, text: …, intent: …}}`")
    cases = []
    for number, entry in enumerate(raw):
        if not isinstance(entry, dict) or not {"id", "text", "intent"} <= entry.keys():
            line = config.node_line(text, (number,))
            raise ValueError(f"{path}, line {line}: every entry needs id, text and intent: {entry!r}")
        cases.append(Case(str(entry["id"]), str(entry["text"]), str(entry["intent"]),
                          entry.get("recommendation"), tuple(entry.get("history") or ())))
    return cases


def evaluate(engine: Engine, cases: list[Case]) -> Report:
    """Each case is a fresh conversation: its history is replayed through the engine's own understanding."""
    report = Report()
    for case in cases:
        state = ConversationState()
        for earlier in case.history:
            _, state = engine.respond(Message(user="eval", text=earlier), state)
        predicted, _ = engine.respond(Message(user="eval", text=case.text), state)
        report.total += 1
        report.expected[case.intent] += 1
        report.predicted[predicted.intent] += 1
        report.predictions.append((case, predicted.intent))
        if predicted.intent == case.intent:
            report.correct += 1
            report.hits[case.intent] += 1
        else:
            report.confusions[(case.intent, predicted.intent)] += 1
            report.errors.append((case, predicted.intent))
        if case.intent == OUT_OF_SCOPE:
            report.out_of_scope_total += 1
            report.out_of_scope_rejected += predicted.intent == OUT_OF_SCOPE
        if case.recommendation:
            report.recommendation_total += 1
            report.recommendation_correct += predicted.recommendation == case.recommendation
    return report


def format_report(report: Report, show_errors: bool = False) -> str:
    lines = [
        f"messages: {report.total}",
        f"intent accuracy: {report.accuracy:.1%} ({report.correct}/{report.total})",
        f"out-of-scope rejection: {report.rejection:.1%} "
        f"({report.out_of_scope_rejected}/{report.out_of_scope_total})",
        f"recommendation accuracy: {report.recommendation_accuracy:.1%} "
        f"({report.recommendation_correct}/{report.recommendation_total})",
        "",
        f"{'intent':24} {'precision':>9} {'recall':>7} {'n':>4}",
    ]
    for intent in sorted(set(report.expected) | set(report.predicted)):
        hits = report.hits[intent]
        precision = hits / report.predicted[intent] if report.predicted[intent] else 0.0
        recall = hits / report.expected[intent] if report.expected[intent] else 0.0
        lines.append(f"{intent:24} {precision:>9.0%} {recall:>7.0%} {report.expected[intent]:>4}")
    if report.confusions:
        lines += ["", "confusions (expected -> got: count):"]
        lines += [f"  {e} -> {g}: {n}" for (e, g), n in report.confusions.most_common()]
    if show_errors:
        lines += ["", "errors:"]
        lines += [f"  [{c.id}] {c.text!r} expected {c.intent} got {got}" for c, got in report.errors]
    return "\n".join(lines)
