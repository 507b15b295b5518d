"""Atomic facts (knowledge/facts.yaml) and the owner's policy file (knowledge/policy.yaml).

Facts must cite a section that exists, say what that section says (their distinctive words are found in
it), never copy an article's sentence, and never add a price or a promise. The policy file is where
OnCall's own statements live, apart from article facts.
"""

from __future__ import annotations

import re

import pytest
import yaml
from rapidfuzz import fuzz

from bot.answers.facts import FactBook, polarity
from knowledge import POLICY_FILE

from conftest import SEEDS

BOOK = FactBook()
_STOP = frozenset("that this with from they their them than then into onto over what when your have will would "
                  "there where which while about each every other also most more much such some".split())


def _stems(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3 and w not in _STOP}


@pytest.fixture(scope="module")
def sections(shared_engine) -> dict[str, str]:
    return {s.ref: s.heading + " " + " ".join(t for _, t in s.passages) for s in shared_engine.kb.sections}


def test_every_fact_cites_a_section_that_exists_and_is_grounded_in_it(sections):
    for fact in BOOK.facts:
        assert fact.section in sections, f"{fact.id} cites {fact.section}, which is not in the knowledge base"
        words = _stems(fact.text) - {"oncal", "zowa"}
        found = words & _stems(sections[fact.section])
        assert len(found) >= 0.6 * len(words), f"{fact.id}: {sorted(words - found)} not in {fact.section}"


def test_every_section_an_intent_answers_from_has_facts(shared_engine):
    for intent in shared_engine.intents.values():
        for ref in intent.sections:
            assert BOOK.of_sections((ref,)), f"{intent.id} draws on {ref}, which has no facts"


def test_no_fact_copies_a_sentence_of_the_articles():
    # Table rows are left out, as for the documents: the comparison keeps the article's short cell values.
    lines = [line for path in SEEDS.glob("*.txt") for line in path.read_text(encoding="utf-8").split("\n")
             if "|" not in line]
    article = [s.strip() for s in re.split(r"(?<=[.!?:])\s+|\n", "\n".join(lines)) if len(s.split()) >= 8]
    copied = [(f.id, a) for f in BOOK.facts for a in article if fuzz.ratio(f.text.lower(), a.lower()) >= 75]
    assert not copied, copied[:3]


def test_facts_and_policy_promise_nothing_and_price_nothing():
    policy = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    texts = [f.text for f in BOOK.facts] + [str(v) for v in policy.values()]
    for text in texts:
        assert not re.search(r"[$€£]\s?\d|\d+\s?(usd|eur|per hour|/h)|\bguarantee|\bwithin \d+ (hours|days)", text,
                             re.I), text


def test_policy_file_has_the_statements_the_assistant_uses():
    policy = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    assert {"quotes", "next_steps", "response_time", "commitment", "privacy", "handoff"} <= set(policy)


@pytest.mark.parametrize(("question", "role", "word"), [
    ("is a role a short term thing", "project_manager", "Yes"),
    ("is an role a temporary role", "operations_manager", "No"),
    ("is oncall only fulltime", "oncall", "No"),
    ("do i need both", "both", "Usually, yes"),
    ("is it expensive", "oncall", "It depends"),
])
def test_yes_no_questions_get_their_answer_from_the_fact_that_settles_them(question, role, word):
    settled = polarity([f for f in BOOK.facts if f.role == role], question)
    assert settled is not None and settled[0] == word, (question, settled)


def test_aspects_pick_the_facts_a_narrow_question_asks_for():
    pool = BOOK.of_sections(("oncall#about-oncall", "oncall#how-oncall-works"))
    assert [f.id for f in BOOK.of_aspect(BOOK.aspects_of("how quickly can they start"), pool, None)] == [
        "oncall.onboarding"]
    assert "oncall.vetted" in [f.id for f in BOOK.of_aspect(BOOK.aspects_of("are they vetted"), pool, None)]
