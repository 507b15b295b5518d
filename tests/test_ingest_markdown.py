"""Markdown is read with a CommonMark parser (issue 13): fenced code, setext headings, quotes, HTML
comments, links, emphasis and inline code no longer leak into sections or passages, and the built-in
documents and the two source articles ingest exactly as they did with the hand-rolled reader."""

from __future__ import annotations

import re
import unicodedata

import pytest

from knowledge import DOCUMENTS_DIR
from knowledge.ingest import (
    _BULLET,
    _TABLE_SEPARATOR,
    Document,
    Passage,
    Section,
    _clean,
    _row_text,
    _split_cells,
    is_plain_heading,
    parse,
    parse_file,
)

from conftest import SEEDS


def _legacy_parse(text: str, name: str) -> Document:
    """`parse()` as it was before issue 13 (a line-based reader), verbatim: the reference for the documents."""
    md_heading = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
    lines = [unicodedata.normalize("NFC", raw.rstrip("\r")) for raw in text.split("\n")]
    title = name.replace("-", " ").replace("_", " ").strip().capitalize()
    sections: list[Section] = []
    current = Section(heading=title, level=1)
    paragraph: list[str] = []
    header: tuple[str, ...] | None = None
    one_paragraph_per_line = not any(md_heading.match(line.strip()) for line in lines)

    def flush() -> None:
        if paragraph:
            current.passages.append(Passage("paragraph", " ".join(paragraph)))
            paragraph.clear()

    def next_nonblank(index: int) -> str | None:
        return next((later for later in lines[index + 1 :] if later.strip()), None)

    for i, raw in enumerate(lines):
        line = _clean(raw)
        following = lines[i + 1] if i + 1 < len(lines) else None
        if not line:
            flush()
            header = None
            continue
        heading = md_heading.match(line)
        if heading or (not paragraph and "|" not in line and is_plain_heading(line, next_nonblank(i))):
            flush()
            header = None
            level = len(heading.group(1)) if heading else 2
            heading_text = (heading.group(2) if heading else line).strip().rstrip(".")
            if level == 1 and not sections and not current.passages:
                title = heading_text
                current = Section(heading=heading_text, level=1)
                continue
            if current.passages or current.level > 1 or sections:
                sections.append(current)
            current = Section(heading=heading_text, level=level)
            continue
        if following is not None and "|" in line and _TABLE_SEPARATOR.match(following):
            flush()
            header = _split_cells(line)
            continue
        if header is not None and _TABLE_SEPARATOR.match(line):
            continue
        if header is not None and "|" in line:
            cells = _split_cells(line)
            current.passages.append(Passage("row", _row_text(header, cells), cells))
            continue
        bullet = _BULLET.match(line)
        if bullet:
            flush()
            current.passages.append(Passage("item", bullet.group(1).strip()))
            continue
        header = None
        paragraph.append(line)
        if one_paragraph_per_line or not following or not following.strip() or _BULLET.match(following):
            flush()
    flush()
    sections.append(current)
    return Document(name=name, title=title, sections=[s for s in sections if s.passages])


def outline(doc: Document) -> list[tuple]:
    return [(doc.title, None, None, None)] + [
        (s.heading, s.level, s.slug, [(p.kind, p.text, p.cells) for p in s.passages]) for s in doc.sections]


def passages(text: str, markdown: bool | None = None) -> list[tuple[str, str]]:
    return [(p.kind, p.text) for s in parse(text, "doc", markdown).sections for p in s.passages]


# The only passages of the built-in documents whose text changed: `**bold**` markers are no longer indexed.
# (document, section slug, passage index): (text before issue 13, text now)
STRIPPED_MARKUP = {
    ("operations-manager", "operations-manager-skills", 0): (
        "Three skills sit at the core of operations management: **leadership, process optimization and budgeting**.",
        "Three skills sit at the core of operations management: leadership, process optimization and budgeting."),
    ("project-manager", "project-manager-skills", 0): (
        "Three skills sit at the core of project management: **planning, communication and risk management**.",
        "Three skills sit at the core of project management: planning, communication and risk management."),
}
BUILT_IN = sorted(DOCUMENTS_DIR.glob("*.md"))


