"""How the engine understands users: abbreviations, typos, context, scope, advice, clarification."""

from __future__ import annotations

import re

import pytest

from bot.types import Match, Reply


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("whats the diff btw a pm and an ops mgr", "compare.differences"),
        ("projct manger skils", "pm.skills"),
        ("when shud i hire an operatons mngr", "ops.when_to_hire"),
        ("WHAT DOES AN OPS MANAGER DO", "ops.role"),
        ("so basically we are a small team and i keep reading about this and honestly i am not sure "
         "what a project manager even does all day, can you explain", "pm.role"),
        ("do we really need a pm and an om at the same time", "compare.need_both"),
        ("how much does it cost", "oncall.pricing"),
        ("tell me about zowa", "oncall.case_study"),
        ("can i speak to a real person", "human"),
    ],
)
def test_normalizes_abbreviations_typos_and_rambling(talk, text, intent):
    reply = talk().say(text)
    assert reply.intent == intent
    assert 0.0 <= reply.confidence <= 1.0


def test_follow_ups_take_role_and_topic_from_the_conversation(talk):
    chat = talk()
    assert chat.say("what skills does a PM need?").intent == "pm.skills"
    assert chat.say("and for an ops manager?").intent == "ops.skills"
    assert chat.say("when should I hire one?").intent == "ops.when_to_hire"
    assert chat.say("what about the other one").intent == "pm.when_to_hire"


@pytest.mark.parametrize(
    "text",
    ["what does a product manager do", "skills for a scrum master", "should i hire a data scientist",
     "how do i become a marketing manager", "best linux operating system for servers",
     "jira vs asana which one is better", "meet at 3pm tomorrow?", "is black ops 6 worth buying",
     "i'm a pm looking for a job, are you hiring", "asdkjh qwe zzz"],
)
def test_out_of_scope_is_rejected_confidently_and_says_what_is_covered(talk, text):
    reply = talk().say(text)
    assert reply.intent == "fallback" and reply.confidence >= 0.5
    assert "Project Manager" in reply.texts[0] and "Operations Manager" in reply.texts[0]


def test_out_of_scope_follow_up_stays_out_of_scope(talk):
    chat = talk()
    assert chat.say("what does a scrum master do").intent == "fallback"
    assert chat.say("and what skills do they need").intent == "fallback"


@pytest.mark.parametrize(
    ("text", "recommendation", "signal"),
    [
        ("we keep slipping deadlines on our app launch", "project_manager", "launching a new product"),
        ("our supply chain is a mess", "operations_manager", "supply chains"),
        ("we're scaling fast and also launching a product", "both", "scaling rapidly"),
        ("should I hire a PM or an ops manager for our move into the german market", "project_manager",
         "new markets"),
    ],
)
def test_advice_recommends_a_role_and_cites_the_matched_signals(talk, text, recommendation, signal):
    reply = talk().say(text)
    assert (reply.intent, reply.recommendation) == ("advise", recommendation)
    assert signal in reply.texts[0]
    assert reply.sources and reply.buttons


def test_advice_without_a_situation_asks_for_one(talk):
    reply = talk().say("should i hire a pm or an ops manager?")
    assert reply.intent == "advise" and reply.recommendation is None
    assert "situation" in reply.texts[0]


def test_pricing_is_honest_and_offers_a_talent_request(talk):
    reply = talk().say("what are your rates per hour")
    assert reply.intent == "oncall.pricing"
    text = " ".join(reply.texts)
    assert not re.search(r"[$€£]\s?\d|\d+\s?(usd|eur|/h|per hour)", text, re.I)
    assert "intent:lead.start" in [b.value for b in reply.buttons]


def test_answers_are_grounded_in_named_sections(talk):
    reply = talk().say("what does a project manager do")
    assert [(s.document, s.section) for s in reply.sources] == [
        ("project-manager", "What a project manager does"), ("project-manager", "Project manager responsibilities")]
    assert reply.texts[0].startswith("**What a project manager does**")


def test_too_close_to_call_asks_with_buttons(talk):
    reply = talk().say("when should i hire one?")
    assert reply.intent == "clarify"
    assert {b.value for b in reply.buttons} == {"intent:pm.when_to_hire", "intent:ops.when_to_hire"}
    follow = talk().press("intent:ops.when_to_hire")
    assert follow.intent == "ops.when_to_hire" and follow.confidence == 1.0


def test_ranking_is_typed_and_sorted(shared_engine):
    _, ranking = shared_engine.understand("pm vs ops manager")
    assert all(isinstance(m, Match) for m in ranking)
    assert [m.confidence for m in ranking] == sorted((m.confidence for m in ranking), reverse=True)
    assert ranking[0].intent == "compare.differences" and ranking[0].evidence


def test_strong_passage_is_answered_from_the_knowledge_base_and_weak_hits_fall_back(talk):
    strong = talk().say("fabrics sourced production lines clothing brand stores")
    assert strong.intent == "kb.answer"
    assert strong.sources[0].section == "Examples of operations work"
    weak = talk().say("purple elephants dancing production")
    assert weak.intent == "fallback"


def test_fallbacks_are_recorded_with_text_time_and_channel(engine):
    from bot.types import Message

    engine.handle(Message(user="u1", text="what's the weather in paris", channel="telegram"))
    engine.handle(Message(user="u1", text="what does a pm do", channel="telegram"))
    [row] = engine.store.fallbacks()
    assert (row["text"], row["channel"], row["user"]) == ("what's the weather in paris", "telegram", "u1")
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["created_at"])


def test_replies_are_plain_values(talk):
    reply = talk().say("hi")
    assert isinstance(reply, Reply) and reply.intent == "smalltalk.greet"
    with pytest.raises(AttributeError):
        reply.intent = "other"  # frozen
