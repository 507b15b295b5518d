"""Parse markdown or plain-text articles into sections and passages.

Markdown is read with a CommonMark parser (markdown-it-py, plus pipe tables): ATX and setext headings
start sections; paragraphs, quoted paragraphs, list items (nested ones too) and table rows become
passages in plain text, without markup, URLs, HTML or code blocks. Plain-text articles (copied web
pages) have one paragraph per line, plain "question-style" heading lines, `- ` bullet lists and pipe
tables with a `---|` separator row. Each passage remembers its document and section.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.*)$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_WORD = re.compile(r"[A-Za-z][\w'’.&-]*")
_SMALL_WORDS = 4  # words shorter than this ("a", "of", "vs.") don't count for title case
_MARKDOWN = MarkdownIt("commonmark").enable("table")  # CommonMark plus GitHub-style pipe tables


@dataclass(frozen=True, slots=True)
class Passage:
    kind: str  # "paragraph" | "item" | "row"
    text: str
    cells: tuple[str, ...] = ()


@dataclass(slots=True)
class Section:
    heading: str
    level: int
    passages: list[Passage] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return slugify(self.heading)


@dataclass(slots=True)
class Document:
    name: str
    title: str
    sections: list[Section]


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def _clean(line: str) -> str:
    # Decorative leading symbols (emoji pins, arrows) carry no meaning for search.
    line = line.strip()
    while line and unicodedata.category(line[0]) in {"So", "Sk", "Cn"}:
        line = line[1:].lstrip()
    return line


def is_plain_heading(line: str, next_line: str | None) -> bool:
    """A short title-cased or question line followed by content, e.g. 'When to Hire a Project Manager'."""
    text = line.strip()
    if not text or next_line is None or not next_line.strip():
        return False
    if len(text) > 90 or _BULLET.match(text) or "|" in text or text.endswith((":", ",", ";")):
        return False
    words = _WORD.findall(text)
    if not words or len(words) > 12 or re.search(r"(?<!\bvs)[.!?]\s+\S", text):
        return False  # several sentences: a paragraph
    if text.endswith("?"):
        return True
    significant = [w for w in words if len(w) >= _SMALL_WORDS]
    if not significant:
        return False
    capitalised = sum(1 for w in significant if w[0].isupper())
    return capitalised / len(significant) >= 0.6


def _split_cells(line: str) -> tuple[str, ...]:
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    return tuple(c for c in cells)


class _Outline:
    """Collects sections as headings and passages arrive; the first level-1 heading names the document."""

    def __init__(self, name: str) -> None:
        self.title = name.replace("-", " ").replace("_", " ").strip().capitalize()
        self.sections: list[Section] = []
        self.current = Section(heading=self.title, level=1)

    def heading(self, text: str, level: int) -> None:
        text = _clean(text).rstrip(".")
        if not text:
            return
        if level == 1 and not self.sections and not self.current.passages:
            self.title = text
            self.current = Section(heading=text, level=1)
            return
        self.sections.append(self.current)
        self.current = Section(heading=text, level=level)

    def add(self, kind: str, text: str, cells: tuple[str, ...] = ()) -> None:
        if text:
            self.current.passages.append(Passage(kind, text, cells))

    def document(self, name: str) -> Document:
        return Document(name=name, title=self.title, sections=[s for s in [*self.sections, self.current] if s.passages])


def parse(text: str, name: str, markdown: bool | None = None) -> Document:
    """`markdown=None`: read as CommonMark if the text has a markdown heading (ATX or setext), else as plain text."""
    text = unicodedata.normalize("NFC", text)
    tokens = _MARKDOWN.parse(text) if markdown is not False else []
    if markdown is None:
        markdown = any(t.type == "heading_open" for t in tokens)
    out = _Outline(name)
    if markdown:
        _read_markdown(tokens, out)
    else:
        _read_plain([raw.rstrip("\r") for raw in text.split("\n")], out)
    return out.document(name)


def _read_markdown(tokens: list[Token], out: _Outline) -> None:
    """Headings start sections; paragraphs (also inside quotes), list items and table rows become passages.
    Code blocks and raw HTML are dropped: they are not prose a user's question should be answered from."""
    containers: list[str] = []  # passage kind for paragraphs inside each open list item / blockquote
    header: tuple[str, ...] = ()
    cells: list[str] = []
    for i, token in enumerate(tokens):
        if token.type in ("list_item_open", "blockquote_open"):
            containers.append("item" if token.type == "list_item_open" else "paragraph")
        elif token.type in ("list_item_close", "blockquote_close"):
            containers.pop()
        elif token.type == "heading_open":
            out.heading(_plain(tokens[i + 1]), int(token.tag[1:]))
        elif token.type == "inline" and tokens[i - 1].type == "paragraph_open":
            # Lines of a wrapped paragraph join with a space; each loses its decorative leading symbols.
            lines = (_clean(line) for line in _plain(token).split("\n"))
            out.add(containers[-1] if containers else "paragraph", re.sub(r"[ \t]+", " ", " ".join(lines)).strip())
        elif token.type == "tr_open":
            cells = []
        elif token.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            cells.append(_plain(token).strip())
        elif token.type == "tr_close" and tokens[i - 1].type == "th_close":
            header = tuple(cells)
        elif token.type == "tr_close":
            out.add("row", _row_text(header, tuple(cells)), tuple(cells))


def _plain(token: Token) -> str:
    """Inline markdown as plain text: link and emphasis markers, URLs and inline HTML go; image alt text stays."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(_plain(child))
    return "".join(parts)


def _read_plain(lines: list[str], out: _Outline) -> None:
    """Plain-text articles: one paragraph per line, plain heading lines, `- ` bullets and `|` tables."""
    header: tuple[str, ...] | None = None
    for i, raw in enumerate(lines):
        line = _clean(raw)
        following = lines[i + 1] if i + 1 < len(lines) else None
        if not line:
            header = None
            continue
        if "|" not in line and is_plain_heading(line, next((x for x in lines[i + 1 :] if x.strip()), None)):
            header = None
            out.heading(line, 2)
            continue
        if following is not None and "|" in line and _TABLE_SEPARATOR.match(following):
            header = _split_cells(line)
            continue
        if header is not None and _TABLE_SEPARATOR.match(line):
            continue
        if header is not None and "|" in line:
            cells = _split_cells(line)
            out.add("row", _row_text(header, cells), cells)
            continue
        bullet = _BULLET.match(line)
        if bullet:
            out.add("item", bullet.group(1).strip())
        else:
            header = None
            out.add("paragraph", line)


def _row_text(header: tuple[str, ...], cells: tuple[str, ...]) -> str:
    """'Focus — Project Manager: Temporary initiatives; Operations Manager: Ongoing efficiency'."""
    if not cells:
        return ""
    pairs = [f"{h}: {c}" for h, c in zip(header[1:], cells[1:], strict=False) if c]
    return f"{cells[0]} — " + "; ".join(pairs) if pairs else cells[0]


def parse_file(path: Path) -> Document:
    """`.md`/`.markdown` files are CommonMark; other files are read as markdown only if they have headings."""
    markdown = True if path.suffix.lower() in {".md", ".markdown"} else None
    return parse(path.read_text(encoding="utf-8", errors="replace"), path.stem, markdown)


def collect(paths: list[Path]) -> list[Path]:
    """Expand directories into their .md/.txt files, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in {".md", ".txt", ".markdown"}))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"no such document or folder: {path}")
    return [f for f in files if f.name.upper() != "README.MD"]
