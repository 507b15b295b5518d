"""Intent definitions: complete, consistent with the knowledge base, independent of the labelled sets."""

from __future__ import annotations

from pathlib import Path

import yaml

import intents

from conftest import ROOT

EVAL_SETS = sorted((ROOT / "eval").glob("*.yaml"))


def test_all_required_intents_exist_and_every_one_but_fallback_has_examples():
    defined = intents.load_intents()
    assert set(intents.REQUIRED_IDS) <= set(defined)
    assert all(i.examples for i in defined.values() if i.id != "fallback")


def test_every_referenced_section_exists_in_the_knowledge_base(shared_engine):
    for intent in shared_engine.intents.values():
        for ref in intent.sections:
            assert shared_engine.kb.section(ref), f"{intent.id} draws from missing section {ref}"


def test_buttons_point_at_known_intents():
    defined = intents.load_intents()
    for intent in defined.values():
        for button in intent.buttons:
            assert button.value.removeprefix("intent:") in defined, (intent.id, button.value)
            assert len(button.value.encode()) <= 64  # fits Telegram's callback_data


def test_no_evaluation_message_is_copied_into_an_intent(shared_engine):
    """Short messages ("hi", "help", "how does oncall work") coincide by nature, so only messages of
    seven or more words count: at that length an identical example means a copy."""
    normalize = shared_engine.normalize
    examples = {normalize(e).text for i in shared_engine.intents.values() for e in i.examples}
    for path in EVAL_SETS:
        texts = [normalize(c["text"]).text for c in yaml.safe_load(path.read_text())]
        copied = [t for t in texts if len(t.split()) >= 7 and t in examples]
        assert not copied, f"{path.name} messages copied into intents: {copied}"


def test_duplicate_intent_ids_are_rejected(tmp_path: Path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("- id: pm.role\n  examples: [x]\n")
    try:
        intents.load_intents(tmp_path)
    except ValueError as error:
        assert "defined twice" in str(error)
    else:
        raise AssertionError("duplicate ids were accepted")


def test_cue_patterns_are_screened_soundly(shared_engine):
    """The Aho-Corasick screen must never hide a cue that would match (checked on every labelled text)."""
    cues = shared_engine.matcher.cues
    screen = shared_engine.matcher._cue_set
    assert bin(screen._always).count("1") <= 10  # the screen really screens
    for path in EVAL_SETS:
        for case in yaml.safe_load(path.read_text()):
            masked = shared_engine.understand(case["text"])[0].masked
            assert {i for i, _ in screen.matches(masked)} == {i for i, c in enumerate(cues) if c.pattern.search(masked)}
