"""Leads, qualification, the outbox and the signed webhook, privacy."""

from __future__ import annotations

import json
import logging

import pytest

from bot.engine import Engine
from bot.sales.leads import LeadError
from bot.sales.outbox import BACKOFF_BASE_S
from bot.sales.qualify import Rules
from bot.sales.webhook import WebhookSink
from bot.types import Message

from conftest import replay_lines
from receivers import WebhookReceiver

REQUEST = ["I need a part-time PM for a product launch starting asap", "Acme Robotics", "Jane Doe",
           "jane@acmerobotics.com", "+1 415 555 0100", "skip", "skip", "yes"]



@pytest.fixture
def fresh_db(any_db):
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_db

def file_request(engine: Engine, user: str = "jane", lines: list[str] = REQUEST) -> dict:
    reply = None
    for text in lines:
        reply = engine.handle(Message(user=user, text=text, channel="telegram"))
    assert reply.lead, reply
    return reply.lead


@pytest.fixture
def webhook_engine(fresh_db):
    return Engine(fresh_db, notify={"lead": ("webhook",)})


def test_filing_queues_the_notification_in_the_same_transaction(webhook_engine):
    lead = file_request(webhook_engine)
    [row] = webhook_engine.outbox.rows(("pending",))
    assert (row["lead_id"], row["sink"], row["kind"]) == (lead["id"], "webhook", "lead")
    stored = webhook_engine.leads.get(lead["id"])
    assert stored["channel"] == "telegram" and stored["transcript"][-1] == "yes"
    assert stored["reasons"][0] == "+30 wants to start within a month"


def test_webhook_down_twice_then_exactly_one_signed_delivery(webhook_engine):
    lead = file_request(webhook_engine)
    outbox = webhook_engine.outbox
    with WebhookReceiver(fail_first=2, secret="s3cret") as receiver:
        sinks = {"webhook": WebhookSink(receiver.url, "s3cret", timeout=5)}
        now = 1_000_000_000.0 * 2
        assert outbox.deliver_due(sinks, now=now)["retried"] == 1
        assert outbox.deliver_due(sinks, now=now)["sent"] == 0  # backing off: nothing due yet
        now += BACKOFF_BASE_S
        assert outbox.deliver_due(sinks, now=now)["retried"] == 1
        now += BACKOFF_BASE_S * 2
        assert outbox.deliver_due(sinks, now=now)["sent"] == 1
        assert outbox.deliver_due(sinks, now=now + 10_000) == {"sent": 0, "retried": 0, "dead": 0}
    assert len(receiver.requests) == 3 and len(receiver.accepted) == 1
    [delivered] = receiver.processed  # its Standard Webhooks signature verified by the reference library
    assert "x-oncall-signature" not in delivered.headers
    assert delivered.headers["content-type"] == "application/json"
    payload = json.loads(delivered.body)
    assert payload["id"] == lead["id"] and payload["tier"] == "hot" and payload["email"] == "jane@acmerobotics.com"
    assert {r.headers["webhook-id"] for r in receiver.requests} == {f"msg_{lead['id']}_lead"}
    assert outbox.rows() == []


def test_outbox_command_shows_a_failed_delivery_and_deliver_sends_it(cli):
    import os

    with WebhookReceiver(fail_first=1, secret="k") as receiver:
        env = {"ONCALL_LEAD_WEBHOOK_URL": receiver.url, "ONCALL_LEAD_WEBHOOK_SECRET": "k"}
        os.environ.update(env)
        try:
            replay_lines(cli, [{"user": "w", "text": t} for t in REQUEST])
            assert "sent 0, retried 1" in cli("outbox", "deliver").stdout
            shown = cli("outbox").stdout
            [row] = [line for line in shown.splitlines() if "webhook" in line]  # a table: # status sink kind …
            cells = [cell.strip() for cell in row.strip("│ ").split("│")]
            assert cells[1:3] == ["pending", "webhook"] and cells[5] == "1" and "HTTP 503" in cells[7]
        finally:
            for key in env:
                os.environ.pop(key)
    assert len(receiver.requests) == 1


def test_missing_webhook_secret_is_a_clear_error(cli, monkeypatch):
    monkeypatch.setenv("ONCALL_LEAD_WEBHOOK_URL", "http://127.0.0.1:9/x")
    result = cli("outbox", "deliver", check=False)
    assert result.returncode != 0 and "ONCALL_LEAD_WEBHOOK_SECRET" in result.stderr


def test_hot_warm_and_cold_follow_the_rules_file(tmp_path):
    rules = Rules()
    hot = rules.score({"role": "both", "engagement": "full_time", "start": "this_month", "email_kind": "business"})
    assert (hot.tier, hot.qualified) == ("hot", True)
    warm = rules.score({"role": "both", "engagement": "full_time", "start": "this_quarter", "email_kind": "personal"})
    assert warm.tier == "warm"
    cold = rules.score({"role": "project_manager", "start": "later", "start_said": "maybe next year",
                        "details": "just exploring", "email_kind": "business"})
    assert (cold.tier, cold.qualified) == ("cold", False)
    custom = tmp_path / "rules.yaml"
    custom.write_text("tiers: {hot: 10, warm: 5}\nrules:\n  - {id: any, when: {has: email}, points: 10, reason: r}\n")
    assert Rules(custom).score({"email": "a@b.co"}).tier == "hot"


