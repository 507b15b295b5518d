"""A command line that fails clearly: days, exit codes, --version, help everywhere, lead ids in any case,
CSV booleans, tables, empty results said in words, `forget` counting what it deleted, and a webhook sink
configured late still receiving the leads filed before it — each through the real `oncall-bot`."""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import subprocess
import tomllib
from datetime import UTC, datetime, timedelta
from importlib import metadata

import pytest

from adapters.cli import build_parser, main
from adapters.cli_args import day, day_range, version
from bot.engine import Engine
from bot.sales.leads import LeadStore
from bot.sales.outbox import Outbox
from bot.storage.database import open_db
from bot.storage.store import Store
from bot.types import Message

from conftest import ROOT, oncall_bot
from receivers import WebhookReceiver

REQUEST = ["I need a part-time PM for a product launch starting asap", "Acme Robotics", "Jane Doe",
           "jane@acmerobotics.com", "+1 415 555 0100", "skip", "skip", "yes"]
SINK_VARIABLES = ("ONCALL_LEAD_WEBHOOK_URL", "ONCALL_LEAD_WEBHOOK_SECRET", "SLACK_BOT_TOKEN", "ONCALL_SALES_CHANNEL")


@pytest.fixture
def run(tmp_path, capsys, monkeypatch):
    """`oncall-bot --db tmp/x.db ARGS` in this process: (exit code, stdout, stderr). argparse's usage errors
    raise SystemExit(2) as they do for the real command."""
    for name in SINK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    db = tmp_path / "x.db"

    def go(*args: str) -> tuple[int, str, str]:
        code = main(["--db", str(db), *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    go.db = db
    yield go
    for handler in root.handlers[:]:  # main() sets up logging on every call: undo it between tests
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def add_lead(db, lead_id: str, created_at: str, **fields) -> None:
    lead = {"id": lead_id, "created_at": created_at, "updated_at": created_at, "status": "new", "tier": "cold",
            "score": 0, "qualified": False, "reasons": [], "transcript": [], "channel": "console",
            "user": f"user-{lead_id}", "history": [{"status": "new", "by": "assistant", "at": created_at}]} | fields
    with db.transaction():
        LeadStore(db).insert(lead)


def file_request(db, user: str = "U1", channel: str = "slack") -> dict:
    """A real talent request through the engine, in a process with no sink configured."""
    engine = Engine(db)
    for text in REQUEST:
        reply = engine.handle(Message(user=user, text=text, channel=channel))
    assert reply.lead
    return reply.lead


def ids(export_csv: str) -> list[str]:
    return [row["id"] for row in csv.DictReader(io.StringIO(export_csv))]


# 1. days -------------------------------------------------------------------------------------------------------

def test_day_accepts_iso_days_today_yesterday_and_days_ago_and_nothing_else():
    today = datetime.now(UTC).date()
    assert day("2024-02-29").isoformat() == "2024-02-29"
    assert (day("today"), day("Yesterday"), day("7d"), day("0d")) == (
        today, today - timedelta(days=1), today - timedelta(days=7), today)
    for bad in ("2024-02-30", "20240229", "last week", "7", "-1d", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            day(bad)
    assert day_range(day("2026-01-30"), day("2026-01-31")) == ("2026-01-30T00:00:00Z", "2026-02-01T00:00:00Z")


def test_export_since_and_until_are_inclusive_utc_days(run):
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    db = open_db(run.db)
    add_lead(db, "L-TWODAYS", iso(midnight - timedelta(days=1, seconds=1)))  # the last second of 2 days ago
    add_lead(db, "L-YESTERDAY", iso(midnight - timedelta(days=1)))  # yesterday's first second
    add_lead(db, "L-TODAY", iso(now))
    assert ids(run("leads", "export", "--since", "yesterday")[1]) == ["L-YESTERDAY", "L-TODAY"]
    assert ids(run("leads", "export", "--until", "yesterday")[1]) == ["L-TWODAYS", "L-YESTERDAY"]
    assert ids(run("leads", "export", "--since", "2d", "--until", "2d")[1]) == ["L-TWODAYS"]
    yesterday = (now - timedelta(days=1)).date().isoformat()
    assert ids(run("leads", "export", "--since", yesterday, "--until", yesterday)[1]) == ["L-YESTERDAY"]
    assert run("leads", "export", "--since", "today", "--until", "yesterday")[0] == 2


def test_a_day_that_is_not_one_is_a_usage_error(run, capsys):
    with pytest.raises(SystemExit) as exit_:
        run("leads", "export", "--since", "last week")
    assert exit_.value.code == 2
    assert "'last week' is not a date: use YYYY-MM-DD, today, yesterday or Nd" in capsys.readouterr().err


# 2. and 3. exit codes and --version, as the installed command -----------------------------------------------

def test_exit_codes_of_the_real_command_and_its_version(tmp_path):
    def bot(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*oncall_bot(), "--db", str(tmp_path / "x.db"), *args], capture_output=True, text=True,
                              timeout=120)

    shown = bot("--version")
    assert (shown.returncode, shown.stdout) == (0, f"oncall-bot {metadata.version('oncall-assistant')}\n")
    unknown = bot("leads", "show", "L-NOPE")
    assert (unknown.returncode, unknown.stderr) == (1, "error: no lead with id 'L-NOPE'\n")
    usage = bot("leads", "set-status", "L-NOPE", "promoted")
    assert usage.returncode == 2 and "invalid choice: 'promoted'" in usage.stderr
    unreachable = subprocess.run([*oncall_bot(), "--db", str(tmp_path), "leads", "list"], capture_output=True,
                                 text=True, timeout=120)  # a directory: SQLite cannot open it
    assert unreachable.returncode == 1 and "Traceback" not in unreachable.stderr
    assert unreachable.stderr.startswith(f"error: cannot use the database {tmp_path}: unable to open")


def test_version_falls_back_to_pyproject_when_the_package_is_not_installed(monkeypatch):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    assert version() == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


# 4. help -------------------------------------------------------------------------------------------------------

def test_every_command_option_and_positional_has_help():
    missing: list[str] = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if isinstance(action, argparse._SubParsersAction):
                described = {choice.dest for choice in action._choices_actions if choice.help}
                for name, sub in action.choices.items():
                    if name not in described:
                        missing.append(f"{path} {name}")
                    walk(sub, f"{path} {name}")
            elif not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")

    walk(build_parser(), "oncall-bot")
    assert missing == []


# 5. and 6. lead ids and status changes ---------------------------------------------------------------------

def test_lead_ids_are_taken_in_any_case_and_shown_in_upper_case(run):
    add_lead(open_db(run.db), "L-ABC123DEF0", "2026-01-05T10:00:00Z")
    code, out, _ = run("leads", "show", "l-abc123def0")
    assert code == 0 and out.startswith("id           L-ABC123DEF0\n")
    assert run("leads", "set-status", " l-Abc123def0", "claimed")[:2] == (0, "L-ABC123DEF0: new -> claimed\n")


def test_setting_the_status_a_lead_already_has_says_so_and_changes_nothing(run):
    db = open_db(run.db)
    add_lead(db, "L-ABC123DEF0", "2026-01-05T10:00:00Z")
    assert run("leads", "set-status", "L-ABC123DEF0", "contacted")[0] == 0
    before = LeadStore(db).get("L-ABC123DEF0")
    assert run("leads", "set-status", "l-abc123def0", "contacted") == (
        1, "", "error: L-ABC123DEF0 is already contacted\n")
    assert LeadStore(db).get("L-ABC123DEF0") == before  # no history entry, not even a new updated_at
    refused = run("leads", "set-status", "L-ABC123DEF0", "new")
    assert refused[0] == 1 and "it can move to: won, lost" in refused[2]


# 7. CSV booleans ------------------------------------------------------------------------------------------------

def test_csv_writes_booleans_as_true_and_false_and_json_keeps_them(run):
    db = open_db(run.db)
    hot = file_request(db)
    add_lead(db, "L-COLD", "2000-01-01T00:00:00Z")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(run("leads", "export", "--format", "csv")[1]))}
    assert (rows[hot["id"]]["qualified"], rows["L-COLD"]["qualified"]) == ("true", "false")
    lines = [json.loads(line) for line in run("leads", "export", "--format", "jsonl")[1].splitlines()]
    assert {line["id"]: line["qualified"] for line in lines} == {hot["id"]: True, "L-COLD": False}


