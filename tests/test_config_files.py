"""The owner's files live in the config directory (`oncall-bot init`), are looked up there first, and a broken one
stops every command that reads it with the file, the line and what was expected — never a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess

import pytest

from bot import config
from bot.sales.qualify import EXPECTED, WHOLE_FILE, rules_schema
from knowledge import BUILTIN_POLICY_FILE
from knowledge.policy import check as check_policy

from conftest import oncall_bot

BUILTIN_RULES = config.BUILTIN_LOCATIONS["qualification.yaml"]()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A config directory of the test's own (never the developer's), no ONCALL_QUALIFICATION override."""
    directory = tmp_path / "config"
    monkeypatch.setenv("ONCALL_CONFIG_DIR", str(directory))
    monkeypatch.delenv("ONCALL_QUALIFICATION", raising=False)
    return directory


@pytest.fixture
def run(cli, tmp_path, home):
    db = str(tmp_path / "x.db")
    return lambda *args, **kwargs: cli("--db", db, *args, **kwargs)


def test_init_copies_the_defaults_and_overwrites_only_with_force(run, home):
    first = run("init").stdout
    for name in ("qualification.yaml", "policy.yaml", "labelled.yaml"):
        assert f"wrote    {home / name}:" in first
        assert (home / name).read_bytes() == config.BUILTIN_LOCATIONS[name]().read_bytes()
    (home / "qualification.yaml").write_text("# mine\n")
    again = run("init").stdout
    assert f"kept     {home / 'qualification.yaml'}: already there" in again
    assert (home / "qualification.yaml").read_text() == "# mine\n"
    forced = run("init", "--force").stdout
    assert f"replaced {home / 'qualification.yaml'}" in forced
    assert (home / "qualification.yaml").read_bytes() == BUILTIN_RULES.read_bytes()


def test_leads_rules_names_the_config_directory_file_and_uses_it(run, home, tmp_path, monkeypatch):
    before = run("leads", "rules").stdout
    assert f"rules file: {home / 'qualification.yaml'} (not created yet" in before
    assert "+30  starts_soon" in before
    run("init")
    mine = home / "qualification.yaml"
    mine.write_text(mine.read_text().replace("points: 30", "points: 31"))
    after = run("leads", "rules").stdout
    assert after.splitlines()[0] == f"rules file: {mine}" and "+31  starts_soon" in after
    other = tmp_path / "sales-rules.yaml"
    other.write_text(BUILTIN_RULES.read_text().replace("points: 30", "points: 29"))
    monkeypatch.setenv("ONCALL_QUALIFICATION", str(other))
    chosen = run("leads", "rules").stdout
    assert chosen.splitlines()[0] == f"rules file: {other}" and "+29  starts_soon" in chosen
    assert "site-packages" not in before + after + chosen


def test_the_owners_policy_and_labelled_set_are_used_from_the_config_directory(run, home):
    run("init")
    policy = home / "policy.yaml"
    policy.write_text(policy.read_text().replace("I can't give you an exact time", "We answer within a day"))
    reply = json.loads(run("replay", input='{"user": "u", "text": "when will I hear back?"}\n').stdout)
    assert reply["texts"][0].startswith("We answer within a day")
    (home / "labelled.yaml").write_text('- {id: a, text: "what does a pm do", intent: pm.role}\n')
    assert "intent accuracy: 100.0% (1/1)" in run("eval").stdout


BROKEN = {  # file text, the line and the words the message must have
    "parse": ("tiers:\n  hot: 70\n  warm: [40\nrules: []\n", 4, "not valid YAML"),
    "no tiers": ("# my rules\nrules: []\n", 2, "`tiers` is missing; expected `tiers:` with whole-number `hot:`"),
    "wrong type": (BUILTIN_RULES.read_text().replace("points: 15\n", "points: lots\n", 1), 20,
                   "`rules[1].points`: input should be a valid integer (got 'lots'); expected a whole number"),
    "unknown field": (BUILTIN_RULES.read_text().replace("{start: [later]}", "{strat: [later]}"), 23,
                      "`rules[2].when`: unknown field 'strat'"),
}


@pytest.mark.parametrize("kind", BROKEN)
def test_a_broken_qualification_file_stops_chat_with_the_file_and_line(run, tmp_path, monkeypatch, kind):
    text, line, words = BROKEN[kind]
    rules = tmp_path / "rules.yaml"
    rules.write_text(text)
    monkeypatch.setenv("ONCALL_QUALIFICATION", str(rules))
    result = run("chat", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {rules}, line {line}: ") and words in result.stderr
    assert "; expected " in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_missing_qualification_file_stops_every_command_that_reads_it(run, tmp_path, monkeypatch):
    missing = tmp_path / "nowhere.yaml"
    monkeypatch.setenv("ONCALL_QUALIFICATION", str(missing))
    small = tmp_path / "small.yaml"
    small.write_text('- {id: a, text: "hi", intent: smalltalk.greet}\n')
    for args in (["chat"], ["replay"], ["leads", "rules"], ["eval", str(small)], ["explain", "hi"],
                 ["kb", "search", "pm"]):
        result = run(*args, check=False)
        assert result.returncode == 1, args
        assert result.stderr == f"error: {missing}: no such file; expected {WHOLE_FILE}\n", args
    assert run("leads", "list").returncode == 0  # a command that doesn't read the rules is not stopped


def test_a_broken_policy_in_the_config_directory_stops_the_start(run, home):
    run("init")
    (home / "policy.yaml").write_text("quotes: Ask us.\nnext_steps: [one, two]\n")
    result = run("replay", input='{"user": "u", "text": "hi"}\n', check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {home / 'policy.yaml'}, line 2: `next_steps`: input should be a valid "
                                    "string")


def test_a_broken_labelled_set_names_its_line(run, home):
    run("init")
    (home / "labelled.yaml").write_text('- {id: a, text: "hi", intent: smalltalk.greet}\n- {id: b, text: yo}\n')
    result = run("eval", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{home / 'labelled.yaml'}, line 2: every entry needs id, text and intent" in result.stderr


def test_the_builtin_files_pass_the_checks_an_owners_copy_gets():
    """The built-in files are read without the schema at start-up: this keeps them and the schema in step."""
    config.validate(BUILTIN_RULES, rules_schema(), EXPECTED, WHOLE_FILE)
    assert set(check_policy(BUILTIN_POLICY_FILE)) >= {"quotes", "response_time", "handoff"}


def test_the_sales_channel_without_sales_users_is_warned_about_once_at_start(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on: the start stops after the configuration
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ONCALL_"))}
    env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN="xapp-test", ONCALL_SALES_CHANNEL="C0SALES",
               SLACK_API_BASE_URL=f"http://127.0.0.1:{port}/api/")

    def start(**extra: str) -> str:
        result = subprocess.run([*oncall_bot(), "--db", str(tmp_path / "s.db"), "slack"], env={**env, **extra},
                                capture_output=True, text=True, timeout=60)
        assert result.returncode != 0 and "cannot reach Slack" in result.stderr
        return result.stderr

    warned = [line for line in start().splitlines() if "ONCALL_SALES_USERS" in line]
    assert len(warned) == 1 and "WARNING" in warned[0] and "ONCALL_SALES_CHANNEL" in warned[0]
    assert "Claim" in warned[0] and "refused" in warned[0]
    assert "ONCALL_SALES_USERS" not in start(ONCALL_SALES_USERS="U0ANA")
