"""Conversation stories: the team's set keeps its pass rate, the issue's examples all pass, and the set
written by people who never saw the implementation stays at the level reached (README: Conversations)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.evaluation.stories import DEFAULT_STORIES, check_turn, evaluate_stories, format_story_report, load_stories
from bot.storage.database import open_db
from bot.types import Button, Reply

from conftest import ROOT

TEAM = sorted(DEFAULT_STORIES.glob("*.yaml"))
BLIND = ROOT / "eval" / "blind-stories" / "unseen.yaml"


def handler(today: date | None):
    return Engine(open_db(":memory:"), today=(lambda: today) if today else date.today).handle


def report_for(files: list[Path]):
    return evaluate_stories(handler, files)


def test_the_team_story_set_is_big_and_covers_every_kind_of_person():
    stories = [story for path in TEAM for story in load_stories(path)[0]]
    assert len(stories) >= 150
    assert {story.who for story in stories} >= {"founder", "prospect", "stranger"}
    files = [s for s in stories if isinstance(s.lead, dict) or any(isinstance(t.get("lead"), dict) for t in s.turns)]
    assert len(files) >= 40  # conversations that end in a filed talent request


def test_team_stories_pass_at_the_level_reached():
    report = report_for(TEAM)
    assert report.rate >= 0.98, format_story_report(report, show_replies=True)


def test_every_example_of_the_conversation_issue_passes():
    report = report_for([DEFAULT_STORIES / "issue-examples.yaml"])
    assert report.total >= 19 and report.rate == 1.0, format_story_report(report, show_replies=True)


def test_stories_nobody_here_wrote_stay_at_the_level_reached():
    # First score when they arrived: 46.7%; the fixes went into understanding and dialogue, not the stories.
    report = report_for([BLIND])
    assert report.rate >= 0.88, format_story_report(report, show_replies=True)


def test_a_failing_turn_is_reported_with_why():
    reply = Reply("pm.role", 0.9, ("Yes. A project manager works short- to mid-term.",), (Button("Tell me more", "x"),))
    assert check_turn({"intent": "ops.role"}, reply) == "intent pm.role, expected ops.role"
    assert check_turn({"starts_with_any": ["no"]}, reply).startswith("starts 'yes")
    assert check_turn({"max_words": 5}, reply) == "8 words, limit 5"
    assert check_turn({"once": ["project"]}, reply) is None
    assert check_turn({"buttons": ["person"]}, reply) == "no button with 'person'"
    assert check_turn({"lead": {"role": "pm"}}, reply) == "no lead filed"
    assert check_turn({"starts_with_any": ["yes"], "max_words": 20, "contains": ["mid-term"]}, reply) is None


def test_malformed_story_files_are_refused_with_the_reason(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("stories:\n  - id: a\n    turns:\n      - {user: hi, intnet: greet}\n")
    with pytest.raises(ValueError, match="unknown keys \\['intnet'\\]"):
        load_stories(bad)
    bad.write_text("stories:\n  - id: a\n    turns:\n      - {user: hi, button: x}\n")
    with pytest.raises(ValueError, match="exactly one of `user` or `button`"):
        load_stories(bad)


def test_eval_stories_command_prints_the_pass_rate_and_each_failing_story(cli, tmp_path):
    stories = tmp_path / "two.yaml"
    stories.write_text(
        "stories:\n"
        "  - id: passes\n    turns:\n      - {user: 'what does a pm do', intent: pm.role}\n"
        "  - id: fails\n    turns:\n      - {user: hi}\n      - {user: 'what does a pm do', intent: ops.role}\n")
    out = cli("eval", "--stories", str(stories)).stdout
    assert "pass rate: 50.0% (1/2)" in out
    assert "[two.yaml:fails] turn 2 'what does a pm do': intent pm.role, expected ops.role" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("not: stories\n")
    result = cli("eval", "--stories", str(bad), check=False)
    assert result.returncode == 1 and "stories" in result.stderr
    bad.write_text("stories:\n  - id: x\n    turns: [\n")
    result = cli("eval", "--stories", str(bad), check=False)
    assert result.returncode == 1 and "line" in result.stderr and "Traceback" not in result.stderr
