"""The knowledge base: documents' sections and passages in a local SQLite index with FTS5.

Every passage records its document and section, so any answer built from it can cite its source.
The documents are the built-in `knowledge/documents/`, or the owner's (`kb build PATHS`), which are kept
in the shared store so that every instance answers from the same ones. The index is derived data: each
process (re)builds it when the documents change — in the same file on SQLite, in memory on PostgreSQL —
so a new user never runs a build step.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from bot.storage.database import Database
from knowledge import DOCUMENTS_DIR
from knowledge.ingest import Document, collect, parse


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


Source = tuple[str, str]  # (file name, text)


def builtin_sources() -> list[Source]:
    return [(f.name, f.read_text(encoding="utf-8")) for f in collect([DOCUMENTS_DIR])]


def stored_sources(store: Database) -> list[Source]:
    """The owner's documents (`kb build PATHS`), shared by every instance; none: the built-in ones."""
    return [(row["name"], row["text"]) for row in store.query("select name, text from kb_documents order by name")]


def fingerprint(sources: list[Source]) -> str:
    digest = hashlib.sha256()
    for name, text in sources:
        digest.update(name.encode())
        digest.update(text.encode())
    return digest.hexdigest()


def _document(name: str, text: str) -> Document:
    markdown = True if Path(name).suffix.lower() in {".md", ".markdown"} else None
    return parse(text, Path(name).stem, markdown)


def build(store: Database, index: sqlite_utils.Database, paths: list[Path] | None = None) -> list[Document]:
    """Make the documents under `paths` (the built-in ones if None) the knowledge base of every instance:
    stored in the shared store, then indexed locally. Nothing is written if a document can't be read."""
    if paths is None:
        sources = builtin_sources()
    else:
        files = collect(paths)
        if not files:
            raise ValueError("no .md or .txt documents found to build the knowledge base from")
        sources = [(f.name, f.read_text(encoding="utf-8", errors="replace")) for f in files]
        clashes = sorted({name for name, _ in sources if [n for n, _ in sources].count(name) > 1})
        if clashes:
            raise ValueError(f"two documents share a file name: {', '.join(clashes)}")
    documents = [_document(name, text) for name, text in sources]
    with store.transaction():
        store.execute("delete from kb_documents")
        if paths is not None:
            store.executemany("insert into kb_documents (name, text, added_at) values (?, ?, ?)",
                              [(name, text, time.time()) for name, text in sources])
    _index(index, documents, fingerprint(sources), "default" if paths is None else "store")
    return documents


def _index(index: sqlite_utils.Database, documents: list[Document], stamp: str, source: str) -> None:
    sections, passages = [], []
    for doc in documents:
        for position, section in enumerate(doc.sections):
            sections.append(
                {"document": doc.name, "slug": section.slug, "heading": section.heading,
                 "level": section.level, "position": position, "title": doc.title}
            )
            for number, passage in enumerate(section.passages):
                passages.append(
                    {"document": doc.name, "section": section.slug, "heading": section.heading,
                     "kind": passage.kind, "position": position * 1000 + number, "text": passage.text,
                     "cells": json.dumps(list(passage.cells)) if passage.cells else None}
                )
    with index.conn:
        for table in ("kb_passages", "kb_sections"):
            if index[table].exists():
                index[table].drop()
        for name in index.table_names():
            if name.startswith("kb_passages_fts"):
                index.execute(f"DROP TABLE IF EXISTS [{name}]")
        index["kb_sections"].insert_all(sections, pk=("document", "slug"), alter=True)
        index["kb_passages"].insert_all(passages, pk="id", alter=True, column_order=["id"])
        index["kb_passages"].enable_fts(["text", "heading"], tokenize="porter", replace=True)
        index["kb_meta"].upsert({"key": "build", "fingerprint": stamp, "source": source}, pk="key")


def ensure_built(store: Database, index: sqlite_utils.Database) -> None:
    """Index the knowledge base's documents on first use, and again whenever they change (the built-in ones
    on upgrade, the owner's after `kb build` on any instance)."""
    stored = stored_sources(store)
    sources = stored or builtin_sources()
    stamp = fingerprint(sources)

    def current() -> dict | None:
        return next(iter(index.query("select fingerprint, source from kb_meta where key='build'")), None) if (
            index["kb_meta"].exists()) else None

    row = current()
    if not stored and row and row["source"] not in ("default", "store"):
        return  # indexed from the owner's paths by an earlier release, before documents were stored
    if row is not None and row["fingerprint"] == stamp:
        return
    with store.index_lock():  # several processes starting on one file: one builds, the others find it built
        row = current()
        if row is None or row["fingerprint"] != stamp:
            _index(index, [_document(name, text) for name, text in sources], stamp,
                   "store" if stored else "default")


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
