"""A scripted week of conversations with known figures, for the report, the dashboard and its screenshot.

Played through the real engine with a clock: two conversations happened two days ago (one leaves a
talent request open at "company", so by now it is abandoned), the rest today — a filed and qualified lead
later claimed and won, a request cancelled at "start", a request opened minutes ago (not abandoned), near-
duplicate questions about data scientists, two channels and a campaign, and a live hand-off answered by sales
30 seconds after it was asked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.engine import Engine
from bot.sales.leads import LeadStore
from bot.storage.database import Database
from bot.types import Message, Reply

DAY = 86_400.0
ASK_PERSON = "can I talk to a person?"  # sales answer from the notice's thread 30 s later: a live hand-off

# conversation: (channel, campaign, days ago, what the person types)
SCRIPT: dict[str, tuple[str, str | None, int, list[str]]] = {
    "tg-abandoned": ("telegram", "linkedin", 2, [
        "what does a pm do", "I'd like to hire a project manager", "part time", "asap"]),
    "slack-off-topic": ("slack", None, 2, [
        "hi", "I'm Dana Scully, reach me at dana@fbi.example or 020 7946 0958",
        "what's the weather in paris", "do you place data scientists?", "Do you place a data scientist"]),
    "slack-filed": ("slack", None, 0, [
        "we are 12 people and our deadlines keep slipping, who do I need?", "ok do it", "full time",
        "this month", "Acme", "Jane Doe", "jane@acme.com", "+1 415 555 0100", "skip", "skip", "yes"]),
    "tg-cancelled": ("telegram", "linkedin", 0, [
        "do I need both a pm and an ops manager?", "I need an ops manager", "project based", "cancel"]),
    "tg-open": ("telegram", None, 0, [
        "do you place data scientists", "how much does it cost?", "hire an ops manager"]),
    "tg-person": ("telegram", None, 0, [
        "what does an ops manager do", ASK_PERSON, "we need someone by March"]),
}


@dataclass(frozen=True, slots=True)
class PlayedTurn:
    conversation: str
    channel: str
    campaign: str | None
    at: float
    text: str
    reply: Reply


def play(db: Database, now: float | None = None) -> list[PlayedTurn]:
    """Replay the script; the filed lead is then claimed and won by sales. Returns every turn played."""
    now = time.time() if now is None else now
    clock = {"at": now}
    engine = Engine(db, clock=lambda: clock["at"], notify={"handoff": ("slack",)})
    played = []
    for conversation, (channel, campaign, days_ago, texts) in SCRIPT.items():
        clock["at"] = now - days_ago * DAY - 3600
        for text in texts:
            clock["at"] += 60
            reply = engine.handle(Message(user=conversation, text=text, channel=channel, campaign=campaign),
                                  reply_to={"chat_id": 7})
            played.append(PlayedTurn(conversation, channel, campaign, clock["at"], text, reply))
            if text == ASK_PERSON:
                handoff = engine.relays.active(f"{channel}:{conversation}")
                engine.relays.notice_posted(handoff["id"], "CSALES", "1.000100")
                engine.relays.from_sales("CSALES", "1.000100", "U-SALES", "Dana", "Hi, Dana here!", False,
                                         (f"slack:event:{conversation}",), True, now=clock["at"] + 30)
    leads = LeadStore(db)
    for turn in played:
        if turn.reply.lead:
            leads.set_status(turn.reply.lead["id"], "claimed", by="U-SALES")
            leads.set_status(turn.reply.lead["id"], "won", by="U-SALES")
    return played
