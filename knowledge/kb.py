"""The knowledge base: documents' sections and passages in a local SQLite index with FTS5.

Every passage records its document and section, so any answer built from it can cite its source.
The documents are the built-in `knowledge/documents/`, the owner's added to them (`kb add PATHS`) or the
owner's alone (`kb build PATHS`); the owner's are kept in the shared store (knowledge/sources.py) so that
every instance answers from the same ones. The index is derived data: each
process (re)builds it when the documents change — in the same file on SQLite, in memory on PostgreSQL —
so a new user never runs a build step.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from bot.storage.database import Database
from knowledge import DOCUMENTS_DIR, sources
from knowledge.ingest import Document, collect, parse
from knowledge.sources import SourceFile


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


class MissingSections(ValueError):
    """The documents lack sections that intents answer from: building them would leave those intents
    answering with buttons only."""

    def __init__(self, missing: list[tuple[str, str]]):
        self.missing = missing  # (intent id, section reference)
        super().__init__(f"{len(missing)} sections that intents answer from are missing")


def builtin_files() -> list[SourceFile]:
    return [SourceFile(f.name, f.read_text(encoding="utf-8")) for f in collect([DOCUMENTS_DIR])]


def files_of(plan: sources.Composition) -> list[SourceFile]:
    return plan.files(builtin_files() if plan.with_builtin else [])


def fingerprint(files: list[SourceFile]) -> str:
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.file.encode())
        digest.update(f.text.encode())
    return digest.hexdigest()


def parse_source(name: str, text: str) -> Document:
    markdown = True if Path(name).suffix.lower() in {".md", ".markdown"} else None
    return parse(text, Path(name).stem, markdown)


def missing_sections(documents: list[Document], required: Mapping[str, Iterable[str]]) -> list[tuple[str, str]]:
    """(intent, section) for each section an intent draws on that `documents` lack (or leave empty)."""
    present = {f"{doc.name}#{section.slug}" for doc in documents for section in doc.sections if section.passages}
    return [(intent, ref) for intent, refs in required.items() for ref in refs if ref not in present]


def build(store: Database, index: sqlite_utils.Database, paths: list[Path] | None = None, *, add: bool = False,
          required: Mapping[str, Iterable[str]] | None = None) -> list[Document]:
    """Make the built-in documents (`paths` None), the documents under `paths`, or — with `add` — the current
    documents plus those under `paths` the knowledge base of every instance: stored in the shared store,
    then indexed locally. Nothing is written if a document can't be read or, given `required` (intent →
    section references), if a section an intent draws on would be missing (MissingSections)."""
    plan = sources.planned(store, paths, add)
    files = files_of(plan)
    documents = [parse_source(f.file, f.text) for f in files]
    missing = missing_sections(documents, required or {})
    if missing:
        raise MissingSections(missing)
    sources.save(store, plan)
    _index(index, documents, fingerprint(files), "store" if plan.owner else "default")
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
        index["kb_meta"].upsert({"key": "build", "fingerprint": stamp, "source": source, "indexed_at": time.time()},
                                pk="key", alter=True)


def ensure_built(store: Database, index: sqlite_utils.Database) -> None:
    """Index the knowledge base's documents on first use, and again whenever they change (the built-in ones
    on upgrade, the owner's after `kb build` or `kb add` on any instance)."""
    plan = sources.composition(store)
    files = files_of(plan)
    stamp = fingerprint(files)

    def current() -> dict | None:
        return next(iter(index.query("select fingerprint, source from kb_meta where key='build'")), None) if (
            index["kb_meta"].exists()) else None

    row = current()
    if not plan.owner and row and row["source"] not in ("default", "store"):
        return  # indexed from the owner's paths by an earlier release, before documents were stored
    if row is not None and row["fingerprint"] == stamp:
        return
    with store.index_lock():  # several processes starting on one file: one builds, the others find it built
        row = current()
        if row is None or row["fingerprint"] != stamp:
            _index(index, [parse_source(f.file, f.text) for f in files], stamp, "store" if plan.owner else "default")


def indexed_counts(index: sqlite_utils.Database) -> dict[str, tuple[int, int]]:
    """Sections and passages per document in this process's index."""
    sections = {r["document"]: r["n"] for r in index.query(
        "select document, count(*) as n from kb_sections group by document")}
    passages = {r["document"]: r["n"] for r in index.query(
        "select document, count(*) as n from kb_passages group by document")}
    return {name: (count, passages.get(name, 0)) for name, count in sections.items()}


def indexed_at(index: sqlite_utils.Database) -> float | None:
    if "indexed_at" not in index["kb_meta"].columns_dict:
        return None
    return index.execute("select indexed_at from kb_meta where key='build'").fetchone()[0]


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
