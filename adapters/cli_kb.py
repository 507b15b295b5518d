"""`oncall-bot kb build|add|status|search` and `oncall-bot init`: the knowledge base and the owner's files.

`kb build` and `kb add` check the new documents against the intents before anything is replaced: a build
that would drop a section an intent answers from is refused (status 1) with the list of what is missing,
and the knowledge base in use stays as it was.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.storage.database import open_db


def required_sections() -> dict[str, tuple[str, ...]]:
    """Intent id → the knowledge-base sections its answer is built from (intents/*.yaml `answer.sections`)."""
    from intents import load_intents

    return {intent.id: intent.sections for intent in load_intents().values() if intent.sections}


def _builtin_headings() -> dict[str, str]:
    """Section reference → "Heading" in file.md, from the built-in documents: says what a missing one was."""
    from knowledge import kb

    found = {}
    for f in kb.builtin_files():
        doc = kb.parse_source(f.file, f.text)
        found.update({f"{doc.name}#{s.slug}": f'"{s.heading}" in {f.file}' for s in doc.sections})
    return found


def _print_missing(missing: list[tuple[str, str]]) -> None:
    headings = _builtin_headings()
    print(f"error: the knowledge base was not changed: the new documents lack {len(missing)} section(s) that "
          "intents answer from (intent → section):", file=sys.stderr)
    for intent, ref in missing:
        was = f"  (built in: {headings[ref]})" if ref in headings else ""
        print(f"  {intent} → {ref}{was}", file=sys.stderr)
    print("A section is a document's file name (without extension) and its heading's slug. Keep those headings, "
          "or add your documents to the built-in ones with `oncall-bot kb add PATH...`.", file=sys.stderr)


def _build(args: argparse.Namespace, add: bool) -> int:
    from knowledge import kb

    paths = [Path(p) for p in args.paths] or None
    try:
        db = open_db(args.db)
        documents = kb.build(db, db.index(), paths, add=add, required=required_sections())
    except kb.MissingSections as error:
        _print_missing(error.missing)
        return 1
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for doc in documents:
        passages = sum(len(s.passages) for s in doc.sections)
        print(f"{doc.name}: {len(doc.sections)} sections, {passages} passages")
    return 0


def cmd_kb_build(args: argparse.Namespace) -> int:
    return _build(args, add=False)


def cmd_kb_add(args: argparse.Namespace) -> int:
    return _build(args, add=True)


def _when(stamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp)) if stamp else "-"


def cmd_kb_status(args: argparse.Namespace) -> int:
    from knowledge import kb, sources

    db = open_db(args.db)
    index = db.index()
    kb.ensure_built(db, index)  # what the assistant answers from now, as a chat would build it
    plan = sources.composition(db)
    documents = sources.document_status(plan, kb.builtin_files(), kb.indexed_counts(index))
    if not plan.owner:
        made = "the built-in documents"
    elif plan.with_builtin:
        made = f"the built-in documents and {len(plan.owner)} of the owner's (`kb add`)"
    else:
        made = "the owner's documents only (`kb build PATHS`)"
    added = max((d.added_at for d in documents if d.added_at), default=None)
    print(f"knowledge base: {made}")
    built = _when(added) if added else "as shipped (the built-in documents; re-indexed whenever they change)"
    print(f"built: {built}; indexed here: {_when(kb.indexed_at(index))}")
    print(f"documents: {len(documents)}, sections: {sum(d.sections for d in documents)}, "
          f"passages: {sum(d.passages for d in documents)}")
    for d in documents:
        where = f"  {d.path} (added {_when(d.added_at)})" if d.path else ""
        print(f"  {d.file:28} {d.origin:17} {d.sections:3} sections {d.passages:4} passages{where}")
    present = {f"{s.document}#{s.slug}" for s in kb.KnowledgeBase(index).sections}
    missing = [(i, ref) for i, refs in required_sections().items() for ref in refs if ref not in present]
    if missing:
        print(f"missing sections that intents answer from: {', '.join(f'{i} → {r}' for i, r in missing)}")
    else:
        print("every section the intents answer from is present")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from bot import config

    directory = config.config_dir()
    for path, done in config.init(force=args.force):
        what = next(f.what for f in config.OWNER_FILES if f.name == path.name)
        note = "already there; --force replaces it with the default" if done == "kept" else what
        print(f"{done:8} {path}: {note}")
    print(f"The assistant reads these files from {directory} (set ONCALL_CONFIG_DIR to use another directory).")
    return 0


def add_kb_commands(add, search: Callable[[argparse.Namespace], int]) -> None:
    """`add(name, **kwargs)` makes a subparser that accepts --db; `search` runs `kb search` (adapters/cli.py)."""
    common = add.common
    kb = add("kb", help="knowledge base").add_subparsers(dest="kb_command", required=True)
    build = kb.add_parser("build", parents=[common],
                          help="rebuild the knowledge base from documents (default: built-in), replacing it")
    build.add_argument("paths", nargs="*", help="markdown/text files or folders")
    build.set_defaults(func=cmd_kb_build)
    adding = kb.add_parser("add", parents=[common], help="add documents to the knowledge base's current ones")
    adding.add_argument("paths", nargs="+", help="markdown/text files or folders")
    adding.set_defaults(func=cmd_kb_add)
    kb.add_parser("status", parents=[common], help="what the knowledge base was built from, and when").set_defaults(
        func=cmd_kb_status)
    found = kb.add_parser("search", parents=[common], help="full-text search the knowledge base")
    found.add_argument("query", nargs="+", help="words to look for (typos and abbreviations are normalized first)")
    found.add_argument("--limit", type=int, default=5, help="at most this many passages (default: 5)")
    found.set_defaults(func=search)

    init = add("init", help="copy the default qualification rules, policy and labelled set to the config directory")
    init.add_argument("--force", action="store_true", help="replace files that are already there")
    init.set_defaults(func=cmd_init)
