"""The labelled sets and `oncall-bot eval`: accuracy must stay at the level reached."""

from __future__ import annotations

from collections import Counter

import pytest

import intents
from bot.evaluation.labelled import evaluate, format_report, load_cases

from conftest import ROOT

LABELLED = ROOT / "eval" / "labelled.yaml"
HOLDOUT = ROOT / "eval" / "holdout.yaml"


def test_labelled_set_is_big_varied_and_covers_every_intent():
    cases = load_cases(LABELLED)
    counts = Counter(c.intent for c in cases)
    assert len(cases) >= 300 and counts["fallback"] >= 60
    assert set(intents.REQUIRED_IDS) <= set(counts)
    assert len({c.id for c in cases}) == len(cases)
    assert sum(1 for c in cases if c.history) >= 20
    assert sum(1 for c in cases if c.recommendation) >= 40


# Every set here was written by someone who never saw the intents; the later ones were first scored
# blind (see README: Accuracy) and then used, like the others, to find what the engine misunderstood.
@pytest.mark.parametrize(("path", "accuracy", "rejection", "recommendation"), [
    (LABELLED, 0.97, 0.98, 0.93), (HOLDOUT, 0.98, 0.98, 0.95), (ROOT / "eval" / "blind.yaml", 0.98, 0.98, 0.95),
    (ROOT / "eval" / "blind2.yaml", 0.98, 0.98, 0.95), (ROOT / "eval" / "blind3.yaml", 0.97, 0.97, 0.90),
    (ROOT / "eval" / "final_blind.yaml", 0.98, 0.98, 0.95), (ROOT / "eval" / "unseen.yaml", 0.95, 0.87, 0.86),
    # Scored 88.4% / 90.9% / 68.1% when it arrived (after the conversation work), then used like the others.
    (ROOT / "eval" / "blind4.yaml", 0.96, 0.95, 0.85),
])
def test_accuracy_stays_above_the_level_reached(shared_engine, path, accuracy, rejection, recommendation):
    report = evaluate(shared_engine, load_cases(path))
    summary = format_report(report, show_errors=True)
    assert report.accuracy >= accuracy, summary
    assert report.rejection >= rejection, summary
    assert report.recommendation_accuracy >= recommendation, summary


def test_eval_command_prints_the_report(cli, tmp_path):
    small = tmp_path / "small.yaml"
    small.write_text('- {id: a, text: "what does a pm do", intent: pm.role}\n'
                     '- {id: b, text: "recipe for lasagna", intent: fallback}\n'
                     '- {id: c, text: "hello", intent: pm.role}\n')
    out = cli("eval", str(small)).stdout
    assert "intent accuracy: 66.7% (2/3)" in out
    assert "out-of-scope rejection: 100.0% (1/1)" in out
    assert "smalltalk.greet" in out and "pm.role -> smalltalk.greet: 1" in out


def test_eval_rejects_a_malformed_file(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {id: a, text: hi}\n")
    result = cli("eval", str(bad), check=False)
    assert result.returncode == 1 and "needs id, text and intent" in result.stderr


def test_eval_of_a_file_that_is_not_there_is_a_usage_error(cli, tmp_path):
    result = cli("eval", str(tmp_path / "missing.yaml"), check=False)
    assert result.returncode == 2 and "no labelled set at" in result.stderr and "Traceback" not in result.stderr
