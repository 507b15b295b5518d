"""Tests that close known gaps: each one fails when the bug in its name is planted in the product code.

They were checked by planting each bug (in a scratch copy of the repository) and watching the test fail:
- the outbox's retry schedule (bot/sales/outbox.py, Outbox.failed): 5 s doubling, 3600 s cap, the sink's
  Retry-After, "dead" at exactly the 15th failed attempt;
- a negative qualification rule deciding the tier (bot/sales/qualify.py);
- incomplete e-mail addresses refused by the parser and re-asked by the form.
Expected numbers are written out rather than imported, so a changed constant is caught too.
"""

from __future__ import annotations

import time

import pytest

from bot.dialogue.fields import parse_email
from bot.engine import Engine
from bot.sales.outbox import DeliveryError, Outbox
from bot.sales.qualify import Rules
from bot.storage.database import open_db
from bot.types import Message

# -- the outbox's retry schedule ---------------------------------------------------------------------------


class Clock:
    """The `now` every outbox call is given: moved by the test only."""

    def __init__(self):
        self.now = time.time() + 1.0  # enqueue() stamps the row with the real time: start just after it


@pytest.fixture
def outbox(tmp_path) -> Outbox:
    box = Outbox(open_db(tmp_path / "t.db"))
    with box.db.conn:
        box.enqueue("L-TEST", "webhook", "lead", {"id": "L-TEST"})
    return box


def fail_once(outbox: Outbox, clock: Clock, error: Exception | None = None) -> tuple[str, float, dict]:
    """Claim the due delivery at `clock.now`, fail it; (what failed() returned, the delay it set, the row)."""
    [delivery] = outbox.claim(clock.now)
    result = outbox.failed(delivery, error or DeliveryError("sink down"), clock.now)
    [row] = outbox.rows(("pending", "dead", "sent"))
    return result, row["next_attempt_at"] - clock.now, row


def wait_for_retry(outbox: Outbox, clock: Clock, row: dict) -> None:
    assert outbox.claim(row["next_attempt_at"] - 0.5) == []  # not a moment early…
    clock.now = row["next_attempt_at"]  # …and due exactly then


def test_bug_backoff_does_not_double_from_5_seconds(outbox):
    clock = Clock()
    for attempt, expected in enumerate([5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560], start=1):
        result, delay, row = fail_once(outbox, clock)
        assert (result, row["status"], row["attempts"]) == ("retried", "pending", attempt)
        assert delay == pytest.approx(expected, abs=1e-6), f"attempt {attempt}"
        wait_for_retry(outbox, clock, row)


def test_bug_backoff_not_capped_at_3600_seconds(outbox):
    clock = Clock()
    delays = []
    for _ in range(14):
        _, delay, row = fail_once(outbox, clock)
        delays.append(round(delay, 6))
        wait_for_retry(outbox, clock, row)
    assert delays[9] == 2560  # 5 * 2**9: still below the cap
    assert delays[10:] == [3600] * 4  # 5 * 2**10 = 5120 and beyond: capped at an hour


def test_bug_sink_retry_after_ignored(outbox):
    clock = Clock()
    # First attempt: the backoff would say 5 s; the sink says 42.
    result, delay, row = fail_once(outbox, clock, DeliveryError("HTTP 429", retry_after=42))
    assert result == "retried" and delay == pytest.approx(42, abs=1e-6)
    wait_for_retry(outbox, clock, row)
    for _ in range(10):  # attempts 2..11 with plain backoff; the 11th already reaches the cap
        _, delay, row = fail_once(outbox, clock)
        wait_for_retry(outbox, clock, row)
    assert delay == pytest.approx(3600, abs=1e-6)
    # Attempt 12: the backoff would say 3600 s; a sink asking for 7 s wins even when it is shorter.
    result, delay, row = fail_once(outbox, clock, DeliveryError("HTTP 503", retry_after=7))
    assert (result, row["attempts"]) == ("retried", 12) and delay == pytest.approx(7, abs=1e-6)


