"""Which documents make the knowledge base, and the record of how it was put together (`kb status`).

The built-in documents ship with the package and are never copied into the store, so an upgrade that
changes them reaches every knowledge base that includes them. The owner's documents are kept in the
store's `kb_documents` table, shared by every instance, with where each was read from and whether they
were added to the built-in ones (`kb add`) or replaced them (`kb build PATHS`). A document is known by its
name — the file name without its extension — which is what the intents' section references use, so an
owner's `project-manager.txt` replaces the built-in `project-manager.md`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from bot.storage.database import Database
from knowledge.ingest import collect


@dataclass(frozen=True, slots=True)
class SourceFile:
    file: str  # the file name, e.g. "runbook.md"
    text: str
    path: str | None = None  # where an owner's document was read from; None: built in
    added_at: float | None = None

    @property
    def name(self) -> str:
        return Path(self.file).stem


@dataclass(frozen=True, slots=True)
class Composition:
    """The knowledge base's documents: the built-in ones (or not) and the owner's, in index order."""

    with_builtin: bool
    owner: tuple[SourceFile, ...]

    def files(self, builtin: list[SourceFile]) -> list[SourceFile]:
        """`builtin`: the built-in documents (knowledge/kb.py reads them), used only if included."""
        mine = {f.name: f for f in self.owner}
        kept = [mine.pop(f.name, f) for f in builtin] if self.with_builtin else []
        return kept + sorted(mine.values(), key=lambda f: f.file)


def read_files(paths: list[Path]) -> list[SourceFile]:
    """The documents under `paths`; FileNotFoundError or ValueError before anything is changed."""
    files = collect(paths)
    if not files:
        raise ValueError("no .md or .txt documents found to build the knowledge base from")
    read = [SourceFile(f.name, f.read_text(encoding="utf-8", errors="replace"), str(f.resolve())) for f in files]
    names = [f.name for f in read]
    clashes = sorted({f.file for f in read if names.count(f.name) > 1})
    if clashes:
        raise ValueError(f"two documents would share a name (file name without extension): {', '.join(clashes)}")
    return read


def composition(store: Database) -> Composition:
    rows = store.query("select name, text, source, added_at, with_builtin from kb_documents order by name")
    owner = tuple(SourceFile(r["name"], r["text"], r["source"], r["added_at"]) for r in rows)
    # No rows: the built-in documents alone. Rows from before `kb add` existed (NULL) replaced them.
    return Composition(not rows or bool(rows[0]["with_builtin"]), owner)


def planned(store: Database, paths: list[Path] | None, add: bool) -> Composition:
    """What `kb build` (paths None: the built-in documents; else only `paths`) or `kb add paths` would make."""
    if paths is None:
        return Composition(True, ())
    new = read_files(paths)
    if not add:
        return Composition(False, tuple(new))
    current = composition(store)
    replaced = {f.name for f in new}
    return Composition(current.with_builtin, (*(f for f in current.owner if f.name not in replaced), *new))


def save(store: Database, plan: Composition) -> None:
    """Make `plan` the store's knowledge base, in one transaction: every instance re-indexes on its next
    start, and a failure leaves the previous documents in place."""
    now = time.time()
    with store.transaction():
        store.execute("delete from kb_documents")
        store.executemany(
            "insert into kb_documents (name, text, source, added_at, with_builtin) values (?, ?, ?, ?, ?)",
            [(f.file, f.text, f.path, f.added_at or now, int(plan.with_builtin)) for f in plan.owner])


@dataclass(frozen=True, slots=True)
class DocumentStatus:
    file: str
    origin: str  # "built-in" | "added" | "replaces built-in" | "owner's" (kb build PATHS)
    path: str | None
    added_at: float | None
    sections: int
    passages: int


def document_status(plan: Composition, builtin: list[SourceFile],
                    counts: dict[str, tuple[int, int]]) -> list[DocumentStatus]:
    """Each document of `plan` with its (sections, passages) in the index."""
    owner, shipped = {f.name for f in plan.owner}, {f.name for f in builtin}
    found = []
    for f in plan.files(builtin):
        if f.name not in owner:
            origin = "built-in"
        elif not plan.with_builtin:
            origin = "owner's"
        else:
            origin = "replaces built-in" if f.name in shipped else "added"
        sections, passages = counts.get(f.name, (0, 0))
        found.append(DocumentStatus(f.file, origin, f.path, f.added_at, sections, passages))
    return found
