"""The team's knowledge documents: every fact of the source articles, none of their sentences."""

from __future__ import annotations

import re

import pytest
from rapidfuzz import fuzz

from knowledge import DOCUMENTS_DIR
from knowledge.ingest import parse_file

from conftest import SEEDS

DOCS = {p.stem: p.read_text(encoding="utf-8") for p in DOCUMENTS_DIR.glob("*.md")}
ALL = "\n".join(DOCS.values()).lower()

# One entry per fact group in the articles: words (or "a|b" alternatives, since the documents use
# their own wording) that must all appear somewhere in our documents.
FACTS = {
    "pm plans, executes, closes": ["plan", "running the work|execut", "clos"],
    "pm short- to mid-term, defined scope": ["short- to mid-term", "scope", "deliverables"],
    "pm responsibilities": ["success", "stakeholders", "risks", "on schedule|on time", "on budget|within budget"],
    "pm excels with launches": ["accountability", "measurable results"],
    "ops oversees daily activities": ["daily", "long-term|for years", "scal"],
    "ops responsibilities": ["schedul", "supply chains", "vendor", "compliance|regulations",
                             "costs under control|control costs"],
    "ops management heartbeat": ["heartbeat", "quality", "inventory", "logistics", "production"],
    "clothing brand example": ["clothing", "fabric", "production line", "stores"],
    "table rows": ["focus", "timeframe", "scope", "key skills", "goal"],
    "table cells": ["planning, communication, risk management", "leadership, process optimization, budgeting"],
    "when to hire a pm": ["new product or service", "deadlines", "new markets", "technology or infrastructure",
                          "several teams|multi-team"],
    "when to hire an ops manager": ["bottlenecks", "scaling", "optimi", "resource allocation", "stability"],
    "need both": ["growing", "execution", "efficiency"],
    "work together": ["software", "overlap", "handover|transition"],
    "teams": ["permanent", "temporary"],
    "ordering app": ["customer orders", "ordering app"],
    "engine metaphor": ["engine"],
    "innovation vs stability": ["innovation", "transformation", "stability"],
    "oncall offer": ["vetted", "part-time", "full-time", "project-based", "onboarding", "over-hiring",
                     "cost-effective"],
    "zowa": ["zowa", "fast-growing technology company", "product launch", "bottlenecks", "operational costs",
             "firefighting", "long-term strategy"],
    # The article's "in 2025 and beyond" is carried without a date that would age: "in the years ahead".
    "the future belongs to both": ["years ahead", "thrive"],
}


@pytest.mark.parametrize("fact", FACTS)
def test_every_fact_group_of_the_articles_is_carried(fact):
    missing = [word for word in FACTS[fact] if not any(option in ALL for option in word.split("|"))]
    assert not missing, f"{fact}: documents never mention {missing}"


def _sentences(text: str) -> list[str]:
    # Table rows are left out: the comparison table keeps the article's short cell values on purpose.
    lines = [line for line in text.split("\n") if "|" not in line]
    return [s.strip() for s in re.split(r"(?<=[.!?:])\s+|\n", "\n".join(lines)) if len(s.split()) >= 8]


def test_no_sentence_is_copied_from_the_articles():
    article_sentences = [s for path in SEEDS.glob("*.txt") for s in _sentences(path.read_text(encoding="utf-8"))]
    ours = [s for text in DOCS.values() for s in _sentences(text)]
    copied = [(o, a) for o in ours for a in article_sentences if fuzz.ratio(o.lower(), a.lower()) >= 75]
    assert not copied, copied[:3]


def test_no_wording_that_dates():
    assert not re.search(r"\b20\d\d\b", ALL), "a year in the documents will read as stale"


def test_no_prices_are_invented():
    assert not re.search(r"[$€£]\s?\d|\d+\s?(usd|eur|dollars|per hour|/h)", ALL)


def test_every_section_reads_as_a_chat_answer():
    for path in DOCUMENTS_DIR.glob("*.md"):
        for section in parse_file(path).sections:
            size = sum(len(p.text) for p in section.passages)
            assert 150 <= size <= 1200, f"{path.name} › {section.heading}: {size} characters"