@pytest.mark.parametrize("path", BUILT_IN, ids=lambda p: p.name)
def test_built_in_documents_ingest_as_before_except_for_stripped_markup(path):
    before = _legacy_parse(path.read_text(encoding="utf-8"), path.stem)
    for (name, slug, index), (raw, stripped) in STRIPPED_MARKUP.items():
        if name == path.stem:
            [section] = [s for s in before.sections if s.slug == slug]
            assert section.passages[index] == Passage("paragraph", raw)
            section.passages[index] = Passage("paragraph", stripped)
    assert outline(parse_file(path)) == outline(before)


def test_the_comparison_covers_every_built_in_document_and_each_stripped_passage():
    assert {p.stem for p in BUILT_IN} >= {"comparison", "oncall", "operations-manager", "project-manager",
                                          "zowa-case-study"}
    assert sum(len(s.passages) for p in BUILT_IN for s in parse_file(p).sections) > 100
    for name, slug, index in STRIPPED_MARKUP:
        [section] = [s for s in parse_file(DOCUMENTS_DIR / f"{name}.md").sections if s.slug == slug]
        assert section.passages[index].text == STRIPPED_MARKUP[name, slug, index][1]


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name)
def test_plain_text_source_articles_ingest_exactly_as_before(path):
    doc = parse_file(path)
    assert outline(doc) == outline(_legacy_parse(path.read_text(encoding="utf-8"), path.stem))
    assert len(doc.sections) > 5


def test_a_hash_line_in_a_code_block_is_not_a_heading_and_code_is_dropped():
    doc = parse("# Runbook\n\n## Restart\nRun this:\n\n```sh\n# not a heading\nsystemctl restart app\n```\n\n"
                "    # indented code, not a heading either\n\nThen check the logs.\n", "runbook")
    assert [(s.heading, s.level) for s in doc.sections] == [("Restart", 2)]
    assert passages("# Runbook\n\n## Restart\nRun this:\n\n```\n# not a heading\n```\nThen check the logs.\n") == [
        ("paragraph", "Run this:"), ("paragraph", "Then check the logs.")]
    assert [p.text for p in doc.sections[0].passages] == ["Run this:", "Then check the logs."]


def test_setext_headings_start_sections_and_their_underlines_are_not_passages():
    doc = parse("Escalation guide\n================\n\nIntro text.\n\nWho to call\n-----------\nThe duty lead.\n\n"
                "After hours\n---\nThe backup.\n", "guide")
    assert doc.title == "Escalation guide"
    assert [(s.heading, s.level, s.slug) for s in doc.sections] == [
        ("Escalation guide", 1, "escalation-guide"), ("Who to call", 2, "who-to-call"),
        ("After hours", 2, "after-hours")]
    assert [[p.text for p in s.passages] for s in doc.sections] == [
        ["Intro text."], ["The duty lead."], ["The backup."]]


def test_blockquote_markers_are_dropped():
    assert passages("# T\n\n> Quoted advice that\n> wraps over lines.\n>\n> > Nested quote.\n\nAfter.\n") == [
        ("paragraph", "Quoted advice that wraps over lines."), ("paragraph", "Nested quote."), ("paragraph", "After.")]


def test_html_comments_and_html_blocks_are_dropped():
    text = ("# T\n\n<!-- editor's note:\n# not a heading\n-->\n\nVisible <!-- hidden --> text <b>bold</b>.\n\n"
            "<div class=\"box\">\nraw html block\n</div>\n\nEnd.\n")
    doc = parse(text, "doc")
    assert [s.heading for s in doc.sections] == ["T"]
    assert passages(text) == [("paragraph", "Visible text bold."), ("paragraph", "End.")]


def test_links_keep_their_text_not_the_url_and_images_keep_their_alt_text():
    assert passages("# T\n\nSee [the *pricing* page](https://example.com/p \"title\") and [ref][1].\n\n"
                    "![Org chart of the team](chart.png)\n\n[1]: https://example.com/ref\n") == [
        ("paragraph", "See the pricing page and ref."), ("paragraph", "Org chart of the team")]