# 8. tables -----------------------------------------------------------------------------------------------------

def test_listings_are_tables_with_whole_ids_and_text_shown_as_typed(run):
    db = open_db(run.db)
    company = "Very Long Company Name Incorporated [internal] Holdings"
    add_lead(db, "L-ABC123DEF0", "2026-01-05T10:00:00Z", company=company, role="both")
    lines = run("leads", "list")[1].splitlines()
    assert lines[0].startswith("┏") and all(c in lines[1] for c in ("id", "created (UTC)", "status", "company"))
    [row] = [line for line in lines if "L-ABC123DEF0" in line]  # piped: wide enough that nothing folds
    assert company in row and "2026-01-05 10:00:00" in row and "both" in row

    Outbox(db).enqueue("L-ABC123DEF0", "webhook", "lead", {})
    [row] = [line for line in run("outbox")[1].splitlines() if "L-ABC123DEF0" in line]
    assert [cell.strip() for cell in row.strip("│ ").split("│")][1:6] == ["pending", "webhook", "lead",
                                                                         "L-ABC123DEF0", "0"]
    Store(db).record_fallback("what about [bold]pricing[/bold] in Mars?", "telegram", "u7")
    [row] = [line for line in run("fallbacks")[1].splitlines() if "pricing" in line]
    assert "what about [bold]pricing[/bold] in Mars?" in row and "telegram" in row  # never read as markup
    Store(db).record_dead_letter("telegram", "update:77", "RuntimeError: boom")
    [row] = [line for line in run("dead-letters")[1].splitlines() if "update:77" in line]
    assert "RuntimeError: boom" in row and "telegram" in row