def test_bug_row_dead_before_or_after_the_15th_failed_attempt(outbox):
    clock = Clock()
    for attempt in range(1, 15):
        result, _, row = fail_once(outbox, clock)
        assert (result, row["status"], row["attempts"]) == ("retried", "pending", attempt), f"attempt {attempt}"
        wait_for_retry(outbox, clock, row)
    result, _, row = fail_once(outbox, clock)
    assert (result, row["status"], row["attempts"]) == ("dead", "dead", 15)
    assert "sink down" in row["last_error"]
    assert outbox.claim(clock.now + 10 * 86400) == []  # a dead row is never sent again
    assert outbox.rows(("pending",)) == []


# -- a negative qualification rule decides the tier ----------------------------------------------------------

RULES = """
tiers:
  hot: 70
  warm: 40
rules:
  - id: role_known
    when: {role: [project_manager, operations_manager, both]}
    points: 25
    reason: knows which role they need
  - id: engagement_known
    when: {engagement: [part_time, full_time, project_based]}
    points: 25
    reason: knows the engagement model
"""
NEGATIVE_RULES = {
    "matches": ("""
  - id: just_exploring
    when: {matches: '\\b(just exploring|no rush)\\b'}
    points: -35
    reason: says they are only exploring
""", {"details": "no rush, we are just exploring"}, "-35 says they are only exploring"),
    "equals": ("""
  - id: starts_later
    when: {start: [later]}
    points: -35
    reason: no start date in the next quarter
""", {"start": "later"}, "-35 no start date in the next quarter"),
}
WARM_LEAD = {"role": "project_manager", "engagement": "full_time", "start": "asap", "details": "a product launch"}


@pytest.mark.parametrize("kind", sorted(NEGATIVE_RULES))
def test_bug_negative_rule_does_not_decide_the_tier(tmp_path, kind):
    negative, trigger, reason = NEGATIVE_RULES[kind]
    (tmp_path / "without.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "with.yaml").write_text(RULES + negative, encoding="utf-8")
    lead = WARM_LEAD | trigger
    without = Rules(tmp_path / "without.yaml").score(lead)
    assert (without.tier, without.score, without.qualified) == ("warm", 50, True)
    scored = Rules(tmp_path / "with.yaml").score(lead)
    assert (scored.tier, scored.score, scored.qualified) == ("cold", 15, False)
    assert reason in scored.reasons
    assert scored.reasons == ("+25 knows which role they need", "+25 knows the engagement model", reason)
    # The rule only counts when its condition holds: the same lead without the trigger stays warm.
    untriggered = Rules(tmp_path / "with.yaml").score(WARM_LEAD)
    assert untriggered.tier == "warm" and reason not in untriggered.reasons


# -- incomplete e-mail addresses -------------------------------------------------------------------------------

INCOMPLETE_EMAILS = ["jane@", "jane@acme", "@acme.com", "jane@@acme.com"]


@pytest.mark.parametrize("said", INCOMPLETE_EMAILS)
def test_bug_incomplete_email_accepted_by_the_parser(said):
    email, reason = parse_email(said)
    assert email is None and reason
    assert parse_email("jane@acme.com") == ("jane@acme.com", None)  # the parser is not refusing everything


@pytest.mark.parametrize("said", INCOMPLETE_EMAILS)
def test_bug_form_accepts_an_incomplete_email_instead_of_asking_again(tmp_path, said):
    engine = Engine(open_db(tmp_path / "e.db"))

    def say(text: str):
        return engine.handle(Message(user="u", text=text))

    assert say("i want to hire a pm full time asap").expecting == "company"
    assert say("Acme").expecting == "name"
    assert say("Jane Doe").expecting == "email"
    again = say(said)
    assert again.expecting == "email" and again.lead is None
    assert say("jane@acme.com").expecting == "phone"  # the real address is then taken