def test_emphasis_and_strong_markers_are_removed():
    assert passages("# T\n\n*One*, **two**, _three_, __four__ and ***five***; snake_case_name and 2 * 3 stay.\n") == [
        ("paragraph", "One, two, three, four and five; snake_case_name and 2 * 3 stay.")]
    assert passages("# T\n\n## **Key** *skills*\nText.\n")[0] == ("paragraph", "Text.")
    assert [s.heading for s in parse("# T\n\n## **Key** *skills*\nText.\n", "d").sections] == ["Key skills"]


def test_inline_code_keeps_its_text():
    assert passages("# T\n\nRun `oncall-bot kb build` or ``a `tick` b``, escaped \\*stars\\* &amp; entities.\n") == [
        ("paragraph", "Run oncall-bot kb build or a `tick` b, escaped *stars* & entities.")]


def test_nested_lists_give_one_item_per_entry():
    text = ("# T\n\n## Steps\nDo this:\n- First\n  - Sub one with **bold**\n  - Sub two\n    wrapped\n- Second\n\n"
            "1. Ordered\n2. Next\n   * deep [link](u)\n")
    assert passages(text) == [
        ("paragraph", "Do this:"), ("item", "First"), ("item", "Sub one with bold"), ("item", "Sub two wrapped"),
        ("item", "Second"), ("item", "Ordered"), ("item", "Next"), ("item", "deep link")]
    loose = "# T\n\n- Item one\n\n  More about one.\n\n- Item two\n"
    assert passages(loose) == [("item", "Item one"), ("item", "More about one."), ("item", "Item two")]


def test_table_rows_keep_header_cell_text_without_markup():
    doc = parse("# T\n\n## Roles\n| Aspect | **PM** | Ops |\n|:--|--:|---|\n| Focus | *Projects* | `Daily` work |\n"
                "| Goal | Deliver |\n", "roles")
    rows = doc.sections[0].passages
    assert [(p.kind, p.text, p.cells) for p in rows] == [
        ("row", "Focus — PM: Projects; Ops: Daily work", ("Focus", "Projects", "Daily work")),
        ("row", "Goal — PM: Deliver", ("Goal", "Deliver", ""))]


def test_md_files_are_markdown_even_without_headings_and_text_without_headings_stays_plain(tmp_path):
    body = "A paragraph that\nwraps, with a [link](https://x.example).\n"
    md = tmp_path / "notes.md"
    md.write_text(body)
    assert [p.text for s in parse_file(md).sections for p in s.passages] == [
        "A paragraph that wraps, with a link."]
    txt = tmp_path / "notes.txt"
    txt.write_text(body)
    assert [p.text for s in parse_file(txt).sections for p in s.passages] == [
        "A paragraph that", "wraps, with a [link](https://x.example)."]
    assert passages(body, markdown=True) == [("paragraph", "A paragraph that wraps, with a link.")]


def test_kb_build_and_search_through_the_cli_show_clean_text(cli, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "runbook.md").write_text(
        "Pager runbook\n=============\n\nEscalation\n----------\n\n"
        "> **Escalate** to the [duty lead](https://example.com/lead) when the `pager` queue backs up.\n\n"
        "<!-- internal note: zebra -->\n\n```\n# restart the zookeeper service\n```\n")
    db = tmp_path / "x.db"
    built = cli("--db", str(db), "kb", "add", str(docs))  # added to the built-in documents (`kb build` needs them)
    assert "runbook: 1 sections, 1 passages" in built.stdout
    found = cli("--db", str(db), "kb", "search", "escalate").stdout
    assert found.strip() == ("[runbook › Escalation] (paragraph) "
                             "Escalate to the duty lead when the pager queue backs up.")
    assert cli("--db", str(db), "kb", "search", "zebra", "zookeeper").stdout.strip() == (
        "No passages match “zebra zookeeper”.")
    assert "runbook" not in cli("--db", str(db), "kb", "search", "example").stdout  # the link's URL is not indexed
