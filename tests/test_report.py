"""The owner's report: every figure checked against a scripted set of conversations, on both backends.

The expected figures are computed here from the replies the engine gave while the script played (what
the person saw), not from the turn log the report reads, and the known totals are spelled out too.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from insights_script import DAY, SCRIPT, PlayedTurn, play

from bot.engine import Engine
from bot.insights.report import FUNNEL, build_report
from bot.sales.privacy import forget_user
from bot.types import Message

QUESTIONS = ("pm.", "ops.", "compare.", "oncall.", "advise", "explain", "kb.answer")


@pytest.fixture
def fresh_db(any_db):
    return any_db


def _today():
    return datetime.now(UTC).date()


def expected_funnel(played: list[PlayedTurn], since_at: float) -> dict[str, int]:
    turns = [t for t in played if t.at >= since_at]
    convs = {t.conversation for t in turns}
    answered = {t.conversation for t in turns if t.reply.intent.startswith(QUESTIONS)}
    recommended = {t.conversation for t in turns if t.reply.recommendation}
    started = set()
    for previous, turn in zip([None, *turns], turns, strict=False):
        same = previous is not None and previous.conversation == turn.conversation
        if turn.reply.expecting and not (same and previous.reply.expecting):
            started.add(turn.conversation)
    leads = [t.reply.lead for t in turns if t.reply.lead]
    return {"conversations": len(convs), "questions_answered": len(answered), "recommendations": len(recommended),
            "forms_started": len(started), "leads": len(leads), "qualified": sum(lead["qualified"] for lead in leads),
            "claimed": len(leads), "won": len(leads)}  # the script's sales claim and win every filed lead


def test_report_figures_match_the_scripted_conversations(fresh_db):
    played = play(fresh_db)
    today = _today()
    report = build_report(fresh_db, today - timedelta(days=6), today)
    assert report["funnel"] == expected_funnel(played, 0)
    assert report["funnel"] == {"conversations": 6, "questions_answered": 5, "recommendations": 1,
                                "forms_started": 4, "leads": 1, "qualified": report["funnel"]["qualified"],
                                "claimed": 1, "won": 1}
    # open forms: abandoned two days ago at "company"; cancelled today at "start"; opened a minute ago: not yet
    assert report["form_dropoff"] == {"company": 1, "start": 1}
    assert report["unanswered"][0] == {"text": "do you place data scientists?", "count": 3}
    assert [u["count"] for u in report["unanswered"]] == [3, 1, 1]
    by_channel = {c: expected_funnel([t for t in played if t.channel == c], 0) for c in ("slack", "telegram")}
    assert report["by_channel"] == by_channel
    assert report["by_campaign"] == {"linkedin": expected_funnel([t for t in played if t.campaign], 0)}
    assert sum(report["intents"].values()) == len(played)
    assert report["intents"]["lead.start"] == sum(t.reply.intent == "lead.start" for t in played)
    messages = {}
    for t in played:
        day = time.strftime("%Y-%m-%d", time.gmtime(t.at))
        messages[(day, t.channel)] = messages.get((day, t.channel), 0) + 1
    assert {(d["day"], d["channel"]): d["messages"] for d in report["daily"]} == messages
    [lead] = report["recent_leads"]
    assert (lead["status"], lead["channel"], lead["company"]) == ("won", "slack", "Acme")
    assert report["leads_by_status"] == {"won": 1} and sum(report["leads_by_tier"].values()) == 1
    assert report["handoffs"] == {"requested": 1, "answered": 1, "unanswered": 0, "open": 1,
                                  "median_first_reply_s": 30.0, "median_to_close_s": None}


def test_a_period_and_a_channel_narrow_every_figure(fresh_db):
    played = play(fresh_db)
    today = _today()
    start_of_today = datetime(today.year, today.month, today.day, tzinfo=UTC).timestamp()
    only_today = build_report(fresh_db, today, today)
    assert only_today["funnel"] == expected_funnel(played, start_of_today)
    assert only_today["form_dropoff"] == {"start": 1}  # the one abandoned two days ago is outside the period
    telegram = build_report(fresh_db, today - timedelta(days=6), today, channel="telegram")
    assert telegram["funnel"] == expected_funnel([t for t in played if t.channel == "telegram"], 0)
    assert set(telegram["by_channel"]) == {"telegram"}
    assert build_report(fresh_db, today + timedelta(days=1), today + timedelta(days=2))["funnel"] == dict.fromkeys(
        FUNNEL, 0)


def test_the_turn_log_holds_no_email_phone_or_name(fresh_db):
    play(fresh_db)
    texts = " ".join(row["text"] for row in fresh_db.query("select text from turns"))
    for personal in ("jane@acme.com", "Jane", "Doe", "415", "555 0100", "Dana", "Scully", "dana@fbi", "7946"):
        assert personal not in texts
    assert "[email]" in texts and "[phone]" in texts and "[name]" in texts
    keys = {row["conversation"] for row in fresh_db.query("select conversation from turns")}
    assert not keys & {f"{channel}:{name}" for name, (channel, *_) in SCRIPT.items()}  # pseudonyms only


def test_forget_removes_the_users_turns_and_a_rolled_back_turn_logs_nothing(fresh_db):
    play(fresh_db)
    before = fresh_db.scalar("select count(*) from turns")
    forget_user(fresh_db, "tg-open")
    assert fresh_db.scalar("select count(*) from turns") == before - len(SCRIPT["tg-open"][3])
    engine = Engine(fresh_db)
    engine.handle(Message(user="u", text="hi", channel="slack"), delivery_keys=("slack:event:E1",))
    assert engine.handle(Message(user="u", text="hi", channel="slack"), delivery_keys=("slack:event:E1",)) is None
    assert fresh_db.scalar("select count(*) from turns") == before - 3 + 1


def test_one_setting_switches_the_log_off(fresh_db, monkeypatch):
    monkeypatch.setenv("ONCALL_TURN_LOG", "off")
    Engine(fresh_db).handle(Message(user="u", text="what does a pm do"))
    assert fresh_db.scalar("select count(*) from turns") == 0


def test_report_command_prints_one_json_object_and_tables(cli, tmp_path):
    from bot.storage.database import open_db

    db_path = tmp_path / "cli.db"
    play(open_db(db_path))
    out = cli("report", "--json", "--since", "7d", db_path=db_path)
    report = json.loads(out.stdout)
    assert report["funnel"]["conversations"] == 6 and report["until"] == _today().isoformat()
    text = cli("report", db_path=db_path).stdout
    for heading in ("Funnel", "Messages by day and channel", "abandoned", "Unanswered", "Top intents", "linkedin"):
        assert heading in text
    assert "do you place data scientists?" in text


@pytest.mark.parametrize("args", [("--since", "2026-13-01"), ("--since", "last tuesday"), ("--until", "yesterda")])
def test_a_bad_date_is_a_clear_error_not_an_empty_report(cli, tmp_path, args):
    out = cli("report", *args, db_path=tmp_path / "x.db", check=False)
    assert out.returncode == 2 and "date" in out.stderr.lower() and not out.stdout


def test_a_period_that_ends_before_it_starts_is_refused(cli, tmp_path):
    out = cli("report", "--since", "today", "--until", "yesterday", db_path=tmp_path / "x.db", check=False)
    assert out.returncode == 2 and "before" in out.stderr


def test_day_boundaries_are_utc(fresh_db):
    midnight = datetime(2026, 3, 1, tzinfo=UTC).timestamp()
    engine = Engine(fresh_db, clock=lambda: midnight - 1)
    engine.handle(Message(user="late", text="what does a pm do"))
    report = build_report(fresh_db, datetime(2026, 3, 1).date(), datetime(2026, 3, 1).date(), now=midnight + DAY)
    assert report["funnel"]["conversations"] == 0
    assert build_report(fresh_db, datetime(2026, 2, 28).date(), datetime(2026, 2, 28).date())[
        "funnel"]["conversations"] == 1


def test_report_html_writes_the_dashboard_page_as_one_file(cli, tmp_path):
    from bot.storage.database import open_db

    db_path = tmp_path / "cli.db"
    play(open_db(db_path))
    page = tmp_path / "report.html"
    out = cli("report", "--html", str(page), "--json", db_path=db_path)
    figures = json.loads(out.stdout)["funnel"]
    html = page.read_text()
    assert "<script" not in html and not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing fetched
    for key, value in figures.items():
        assert f'data-figure="{key}"' in html and f">{value}<" in html
    missing = cli("report", "--html", str(tmp_path / "no" / "such" / "dir.html"), db_path=db_path, check=False)
    assert missing.returncode == 1 and "no directory" in missing.stderr and not (tmp_path / "no").exists()


def test_what_people_typed_is_shown_as_typed_in_the_tables(cli, tmp_path):
    """Unanswered questions are user text: "[/oops]" is rich markup syntax and must be printed, not parsed."""
    from bot.storage.database import open_db

    db_path = tmp_path / "cli.db"
    engine = Engine(open_db(db_path))
    for user in ("a", "b"):
        engine.handle(Message(user=user, text="zzq [/oops] blorf [bold]qux[/bold]?"))
    out = cli("report", db_path=db_path)
    assert "zzq [/oops] blorf [bold]qux[/bold]?" in out.stdout and "Traceback" not in out.stderr
