"""Conversation stories (docs/stories.md): whole conversations with what each reply must show.

Each story runs through the real engine as one new conversation on its own database: the turn
commits, files leads and erases data exactly as a chat would. A story passes when every turn's
checks hold and, at the end, the talent request it filed (if any) has the expected fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot import config
from bot.types import Message, Reply

DEFAULT_STORIES = config.eval_dir() / "stories"  # eval/stories in a checkout, packaged when installed
EXACT_FIELDS = frozenset({"role", "engagement", "start", "company_size", "email", "phone"})
TURN_KEYS = frozenset({"user", "button", "intent", "not_intent", "expecting", "recommendation", "contains",
                       "contains_any", "not_contains", "once", "starts_with_any", "max_words", "buttons", "lead",
                       "note"})
STORY_KEYS = frozenset({"id", "who", "channel", "about", "turns", "lead", "leads"})
_MARKDOWN = re.compile(r"[*_`>#•\-\s]+")


@dataclass(frozen=True, slots=True)
class Story:
    id: str
    who: str
    turns: tuple[dict, ...]
    channel: str = "stories"
    lead: dict | bool | None = None
    leads: int | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class Failure:
    story: Story
    turn: int  # 1-based; 0 for a story-level check
    said: str
    why: str
    reply: str = ""


@dataclass
class StoryReport:
    total: int = 0
    passed: int = 0
    turns: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


def load_stories(path: Path) -> tuple[list[Story], date | None]:
    """The stories of one file and the day its relative dates are read from; ValueError names what is wrong."""
    try:
        raw, _ = config.read_yaml(path, "a mapping with a `stories:` list")
    except config.ConfigError as error:  # the file and line, as for every other file people edit
        raise ValueError(error.message) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("stories"), list):
        raise ValueError(f"{path}: expected a mapping with a `stories:` list")
    today = raw.get("today")
    if today is not None and not isinstance(today, date):
        raise ValueError(f"{path}: `today` must be a date like 2026-11-27")
    stories, seen = [], set()
    for entry in raw["stories"]:
        if not isinstance(entry, dict) or "id" not in entry or not isinstance(entry.get("turns"), list):
            raise ValueError(f"{path}: every story needs an id and a list of turns: {entry!r:.120}")
        story_id = str(entry["id"])
        if story_id in seen:
            raise ValueError(f"{path}: story id {story_id!r} is used twice")
        seen.add(story_id)
        unknown = set(entry) - STORY_KEYS
        if unknown:
            raise ValueError(f"{path}: story {story_id}: unknown keys {sorted(unknown)}")
        for number, turn in enumerate(entry["turns"], start=1):
            if not isinstance(turn, dict) or ("user" in turn) == ("button" in turn):
                raise ValueError(f"{path}: story {story_id} turn {number}: needs exactly one of `user` or `button`")
            unknown = set(turn) - TURN_KEYS
            if unknown:
                raise ValueError(f"{path}: story {story_id} turn {number}: unknown keys {sorted(unknown)}")
        stories.append(Story(story_id, str(entry.get("who", "")), tuple(entry["turns"]),
                             str(entry.get("channel") or "stories"), entry.get("lead"), entry.get("leads"),
                             path.name))
    return stories, today


def _words(reply: Reply) -> int:
    return sum(len(text.split()) for text in reply.texts)


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def check_turn(turn: dict, reply: Reply) -> str | None:
    """Why the reply fails the turn's expectations, or None when it meets them all."""
    text = "\n".join(reply.texts)
    lowered = text.lower()
    if "intent" in turn and reply.intent not in _as_list(turn["intent"]):
        return f"intent {reply.intent}, expected {turn['intent']}"
    if "not_intent" in turn and reply.intent in _as_list(turn["not_intent"]):
        return f"intent {reply.intent}, which the story rules out"
    if "expecting" in turn and reply.expecting != turn["expecting"]:
        return f"expecting {reply.expecting}, expected {turn['expecting']}"
    if "recommendation" in turn and reply.recommendation != turn["recommendation"]:
        return f"recommendation {reply.recommendation}, expected {turn['recommendation']}"
    for needle in _as_list(turn.get("contains", [])):
        if str(needle).lower() not in lowered:
            return f"missing {needle!r}"
    if "contains_any" in turn and not any(str(n).lower() in lowered for n in turn["contains_any"]):
        return f"none of {turn['contains_any']}"
    for needle in _as_list(turn.get("not_contains", [])):
        if str(needle).lower() in lowered:
            return f"contains {needle!r}"
    for needle in _as_list(turn.get("once", [])):
        if lowered.count(str(needle).lower()) != 1:
            return f"{needle!r} appears {lowered.count(str(needle).lower())} times, not once"
    if "starts_with_any" in turn:
        opening = _MARKDOWN.sub(" ", reply.texts[0] if reply.texts else "").strip().lower()
        if not any(re.match(re.escape(str(w).lower()) + r"\b", opening) for w in turn["starts_with_any"]):
            return f"starts {opening[:30]!r}, expected one of {turn['starts_with_any']}"
    if "max_words" in turn and _words(reply) > int(turn["max_words"]):
        return f"{_words(reply)} words, limit {turn['max_words']}"
    offered = [f"{b.label}\n{b.value}".lower() for b in reply.buttons]
    for needle in _as_list(turn.get("buttons", [])):
        if not any(str(needle).lower() in b for b in offered):
            return f"no button with {needle!r}"
    if "lead" in turn:
        return check_lead(turn["lead"], reply.lead["fields"] if reply.lead else None)
    return None