# 9. and 10. empty results said in words ----------------------------------------------------------------------

def test_a_search_without_hits_says_so(run):
    assert run("kb", "search", "zebra", "zookeeper") == (0, "No passages match “zebra zookeeper”.\n", "")


def test_forget_reports_what_it_deleted_and_nothing_when_there_was_nothing(run):
    db = open_db(run.db)
    assert run("forget", "U404") == (0, "Nothing stored for U404.\n", "")
    file_request(db, user="U1")
    engine = Engine(db)
    engine.handle(Message(user="U2", text="what does a pm do", channel="slack"))  # talks, files nothing
    Store(db).record_fallback("zzz", "slack", "U2")
    Store(db).record_fallback("qqq", "slack", "U2")
    conversations = db.scalar("select count(*) from conversations where \"user\" = 'U2'")
    assert conversations == 1
    code, out, _ = run("forget", "U2")
    assert code == 0 and out.startswith("Forgot U2: 1 conversation(s), 2 unanswered question(s), ")
    assert "lead" not in out and "hand-off" not in out  # only what was really there
    assert run("forget", "U2")[1] == "Nothing stored for U2.\n"  # already gone
    out = run("forget", "U1")[1]
    assert out.startswith("Forgot U1: 1 conversation(s), ") and out.endswith(", 1 lead(s) anonymized.\n")
    assert LeadStore(db).all()[0]["email"] is None


# 11. a webhook configured after leads were filed --------------------------------------------------------------

def test_deliver_without_a_webhook_says_which_variables_to_set(run):
    file_request(open_db(run.db))
    code, out, err = run("outbox", "deliver")
    assert (code, out) == (1, "")
    assert err.startswith("error: no webhook sink is configured: set ONCALL_LEAD_WEBHOOK_URL")
    assert "ONCALL_LEAD_WEBHOOK_SECRET" in err and open_db(run.db)["outbox"].count == 0


def test_a_lead_filed_before_the_webhook_was_configured_is_delivered_once(run, monkeypatch):
    db = open_db(run.db)
    lead = file_request(db)  # no sink configured: no outbox row
    assert db["outbox"].count == 0
    with WebhookReceiver(secret="k") as receiver:
        monkeypatch.setenv("ONCALL_LEAD_WEBHOOK_URL", receiver.url)
        monkeypatch.setenv("ONCALL_LEAD_WEBHOOK_SECRET", "k")
        assert run("outbox", "deliver") == (
            0, "Queued 1 lead(s) filed before the webhook was configured.\nsent 1, retried 0, dead 0\n", "")
        assert run("outbox", "deliver") == (0, "sent 0, retried 0, dead 0\n", "")
    [delivered] = receiver.processed  # signed, verified, exactly once
    assert json.loads(delivered.body)["id"] == lead["id"] and len(receiver.requests) == 1
    assert [(r["lead_id"], r["sink"], r["status"]) for r in db["outbox"].rows] == [(lead["id"], "webhook", "sent")]


def test_the_worker_offers_recent_leads_but_not_old_or_forgotten_ones(run):
    db = open_db(run.db)
    now = datetime.now(UTC)
    add_lead(db, "L-RECENT", iso(now - timedelta(days=29)))
    add_lead(db, "L-OLD", iso(now - timedelta(days=31)))  # its row may have been delivered and pruned
    add_lead(db, "L-GONE", iso(now), user="[forgotten]", name="[forgotten]")
    sent: list[dict] = []
    outbox = Outbox(db)
    assert outbox.deliver_due({"webhook": sent.append})["sent"] == 1  # the long-running servers' pass
    assert [p["id"] for p in sent] == ["L-RECENT"]
    assert outbox.offer_leads(["webhook"]) == 0 and outbox.deliver_due({"webhook": sent.append})["sent"] == 0
