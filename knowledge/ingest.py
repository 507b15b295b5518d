"""Parse markdown or plain-text articles into sections and passages.

Real articles mix markdown headings with plain "question-style" heading lines, `- ` bullet lists
introduced by a sentence ending in ':' and pipe tables with a `---|` separator row. Each paragraph,
list item and table row becomes one passage that remembers its document and section.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.*)$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_WORD = re.compile(r"[A-Za-z][\w'’.&-]*")
_SMALL_WORDS = 4  # words shorter than this ("a", "of", "vs.") don't count for title case


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


def parse(text: str, name: str) -> Document:
    lines = [unicodedata.normalize("NFC", raw.rstrip("\r")) for raw in text.split("\n")]
    title = name.replace("-", " ").replace("_", " ").strip().capitalize()
    sections: list[Section] = []
    current = Section(heading=title, level=1)
    paragraph: list[str] = []
    header: tuple[str, ...] | None = None
    one_paragraph_per_line = not any(_MD_HEADING.match(line.strip()) for line in lines)

    def flush() -> None:
        if paragraph:
            current.passages.append(Passage("paragraph", " ".join(paragraph)))
            paragraph.clear()

    def next_nonblank(index: int) -> str | None:
        for later in lines[index + 1 :]:
            if later.strip():
                return later
        return None

    for i, raw in enumerate(lines):
        line = _clean(raw)
        following = lines[i + 1] if i + 1 < len(lines) else None
        if not line:
            flush()
            header = None
            continue
        heading = _MD_HEADING.match(line)
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
        # Plain-text articles put one paragraph per line; markdown wraps a paragraph over several.
        if one_paragraph_per_line or not following or not following.strip() or _BULLET.match(following):
            flush()
    flush()
    sections.append(current)
    return Document(name=name, title=title, sections=[s for s in sections if s.passages])


def _row_text(header: tuple[str, ...], cells: tuple[str, ...]) -> str:
    """'Focus — Project Manager: Temporary initiatives; Operations Manager: Ongoing efficiency'."""
    if not cells:
        return ""
    pairs = [f"{h}: {c}" for h, c in zip(header[1:], cells[1:], strict=False) if c]
    return f"{cells[0]} — " + "; ".join(pairs) if pairs else cells[0]


def parse_file(path: Path) -> Document:
    return parse(path.read_text(encoding="utf-8", errors="replace"), path.stem)


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
