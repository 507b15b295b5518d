"""`oncall-bot eval --html`: the labelled-set report as one self-contained HTML page.

Inline CSS, no scripts, no external assets: the file opens offline and can be attached to an issue. The page has
the headline figures (worded as the text report words them), per-intent precision/recall/F1/support and a
confusion-matrix heat map drawn as an HTML table. The markup and wording live in `templates/eval.html`, split into
named blocks (`<!-- block: NAME -->`) filled with `string.Template`; every value put in is escaped here.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from bot.evaluation.labelled import Report
from bot.html_blocks import blocks

MAX_ERRORS = 50  # misclassified messages listed; `oncall-bot eval --errors` prints them all
WEAK_F1 = 0.9  # per-intent rows below this F1 are shaded
DARK_FROM = 0.55  # cell opacity from which the count is printed in white


@dataclass(frozen=True, slots=True)
class IntentScore:
    intent: str
    precision: float | None  # None: never predicted
    recall: float | None  # None: never expected
    f1: float
    support: int


def intent_scores(report: Report) -> list[IntentScore]:
    """One score per intent expected or predicted, alphabetically (the text report's rows)."""
    scores = []
    for intent in sorted(set(report.expected) | set(report.predicted)):
        hits, predicted, expected = report.hits[intent], report.predicted[intent], report.expected[intent]
        # F1 = 2TP / (2TP + FP + FN) = 2·hits / (predicted + expected): defined even when precision or recall is not
        scores.append(IntentScore(intent, hits / predicted if predicted else None,
                                  hits / expected if expected else None, 2 * hits / (predicted + expected), expected))
    return scores


def confused_intents(report: Report) -> list[str]:
    """The heat map's axis: every intent that was expected or predicted in at least one confusion."""
    return sorted({intent for pair in report.confusions for intent in pair})


def _fill(block: str, **values: object) -> str:
    return blocks("bot.evaluation", "templates/eval.html")[block].substitute(values)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _figure(share: float, part: int, whole: int) -> str:
    return escape(f"{share:.1%} ({part}/{whole})")  # as format_report prints it


def _cell(report: Report, expected: str, predicted: str, max_hits: int, max_confusion: int) -> str:
    names = {"expected": escape(expected), "predicted": escape(predicted)}
    if expected == predicted:
        count, block, scale = report.hits[expected], "diagonal_cell", max_hits
    else:
        count, block, scale = report.confusions[(expected, predicted)], "confusion_cell", max_confusion
        if not count:
            return _fill("empty_cell", **names)
    alpha = count / scale if scale else 0.0
    return _fill(block, count=count, alpha=f"{alpha:.3f}", dark=" dark" if alpha >= DARK_FROM else "", **names)


def _heatmap(report: Report) -> str:
    axis = confused_intents(report)
    if not axis:
        return _fill("no_confusions")
    max_hits = max(report.hits[intent] for intent in axis)
    max_confusion = max(report.confusions.values())
    rows = "\n".join(
        _fill("heatmap_row", intent=escape(expected),
              cells="".join(_cell(report, expected, predicted, max_hits, max_confusion) for predicted in axis))
        for expected in axis)
    return _fill("heatmap", shown=len(axis), intents=len(set(report.expected) | set(report.predicted)),
                 max_hits=max_hits, max_confusion=max_confusion,
                 column_headers="".join(_fill("column_header", intent=escape(intent)) for intent in axis), rows=rows)


def _errors(report: Report) -> str:
    if not report.errors:
        return ""
    shown = report.errors[:MAX_ERRORS]
    rows = "\n".join(
        _fill("error_row", id=escape(case.id), text=escape(case.text), expected=escape(case.intent),
              predicted=escape(got),
              history=_fill("error_history", turns=escape(" / ".join(case.history))) if case.history else "")
        for case, got in shown)
    truncated = _fill("errors_truncated", shown=len(shown)) if len(shown) < len(report.errors) else ""
    return _fill("errors", count=len(report.errors), truncated=truncated, rows=rows)


def render_html(report: Report, source: str) -> str:
    """The whole page; `source` names the labelled set it was computed on."""
    score_rows = "\n".join(
        _fill("score_row", intent=escape(score.intent), precision=_percent(score.precision),
              recall=_percent(score.recall), f1=_percent(score.f1), support=score.support,
              row_class=_fill("weak_row_class") if score.f1 < WEAK_F1 else "")
        for score in intent_scores(report))
    return _fill(
        "page", source=escape(source), total=report.total,
        accuracy=_figure(report.accuracy, report.correct, report.total),
        rejection=_figure(report.rejection, report.out_of_scope_rejected, report.out_of_scope_total),
        recommendation=_figure(report.recommendation_accuracy, report.recommendation_correct,
                               report.recommendation_total),
        weak=_percent(WEAK_F1), score_rows=score_rows, heatmap=_heatmap(report), errors=_errors(report)) + "\n"


def write_html(report: Report, path: Path, source: str) -> None:
    """Raises OSError when the file cannot be written."""
    path.write_text(render_html(report, source), encoding="utf-8")