def check_lead(expected: dict | bool | None, filed: dict | None) -> str | None:
    if expected is False:
        return f"filed a lead {filed}" if filed else None
    if not filed:
        return "no lead filed"
    for name, value in (expected or {}).items():
        got = filed.get(name)
        if name in EXACT_FIELDS:
            if str(got) != str(value):
                return f"lead {name} = {got!r}, expected {value!r}"
        elif got is None or str(value).lower() not in str(got).lower():
            return f"lead {name} = {got!r}, expected it to contain {value!r}"
    return None


def run_story(handle: Callable[[Message], Reply], story: Story, user: str) -> tuple[Failure | None, int]:
    """Play one story through `handle`; returns its first failure (or None) and the turns played."""
    filed: list[dict] = []
    for number, turn in enumerate(story.turns, start=1):
        said = str(turn.get("user", turn.get("button")))
        if "user" in turn:
            message = Message(user=user, text=str(turn["user"]), channel=story.channel)
        else:
            message = Message(user=user, button=str(turn["button"]), channel=story.channel)
        reply = handle(message)
        if reply.lead:
            filed.append(reply.lead["fields"])
        why = check_turn(turn, reply)
        if why:
            return Failure(story, number, said, why, "\n".join(reply.texts)), number
    if story.lead is not None:
        why = check_lead(story.lead, filed[-1] if filed else None)
        if why:
            return Failure(story, 0, "(end)", why), len(story.turns)
    if story.leads is not None and len(filed) != story.leads:
        return Failure(story, 0, "(end)", f"{len(filed)} leads filed, expected {story.leads}"), len(story.turns)
    return None, len(story.turns)


def evaluate_stories(make_handler: Callable[[date | None], Callable[[Message], Reply]],
                     files: list[Path]) -> StoryReport:
    """`make_handler(today)` gives a fresh turn handler (a new engine on its own store) per file."""
    report = StoryReport()
    for path in files:
        stories, today = load_stories(path)
        handle = make_handler(today)
        for number, story in enumerate(stories):
            failure, turns = run_story(handle, story, user=f"story-{path.stem}-{number}")
            report.total += 1
            report.turns += turns
            if failure:
                report.failures.append(failure)
            else:
                report.passed += 1
    return report


def format_story_report(report: StoryReport, show_replies: bool = False) -> str:
    lines = [f"stories: {report.total}, turns played: {report.turns}",
             f"pass rate: {report.rate:.1%} ({report.passed}/{report.total})"]
    if report.failures:
        lines += ["", "failing stories (first failing turn):"]
    for failure in report.failures:
        where = f"turn {failure.turn}" if failure.turn else "end"
        lines.append(f"  [{failure.story.source}:{failure.story.id}] {where} {failure.said[:70]!r}: {failure.why}")
        if show_replies and failure.reply:
            lines += [f"      | {line}" for line in failure.reply.splitlines()[:8]]
    return "\n".join(lines)
