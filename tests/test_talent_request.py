"""The talent-request form end to end: through `oncall-bot replay` with a new process per message."""

from __future__ import annotations

import json

import pytest

from bot.types import Message

from conftest import replay_lines


def say(cli, user: str, text: str | None = None, button: str | None = None) -> dict:
    line = {"user": user, **({"text": text} if text is not None else {"button": button})}
    [out] = replay_lines(cli, [line])  # a new process every time, same --db
    return out


def test_full_request_with_prefill_question_invalid_email_and_confirmation_files_one_hot_lead(cli):
    first = say(cli, "jane", "I need a part-time PM for a product launch starting asap")
    assert (first["intent"], first["expecting"]) == ("lead.start", "company")  # role, engagement, start pre-filled
    assert say(cli, "jane", "Acme Robotics")["expecting"] == "name"
    question = say(cli, "jane", "how much does it cost?")
    assert question["intent"] == "oncall.pricing" and question["expecting"] == "name"
    assert question["texts"][-1] == "And your name?"
    assert say(cli, "jane", "Jane Doe")["expecting"] == "email"
    invalid = say(cli, "jane", "jane at acme dot com")
    assert invalid["expecting"] == "email" and "jane@acme.com" in invalid["texts"][0]
    assert say(cli, "jane", "jane@acmerobotics.com")["expecting"] == "phone"
    assert say(cli, "jane", button="form:skip")["expecting"] == "company_size"
    details = say(cli, "jane", "skip")
    assert details["expecting"] == "details" and "product launch" in details["texts"][-1]  # what it noted
    summary = say(cli, "jane", "skip")
    assert summary["expecting"] == "confirm"
    assert "• Email: jane@acmerobotics.com" in summary["texts"][-1]
    filed = say(cli, "jane", "yes")
    lead = filed["lead"]
    assert filed["expecting"] is None and lead["tier"] == "hot" and lead["qualified"] is True
    assert lead["fields"] == {
        "role": "project_manager", "engagement": "part_time", "start": "asap", "start_said": "asap",
        "company": "Acme Robotics", "name": "Jane Doe", "email": "jane@acmerobotics.com",
        "details": "I need a part-time PM for a product launch starting asap"}
    again = say(cli, "jane", "yes")
    assert again["lead"] is None and lead["id"] in again["texts"][0]
    exported = [json.loads(line) for line in cli("leads", "export", "--format", "jsonl").stdout.splitlines()]
    assert [e["id"] for e in exported] == [lead["id"]]
    assert exported[0]["email"] == "jane@acmerobotics.com" and exported[0]["status"] == "new"


def test_cancel_files_nothing(cli):
    assert say(cli, "sam", "i want to hire an operations manager")["expecting"] == "engagement"
    assert say(cli, "sam", button="form:engagement:full_time")["expecting"] == "start"
    cancelled = say(cli, "sam", "never mind")
    assert cancelled["intent"] == "cancel" and cancelled["expecting"] is None
    assert say(cli, "sam", "yes")["lead"] is None
    assert cli("leads", "export", "--format", "jsonl").stdout == ""


def test_two_users_interleaved_never_mix_fields(cli):
    script = [
        ("ann", "we need a full-time ops manager next month"),
        ("bob", "get me a project manager for a 3 month project"),
        ("ann", "Northwind"), ("bob", "in two weeks"), ("ann", "Ann Lee"), ("bob", "Contoso"),
        ("ann", "ann@northwind.io"),
        ("bob", "Bob Stone"), ("ann", "skip"), ("bob", "bob@contoso.com"), ("ann", "skip"), ("bob", "skip"),
        ("ann", "skip"), ("bob", "skip"), ("ann", "yes"), ("bob", "skip"), ("bob", "yes"),
    ]
    out = replay_lines(cli, [{"user": u, "text": t} for u, t in script])
    leads = {o["user"]: o["lead"] for o in out if o["lead"]}
    assert leads["ann"]["fields"] | {} == {
        "role": "operations_manager", "engagement": "full_time", "start": "this_quarter", "start_said": "next month",
        "company": "Northwind", "name": "Ann Lee", "email": "ann@northwind.io"}
    assert leads["bob"]["fields"]["company"] == "Contoso" and leads["bob"]["fields"]["engagement"] == "project_based"
    assert leads["bob"]["fields"]["start"] == "asap" and leads["bob"]["fields"]["name"] == "Bob Stone"


