"""Conversation-wide rules and the effects a conversation has: reply length and repetition across every
story, hand-offs that carry the question, identity questions that don't file one, erasure in plain words,
and the readers behind the form (dates, several fields at once, corrections)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from bot.dialogue.dates import parse_start
from bot.dialogue.extract import find_company, find_name, why_not_company, why_not_name
from bot.dialogue.fields import SKIP, parse_engagement, parse_role
from bot.engine import Engine
from bot.evaluation.stories import load_stories
from bot.storage.database import open_db
from bot.types import Message

from conftest import ROOT

STORY_FILES = sorted((ROOT / "eval" / "stories").glob("*.yaml")) + [ROOT / "eval" / "blind-stories" / "unseen.yaml"]
CEILING = 180


def story_replies(path: Path):
    """(story id, what the user said, reply) for every turn of every story in `path`."""
    stories, today = load_stories(path)
    engine = Engine(open_db(":memory:"), today=(lambda: today) if today else date.today)
    for number, story in enumerate(stories):
        for turn in story.turns:
            said = turn.get("user", turn.get("button"))
            message = Message(user=f"u{number}", text=turn["user"]) if "user" in turn else Message(
                user=f"u{number}", button=turn["button"])
            yield story.id, str(said), engine.handle(message)


@pytest.fixture(scope="module")
def all_replies():
    return [row for path in STORY_FILES for row in story_replies(path)]


def test_no_reply_runs_past_the_ceiling_unless_more_was_asked_for(all_replies):
    asked_more = re.compile(r"\bmore\b|full|whole|detail")
    long = [(sid, said, sum(len(t.split()) for t in reply.texts)) for sid, said, reply in all_replies
            if sum(len(t.split()) for t in reply.texts) > CEILING and not asked_more.search(said.lower())]
    assert not long, long[:5]


def test_the_same_text_is_never_sent_twice_in_a_row(all_replies):
    repeats, previous = [], {}
    for sid, said, reply in all_replies:
        text = "\n".join(reply.texts)
        if previous.get(sid) == text:
            repeats.append((sid, said, text[:60]))
        previous[sid] = text
    assert not repeats, repeats[:5]


def test_no_sentence_is_said_twice_in_one_reply(all_replies):
    doubled = []
    for sid, said, reply in all_replies:
        sentences = [s.strip().lower() for s in re.split(r"(?<=[.!?])\s+|\n", "\n".join(reply.texts))
                     if len(s.split()) >= 4]
        if len(sentences) != len(set(sentences)):
            doubled.append((sid, said))
    assert not doubled, doubled[:5]


@pytest.fixture
def sales_engine(fresh_db):
    return Engine(fresh_db, notify={"lead": ("slack",), "handoff": ("slack",)})


def test_a_question_passed_to_the_team_reaches_them_with_the_question(sales_engine):
    unknown = sales_engine.handle(Message(user="p", text="do you offer a free trial?"))
    assert unknown.intent == "unknown" and "free trials" in unknown.texts[0]
    assert sales_engine.outbox.rows(("pending",)) == []  # nothing is sent until they say yes
    accepted = sales_engine.handle(Message(user="p", text="yes please"))
    assert accepted.intent == "human"
    [row] = sales_engine.outbox.rows(("pending",))
    assert row["kind"] == "handoff"
    payload = sales_engine.db.scalar("select payload from outbox")
    assert "do you offer a free trial?" in payload


def test_asking_whether_it_is_a_person_files_no_hand_off(sales_engine):
    reply = sales_engine.handle(Message(user="s", text="am I talking to a real person?"))
    assert reply.intent == "assistant.identity" and reply.texts[0].startswith("No.")
    assert "automated" in reply.texts[0]
    assert sales_engine.outbox.rows(("pending",)) == []


def test_delete_my_data_in_plain_words_asks_then_erases_like_forget(engine):
    engine.handle(Message(user="d", text="we keep missing launch deadlines"))
    confirm = engine.handle(Message(user="d", text="please delete my data"))
    assert confirm.intent == "forget.confirm" and engine.store.load("console:d") is not None
    done = engine.handle(Message(user="d", text="yes"))
    assert done.intent == "forget" and engine.store.load("console:d") is None
    assert engine.store.fallbacks() == []


def test_no_to_the_erasure_keeps_everything(engine):
    engine.handle(Message(user="k", text="what does a pm do"))
    engine.handle(Message(user="k", text="forget about me"))
    kept = engine.handle(Message(user="k", text="no"))
    assert kept.intent == "decline" and engine.store.load("console:k") is not None


TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(("said", "bucket"), [
    ("as soon as possible", "asap"), ("next week", "asap"), ("in two weeks", "asap"), ("this month", "this_month"),
    ("mid december", "this_quarter"), ("next month", "this_quarter"), ("in december", "this_quarter"),
    ("q1", "later"), ("after the holidays", "later"), ("in march", "later"), ("next year", "later"),
    ("later this year", "this_quarter"), ("not sure yet", "later"),
])
def test_start_dates_are_read_against_today_in_calendar_buckets(said, bucket):
    assert parse_start(said, said, TODAY).bucket == bucket


def test_the_users_own_words_for_the_start_are_kept_as_typed():
    assert parse_start("as soon as possible", "ASAP!", TODAY).said == "ASAP"
    assert parse_start("change the start to next month", "change the start to next month", TODAY).said == (
        "next month")
    assert parse_start("we may need someone", "we may need someone", TODAY) is None  # "may" is not May


def test_a_signature_gives_a_name_and_a_company():
    signature = "Mit freundlichen Grüßen\nJonas Keller\nGeschäftsführer\nKeller Maschinenbau GmbH\nj@keller.de"
    assert (find_name(signature), find_company(signature)) == ("Jonas Keller", "Keller Maschinenbau GmbH")
    intro = "I'm Tom Baker from Lumen Health, 120 staff"
    assert (find_name(intro), find_company(intro)) == ("Tom Baker", "Lumen Health")
    assert find_company("i want to hire a pm, part time, from next week") is None  # a time, not a company


@pytest.mark.parametrize("text", ["yes", "when will I hear back?", "can you send me 3 candidate profiles first",
                                  "its for my boss", "/cancel"])
def test_questions_answers_and_requests_are_no_company_and_no_name(text):
    assert why_not_company(text) is not None and why_not_name(text) is not None


def test_real_names_and_companies_pass():
    assert why_not_name("Will Turner") is None and why_not_company("Orbital Kitchens") is None


def test_negations_pick_the_role_and_engagement_meant():
    assert parse_role(("operations_manager", "project_manager"), "i need an operations manager not a project manager"
                      ) == "operations_manager"
    assert parse_engagement("make it fulltime not parttime") == "full_time"
    assert parse_engagement("parttime we cant afford fulltime") == "part_time"


@pytest.mark.parametrize("text", ["skip", "no phone pls", "i would rather not share a phone number", "rather not say"])
def test_declining_an_optional_field_in_words_skips_it(text):
    assert SKIP.match(text)
