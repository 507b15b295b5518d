"""The document ingester on real articles (the two source articles) and on the team's markdown."""

from __future__ import annotations

import pytest

from knowledge import DOCUMENTS_DIR, kb
from knowledge.ingest import is_plain_heading, parse, parse_file

from conftest import SEEDS

ARTICLE = SEEDS / "oncall-project-vs-operations-manager.txt"
GENERAL = SEEDS / "operations-vs-project-management.txt"


@pytest.fixture(scope="module")
def oncall_article():
    return parse_file(ARTICLE)


def section(doc, heading_start):
    matches = [s for s in doc.sections if s.heading.startswith(heading_start)]
    assert matches, f"no section starting {heading_start!r} in {[s.heading for s in doc.sections]}"
    return matches[0]


def test_question_and_title_case_heading_lines_become_sections(oncall_article):
    headings = [s.heading for s in oncall_article.sections]
    for expected in ("What Does a Project Manager Do?", "What Does an Operations Manager Do?",
                     "Project Manager vs. Operations Manager: Key Differences", "When to Hire a Project Manager",
                     "When to Hire an Operations Manager", "Do You Need Both Roles?",
                     "Flexible Solutions with OnCall", "Client Success Story: How Zowa Improved with OnCall"):
        assert expected in headings
    general = parse_file(GENERAL)
    assert "Key Differences Between Operations and Project Management" in [s.heading for s in general.sections]


def test_comparison_table_comes_out_as_rows(oncall_article):
    rows = [p for p in section(oncall_article, "Project Manager vs. Operations Manager").passages if p.kind == "row"]
    assert [r.cells[0] for r in rows] == ["Focus", "Timeframe", "Scope", "Key Skills", "Goal"]
    timeframe = rows[1]
    assert timeframe.cells[1:] == ("Short- to mid-term", "Long-term, continuous")
    assert timeframe.text == (
        "Timeframe — Project Manager: Short- to mid-term; Operations Manager: Long-term, continuous")


def test_bullet_lists_come_out_as_items(oncall_article):
    items = [p.text for p in section(oncall_article, "When to Hire a Project Manager").passages if p.kind == "item"]
    assert items == [
        "Launching a new product or service",
        "Managing a large client project with strict deadlines",
        "Expanding into new markets or geographies",
        "Implementing new technology or infrastructure",
        "Needing structured oversight for complex, multi-team initiatives",
    ]
    intro = section(oncall_article, "When to Hire a Project Manager").passages[0]
    assert intro.kind == "paragraph" and intro.text.endswith("if your organization is:")


def test_emoji_line_is_a_plain_paragraph_and_sentences_are_not_headings():
    general = parse_file(GENERAL)
    why = section(general, "Why the Difference Matters")
    assert any(p.text.startswith("In short, operations management") for p in why.passages)
    assert not is_plain_heading("Core responsibilities include:", "- Defining goals")
    assert not is_plain_heading("If your goal is efficiency and stability, you need strong ops.", "x")


def test_markdown_headings_tables_and_wrapped_paragraphs():
    doc = parse("# Title\n\n## First part\nA paragraph that\nwraps over lines.\n\n- one\n- two\n\n"
                "| A | B |\n|---|---|\n| x | y |\n", "sample")
    assert doc.title == "Title"
    [part] = doc.sections
    assert [(p.kind, p.text) for p in part.passages] == [
        ("paragraph", "A paragraph that wraps over lines."), ("item", "one"), ("item", "two"), ("row", "x — B: y")]


def test_build_records_source_document_and_section_and_indexes_passages(fresh_db):
    documents = kb.build(fresh_db, fresh_db.index(), [SEEDS])
    assert {d.name for d in documents} == {ARTICLE.stem, GENERAL.stem}
    hits = kb.KnowledgeBase(fresh_db.index()).search(["supply", "chains", "vendor"])
    assert hits[0].text == "Overseeing budgets, supply chains, and vendor relationships"
    assert (hits[0].document, hits[0].heading) == (ARTICLE.stem, "What Does an Operations Manager Do?")


def test_default_knowledge_base_builds_itself_and_rebuilds_when_documents_change(fresh_db, tmp_path, monkeypatch):
    index = fresh_db.index()
    kb.ensure_built(fresh_db, index)
    assert index["kb_passages"].count > 50
    copy = tmp_path / "docs"
    copy.mkdir()
    for file in DOCUMENTS_DIR.glob("*.md"):
        (copy / file.name).write_text(file.read_text())
    monkeypatch.setattr(kb, "DOCUMENTS_DIR", copy)
    kb.ensure_built(fresh_db, index)  # unchanged documents: nothing to do
    (copy / "extra.md").write_text("# Extra\n\n## Brand new section\nA fresh fact about onboarding.\n")
    kb.ensure_built(fresh_db, index)
    assert kb.KnowledgeBase(index).section("extra#brand-new-section") is not None


def test_a_knowledge_base_built_from_the_owners_documents_is_left_alone(fresh_db):
    kb.build(fresh_db, fresh_db.index(), [SEEDS])
    kb.ensure_built(fresh_db, fresh_db.index())
    assert {r["document"] for r in fresh_db.index().query("select distinct document from kb_sections")} == {
        ARTICLE.stem, GENERAL.stem}


def test_kb_build_command_reports_and_rejects_missing_paths(cli, tmp_path):
    result = cli("kb", "add", str(SEEDS))  # `kb build SEEDS` is refused: the articles lack the intents' sections
    assert "oncall-project-vs-operations-manager: 9 sections" in result.stdout
    missing = cli("kb", "build", str(tmp_path / "nope"), check=False)
    assert missing.returncode == 2 and "no such document" in missing.stderr
