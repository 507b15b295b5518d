"""Hostile and odd input: a sensible short reply, never a crash, nothing stored that breaks later turns."""

from __future__ import annotations

import pytest

from bot.types import Message

BAD = [
    "", "   \n\t ", "\x00\x01\x02\x1b[31m", "a" * 100_000, "what does a pm do " * 6_000, "🤖🔥💼🚀" * 50,
    "מה עושה מנהל פרויקטים?", "ما هو مدير العمليات", "<!channel> <@U123> *bold* _it_ <https://evil|click>",
    "'; DROP TABLE conversations; --", "{{7*7}} ${jndi:ldap://x} {0.__class__} %s %n", "\u202eevil\u202c",
    "null", "[]", "{}", "\uffff\ufffe",
]


@pytest.mark.parametrize("text", BAD, ids=range(len(BAD)))
def test_bad_input_gets_a_short_reply_and_the_next_turn_still_works(engine, text):
    reply = engine.handle(Message(user="mallory", text=text))
    assert reply.texts and all(0 < len(t) <= 2_000 for t in reply.texts)
    if len(text) > 1_000:
        assert all(text[:200] not in t for t in reply.texts)  # never echo a huge paste
    follow_up = engine.handle(Message(user="mallory", text="what does an ops manager do"))
    assert follow_up.intent == "ops.role"
    assert engine.store.db["conversations"].count == 1


def test_huge_input_is_stored_truncated(engine):
    engine.handle(Message(user="m", text="zzz " * 50_000))
    [row] = engine.store.fallbacks()
    assert len(row["text"]) <= 2_000


def test_sql_looking_text_is_just_text(engine):
    engine.handle(Message(user="m", text="'); DELETE FROM fallbacks; --"))
    assert engine.store.db["fallbacks"].count == 1
    assert engine.store.db["kb_passages"].count > 50


def test_unknown_button_value_is_treated_as_text(engine):
    reply = engine.handle(Message(user="m", button="intent:does.not.exist"))
    assert reply.intent == "fallback"
    assert engine.handle(Message(user="m", button="intent:help")).intent == "help"


def test_a_huge_paste_with_an_at_sign_in_the_middle_of_a_form_is_read_once(engine):
    """An address-shaped search used to restart at every character: 100,000 characters and an "@" held a turn
    for 25 seconds. Now the paste is refused as an email and the form asks again."""
    for text in ("I need a PM full time asap", "Acme", "Jane Doe"):
        engine.handle(Message(user="paste", text=text))
    reply = engine.handle(Message(user="paste", text="a" * 100_000 + "@"))
    assert reply.expecting == "email" and all(len(t) <= 2_000 for t in reply.texts)