def test_advice_prefills_the_role_and_buttons_drive_enumerated_fields(cli):
    advice = say(cli, "cy", "our warehouse is chaos and shipping errors happen every day")
    assert advice["recommendation"] == "operations_manager"
    form = say(cli, "cy", button="intent:lead.start")
    assert form["expecting"] == "engagement"
    assert {b["value"] for b in form["buttons"]} == {
        "form:engagement:part_time", "form:engagement:full_time", "form:engagement:project_based"}


def test_cold_lead_for_someone_just_exploring(cli):
    lines = ["i'd like to request a project manager", "part time", "maybe next year, just exploring", "Initech",
             "Pat", "pat@gmail.com", "skip", "skip", "skip", "yes"]
    out = replay_lines(cli, [{"user": "pat", "text": t} for t in lines])
    lead = out[-1]["lead"]
    assert lead["tier"] == "cold" and lead["qualified"] is False


def test_editing_a_field_at_confirmation_returns_to_the_summary(cli):
    lines = ["hire a full time pm asap", "Globex", "Hank", "hank@globex.com", "skip", "skip", "skip",
             "change email", "hank.s@globex.com"]
    out = replay_lines(cli, [{"user": "hank", "text": t} for t in lines])
    assert out[-2]["expecting"] == "email"
    assert out[-1]["expecting"] == "confirm" and "hank.s@globex.com" in out[-1]["texts"][-1]


@pytest.mark.parametrize(("answer", "expecting_after"), [("+44 20 7946 0958", "company_size"), ("555", "phone")])
def test_phone_is_validated_when_given(cli, answer, expecting_after):
    lines = ["hire a full time pm asap", "Globex", "Hank", "hank@globex.com", answer]
    assert replay_lines(cli, [{"user": "h", "text": t} for t in lines])[-1]["expecting"] == expecting_after


def test_the_situation_behind_a_recommendation_becomes_the_requests_details(cli):
    lines = ["our warehouse is chaos and shipping errors happen every day", "I'd like to request talent"]
    out = replay_lines(cli, [{"user": "w", "text": t} for t in lines])
    assert out[1]["expecting"] == "engagement"
    answers = ("full time", "asap", "Wayne Logistics", "Bruce", "bruce@wayne.co", "skip", "skip", "skip", "yes")
    rest = replay_lines(cli, [{"user": "w", "text": t} for t in answers])
    assert rest[-1]["lead"]["fields"]["details"].startswith("our warehouse is chaos")
    assert rest[-1]["lead"]["fields"]["role"] == "operations_manager"


@pytest.mark.parametrize(("said", "band"), [("team of 8", "1-10"), ("we're a team of 8 people", "1-10"),
                                            ("headcount 30", "11-50"), ("headcount of 300", "201-1000"),
                                            ("about 1,200 people", "1000+"), ("1.5k staff", "1000+")])
def test_every_way_of_giving_a_head_count_is_read(said, band):
    from bot.dialogue.fields import parse_company_size

    assert parse_company_size(said, answering=False) == band


def test_a_team_size_said_in_passing_does_not_break_the_turn(engine):
    """"a team of 8" used to raise in the head-count reader and lose the turn."""
    reply = engine.handle(Message(user="small", text="we are a team of 8 and need a pm part time asap"))
    assert reply.intent == "lead.start" and reply.expecting == "company"
