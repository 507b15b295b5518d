"""The knowledge base: documents' sections and passages in SQLite with an FTS5 index.

Every passage records its document and section, so any answer built from it can cite its source.
The default knowledge base is (re)built from `knowledge/documents/` whenever those files change,
so a new user never runs a build step.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from knowledge import DOCUMENTS_DIR
from knowledge.ingest import Document, collect, parse_file

_DEFAULT_SOURCE = "default"


@dataclass(frozen=True, slots=True)
class Hit:
    document: str
    section: str
    heading: str
    kind: str
    text: str
    rank: float


@dataclass(frozen=True, slots=True)
class SectionText:
    document: str
    slug: str
    heading: str
    passages: tuple[tuple[str, str], ...]  # (kind, text)

    @property
    def ref(self) -> str:
        return f"{self.document}#{self.slug}"


def fingerprint(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def build(db: sqlite_utils.Database, paths: list[Path] | None = None) -> list[Document]:
    """Replace the knowledge base with the documents found under `paths` (default documents if None)."""
    files = collect(paths or [DOCUMENTS_DIR])
    if not files:
        raise ValueError("no .md or .txt documents found to build the knowledge base from")
    documents = [parse_file(f) for f in files]
    source = _DEFAULT_SOURCE if paths is None else json.dumps([str(p) for p in paths])
    sections, passages = [], []
    for doc in documents:
        for position, section in enumerate(doc.sections):
            sections.append(
                {"document": doc.name, "slug": section.slug, "heading": section.heading,
                 "level": section.level, "position": position, "title": doc.title}
            )
            for index, passage in enumerate(section.passages):
                passages.append(
                    {"document": doc.name, "section": section.slug, "heading": section.heading,
                     "kind": passage.kind, "position": position * 1000 + index, "text": passage.text,
                     "cells": json.dumps(list(passage.cells)) if passage.cells else None}
                )
    with db.conn:
        for table in ("kb_passages", "kb_sections"):
            if db[table].exists():
                db[table].drop()
        for name in db.table_names():
            if name.startswith("kb_passages_fts"):
                db.execute(f"DROP TABLE IF EXISTS [{name}]")
        db["kb_sections"].insert_all(sections, pk=("document", "slug"), alter=True)
        db["kb_passages"].insert_all(passages, pk="id", alter=True, column_order=["id"])
        db["kb_passages"].enable_fts(["text", "heading"], tokenize="porter", replace=True)
        db["kb_meta"].upsert(
            {"key": "build", "fingerprint": fingerprint(files), "source": source}, pk="key"
        )
    return documents


def ensure_built(db: sqlite_utils.Database) -> None:
    """Build the default knowledge base on first use, and rebuild it when its documents change."""
    meta = db["kb_meta"]
    row = next(iter(db.query("select fingerprint, source from kb_meta where key='build'")), None) if (
        meta.exists()) else None
    if row and row["source"] != _DEFAULT_SOURCE:
        return  # built from the owner's own documents: leave it alone
    if row is None or row["fingerprint"] != fingerprint(collect([DOCUMENTS_DIR])):
        build(db)


class KnowledgeBase:
    """Read side: whole sections for intent answers, full-text search for everything else."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._sections: dict[str, SectionText] = {}
        by_ref: dict[str, list[tuple[str, str]]] = {}
        headings: dict[str, tuple[str, str, str]] = {}
        for row in db.query("select document, section, heading, kind, text from kb_passages order by position"):
            ref = f"{row['document']}#{row['section']}"
            by_ref.setdefault(ref, []).append((row["kind"], row["text"]))
            headings[ref] = (row["document"], row["section"], row["heading"])
        for ref, passages in by_ref.items():
            document, slug, heading = headings[ref]
            self._sections[ref] = SectionText(document, slug, heading, tuple(passages))

    def section(self, ref: str) -> SectionText | None:
        return self._sections.get(ref)

    @property
    def sections(self) -> list[SectionText]:
        return list(self._sections.values())

    def search(self, words: list[str], limit: int = 5) -> list[Hit]:
        """Passages ranked by BM25 for any of `words` (already normalized, no FTS syntax)."""
        terms = [w for w in dict.fromkeys(words) if re.fullmatch(r"[a-z0-9]+", w)]
        if not terms:
            return []
        query = " OR ".join(f'"{t}"' for t in terms[:32])
        rows = self.db.query(
            "select p.document, p.section, p.heading, p.kind, p.text, kb_passages_fts.rank as rank "
            "from kb_passages_fts join kb_passages p on p.rowid = kb_passages_fts.rowid "
            "where kb_passages_fts match ? order by kb_passages_fts.rank limit ?",
            [query, limit],
        )
        return [Hit(r["document"], r["section"], r["heading"], r["kind"], r["text"], r["rank"]) for r in rows]