def test_status_moves_forward_and_bad_moves_are_refused(cli, webhook_engine):
    lead = file_request(webhook_engine)
    store = webhook_engine.leads
    assert store.set_status(lead["id"], "claimed", by="U123").lead["status"] == "claimed"
    assert store.set_status(lead["id"], "won").lead["history"][-1]["status"] == "won"
    with pytest.raises(LeadError, match="can move to: none"):
        store.set_status(lead["id"], "new")
    with pytest.raises(LeadError, match="no lead"):
        store.set_status("L-NOPE", "won")


def test_leads_commands(cli):
    replay_lines(cli, [{"user": "x", "text": t} for t in REQUEST])
    [line] = cli("leads", "export", "--format", "jsonl").stdout.splitlines()
    lead = json.loads(line)
    assert {"id", "tier", "qualified", "status", "created_at", "role", "email"} <= set(lead)
    assert lead["phone"] == "+14155550100"
    csv_out = cli("leads", "export", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("id,tier,qualified,score,status,created_at,role") and len(csv_out) == 2
    assert cli("leads", "export", "--format", "jsonl", "--since", "2999-01-01").stdout == ""
    assert lead["id"] in cli("leads", "list").stdout
    shown = cli("leads", "show", lead["id"]).stdout
    assert "why this tier:" in shown and "+30 wants to start within a month" in shown
    assert cli("leads", "set-status", lead["id"], "claimed").stdout.strip() == f"{lead['id']}: new -> claimed"
    assert cli("leads", "set-status", lead["id"], "lost").returncode == 0
    refused = cli("leads", "set-status", lead["id"], "won", check=False)
    assert refused.returncode == 1 and "is lost; it can move to: none (final)" in refused.stderr  # 2: usage only
    assert cli("leads", "show", "L-NOPE", check=False).returncode == 1
    assert "starts_soon" in cli("leads", "rules").stdout


def test_forget_deletes_conversation_and_anonymizes_leads(webhook_engine):
    lead = file_request(webhook_engine)
    webhook_engine.handle(Message(user="jane", text="what's the weather", channel="telegram"))
    reply = webhook_engine.handle(Message(user="jane", text="/forget", channel="telegram"))
    assert reply.intent == "forget"
    db = webhook_engine.db
    assert db["conversations"].count == 0 and db["fallbacks"].count == 0
    stored = webhook_engine.leads.get(lead["id"])
    assert stored["email"] is None and stored["phone"] is None and stored["name"] == "[forgotten]"
    assert stored["transcript"] == [] and stored["tier"] == "hot"
    payload = json.loads(db.scalar("select payload from outbox"))
    assert payload["email"] is None and payload["transcript"] == []


def test_forget_command(cli):
    replay_lines(cli, [{"user": "z", "text": t} for t in REQUEST])
    assert "1 lead(s) anonymized" in cli("forget", "z").stdout
    lead = json.loads(cli("leads", "export", "--format", "jsonl").stdout)
    assert lead["email"] is None


def test_emails_and_phones_never_reach_the_logs(webhook_engine, app_logs):
    stream = app_logs(ONCALL_LOG_LEVEL="DEBUG")  # the app's own set-up, on a handler of its own
    file_request(webhook_engine)
    logging.getLogger("bot").warning("contact jane@acmerobotics.com or +1 415 555 0100")
    with WebhookReceiver(fail_first=1, secret="k") as receiver:
        webhook_engine.outbox.deliver_due({"webhook": WebhookSink(receiver.url, "k")})
    text = stream.getvalue()
    assert "[email]" in text and "[phone]" in text
    assert "jane@acmerobotics.com" not in text and "555 0100" not in text


def test_cli_logs_stay_free_of_contact_details_at_debug_level(cli, monkeypatch):
    monkeypatch.setenv("ONCALL_LOG_LEVEL", "DEBUG")
    with WebhookReceiver(fail_first=1, secret="k") as receiver:
        monkeypatch.setenv("ONCALL_LEAD_WEBHOOK_URL", receiver.url)
        monkeypatch.setenv("ONCALL_LEAD_WEBHOOK_SECRET", "k")
        replay = cli("replay", input="".join(json.dumps({"user": "d", "text": t}) + "\n" for t in REQUEST))
        deliver = cli("outbox", "deliver")
    logs = replay.stderr + deliver.stderr
    assert "failed (attempt 1)" in logs and len(receiver.requests) == 1
    assert "jane@acmerobotics.com" not in logs and "555 0100" not in logs and "5550100" not in logs
