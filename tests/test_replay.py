"""`oncall-bot replay`: the machine interface, exactly as specified, as a real process."""

from __future__ import annotations

import json
import subprocess

from conftest import oncall_bot, replay_lines

KEYS = {"user", "intent", "confidence", "texts", "buttons", "expecting", "recommendation", "lead"}


def test_one_json_line_per_input_line_with_exact_keys(cli):
    out = replay_lines(cli, [{"user": "a", "text": "what does a pm do"}, {"user": "b", "text": "hello"},
                             {"user": "a", "button": "intent:pm.skills", "channel": "slack"}])
    assert [o["intent"] for o in out] == ["pm.role", "smalltalk.greet", "pm.skills"]
    for line in out:
        assert set(line) == KEYS
        assert isinstance(line["texts"], list) and all(isinstance(t, str) for t in line["texts"])
        assert all(set(b) == {"label", "value"} for b in line["buttons"])
        assert 0 <= line["confidence"] <= 1
    assert out[0]["user"] == "a" and out[1]["user"] == "b"


def test_malformed_lines_get_a_clear_error_and_processing_continues(cli):
    lines = ["not json", '["a list"]', '{"text": "no user"}', '{"user": 7, "text": "x"}',
             '{"user": "a"}', '{"user": "a", "button": 3}', '{"user": "a", "text": "hi"}']
    result = cli("replay", input="\n".join(lines) + "\n")
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines) and result.returncode == 0
    assert [set(o) for o in out[:6]] == [{"error"}] * 6
    assert "JSON" in out[0]["error"] and '"user"' in out[2]["error"] and '"text"' in out[4]["error"]
    assert out[6]["intent"] == "smalltalk.greet"


def test_conversation_continues_across_processes(cli):
    first = replay_lines(cli, [{"user": "a", "text": "what skills does a project manager need"}])
    second = replay_lines(cli, [{"user": "a", "text": "and for an ops manager?"}])
    third = replay_lines(cli, [{"user": "a", "text": "when should i hire one"}])
    assert [first[0]["intent"], second[0]["intent"], third[0]["intent"]] == [
        "pm.skills", "ops.skills", "ops.when_to_hire"]


def test_users_and_channels_are_separate_conversations(cli):
    out = replay_lines(cli, [
        {"user": "a", "text": "what skills does an ops manager need"},
        {"user": "b", "text": "what skills does a project manager need"},
        {"user": "a", "text": "when should i hire one", "channel": "telegram"},
        {"user": "a", "text": "when should i hire one"},
    ])
    assert out[2]["intent"] == "clarify"  # a new conversation on another channel has no context
    assert out[3]["intent"] == "ops.when_to_hire"


def test_replies_are_flushed_line_by_line(cli):
    """An integrator can talk to one long-running process: each reply arrives before the next input."""
    process = subprocess.Popen([*oncall_bot(), "replay", "--db", str(cli.db)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        for text, intent in (("hi", "smalltalk.greet"), ("what is oncall", "oncall.about")):
            process.stdin.write(json.dumps({"user": "p", "text": text}) + "\n")
            process.stdin.flush()
            assert json.loads(process.stdout.readline())["intent"] == intent
    finally:
        process.stdin.close()
        assert process.wait(timeout=30) == 0


def test_advice_sets_recommendation(cli):
    [line] = replay_lines(cli, [{"user": "a", "text": "our warehouse is chaos and orders ship late every day"}])
    assert (line["intent"], line["recommendation"]) == ("advise", "operations_manager")
