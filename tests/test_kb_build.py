"""`kb build` can't silently empty the answers; `kb add` adds to the built-in documents; `kb status` says what the
knowledge base was built from. Through the real command line, each on its own temp SQLite database."""

from __future__ import annotations

import json
import shutil

import pytest

from knowledge import DOCUMENTS_DIR, kb, sources

RUNBOOK = "# Runbook\n\n## Escalation\n\nEscalate to the duty lead when the pager queue backs up.\n"


@pytest.fixture
def run(cli, tmp_path):
    db = str(tmp_path / "x.db")
    return lambda *args, **kwargs: cli("--db", db, *args, **kwargs)


@pytest.fixture
def mydocs(tmp_path):
    folder = tmp_path / "mydocs"
    folder.mkdir()
    (folder / "runbook.md").write_text(RUNBOOK)
    return folder


def ask(run, text: str) -> dict:
    [reply] = [json.loads(line) for line in run("replay", input=json.dumps({"user": "u", "text": text}) + "\n")
               .stdout.splitlines()]
    return reply


def test_building_from_documents_without_the_intents_sections_fails_and_keeps_the_knowledge_base(run, mydocs):
    assert "project manager" in ask(run, "what does a pm do")["texts"][0].lower()
    failed = run("kb", "build", str(mydocs), check=False)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "the knowledge base was not changed" in failed.stderr
    assert "pm.role → project-manager#what-a-project-manager-does" in failed.stderr
    assert "ops.skills → operations-manager#operations-manager-skills" in failed.stderr
    assert '"What a project manager does" in project-manager.md' in failed.stderr  # what the section was
    assert "oncall-bot kb add" in failed.stderr
    # the previous knowledge base is still the one answering: a real answer, not buttons only
    reply = ask(run, "what does a pm do")
    assert reply["intent"] == "pm.role" and "project manager" in " ".join(reply["texts"]).lower()
    assert "runbook" not in run("kb", "search", "pager", "escalate").stdout
    status = run("kb", "status").stdout
    assert "knowledge base: the built-in documents" in status and "runbook" not in status


def test_the_failure_lists_exactly_the_sections_a_replaced_document_lost(run, tmp_path):
    partial = tmp_path / "project-manager.txt"  # same name as the built-in project-manager.md: replaces it
    partial.write_text("What a Project Manager Does\nThey plan the work and run it to the end.\n")
    failed = run("kb", "add", str(partial), check=False)
    assert failed.returncode == 1
    listed = [line.strip().split("  ")[0] for line in failed.stderr.splitlines() if line.startswith("  ")]
    assert listed == ["pm.role → project-manager#project-manager-responsibilities",
                      "pm.skills → project-manager#project-manager-skills",
                      "pm.when_to_hire → project-manager#when-to-hire-a-project-manager"]
    assert "knowledge base: the built-in documents\n" in run("kb", "status").stdout


def test_kb_add_adds_documents_to_the_builtin_ones_and_status_shows_where_they_came_from(run, mydocs):
    added = run("kb", "add", str(mydocs)).stdout
    assert "runbook: 1 sections, 1 passages" in added and "project-manager: 5 sections" in added
    assert "[runbook › Escalation]" in run("kb", "search", "pager", "escalate").stdout
    reply = ask(run, "what does a pm do")
    assert reply["intent"] == "pm.role" and "project manager" in " ".join(reply["texts"]).lower()
    status = run("kb", "status").stdout
    assert "knowledge base: the built-in documents and 1 of the owner's (`kb add`)" in status
    assert "documents: 6," in status
    [row] = [line for line in status.splitlines() if "runbook.md" in line]
    assert "added" in row and "1 sections" in row and "1 passages" in row
    assert str((mydocs / "runbook.md").resolve()) in row
    [builtin] = [line for line in status.splitlines() if "project-manager.md" in line]
    assert "built-in" in builtin and "5 sections" in builtin and "site-packages" not in status
    assert "every section the intents answer from is present" in status
    # adding again with another document keeps the first one
    (mydocs / "onboarding.md").write_text("# Onboarding\n\n## First week\n\nPair the new PM with a mentor.\n")
    run("kb", "add", str(mydocs / "onboarding.md"))
    status = run("kb", "status").stdout
    assert "runbook.md" in status and "onboarding.md" in status and "documents: 7," in status


def test_kb_add_replaces_a_builtin_document_of_the_same_name_that_keeps_its_sections(run, tmp_path):
    mine = tmp_path / "project-manager.md"
    mine.write_text((DOCUMENTS_DIR / "project-manager.md").read_text() + "\n## Our note\n\nZanzibar office hires.\n")
    run("kb", "add", str(mine))
    status = run("kb", "status").stdout
    [row] = [line for line in status.splitlines() if "project-manager.md" in line]
    assert "replaces built-in" in row and "6 sections" in row and str(mine.resolve()) in row
    assert "documents: 5," in status
    assert "[project-manager › Our note]" in run("kb", "search", "zanzibar").stdout


def test_kb_build_from_a_complete_set_replaces_the_builtin_ones_until_built_again(run, tmp_path, mydocs):
    for document in DOCUMENTS_DIR.glob("*.md"):
        shutil.copy(document, mydocs / document.name)
    run("kb", "build", str(mydocs))
    status = run("kb", "status").stdout
    assert "knowledge base: the owner's documents only (`kb build PATHS`)" in status
    assert "built-in" not in status.split("documents:", 1)[1] and "owner's" in status and "documents: 6," in status
    run("kb", "build")
    status = run("kb", "status").stdout
    assert "knowledge base: the built-in documents\n" in status and "as shipped" in status
    assert "runbook" not in status and "documents: 5," in status


def test_missing_paths_are_a_usage_error(run, tmp_path):
    for command in ("build", "add"):
        missing = run("kb", command, str(tmp_path / "nope"), check=False)
        assert missing.returncode == 2 and "no such document" in missing.stderr


def test_store_keeps_the_composition_on_both_backends(any_db, mydocs):
    """The 0006 migration's columns on SQLite and PostgreSQL; a refused build writes nothing."""
    required = {"pm.role": ("project-manager#what-a-project-manager-does",)}
    store, index = any_db, any_db.index()
    kb.build(store, index, [mydocs], add=True, required=required)
    plan = sources.composition(store)
    assert plan.with_builtin and [f.file for f in plan.owner] == ["runbook.md"]
    assert plan.owner[0].path == str((mydocs / "runbook.md").resolve())
    with pytest.raises(kb.MissingSections) as refused:
        kb.build(store, index, [mydocs], required=required)
    assert refused.value.missing == [("pm.role", "project-manager#what-a-project-manager-does")]
    assert sources.composition(store) == plan
    assert kb.KnowledgeBase(index).section("project-manager#what-a-project-manager-does") is not None


def test_documents_stored_before_kb_add_existed_still_replace_the_builtin_ones(fresh_db):
    """Rows written by `kb build PATHS` before this release have no `with_builtin`: they were the whole base."""
    fresh_db.execute("insert into kb_documents (name, text, added_at) values (?, ?, ?)", ["runbook.md", RUNBOOK, 1.0])
    kb.ensure_built(fresh_db, fresh_db.index())
    assert {s.document for s in kb.KnowledgeBase(fresh_db.index()).sections} == {"runbook"}
