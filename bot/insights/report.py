"""The owner's report: the figures behind `oncall-bot report`, `--json`, `--html` and /admin.

Every figure is one SQL query over the store (the turn log and the leads), the same on SQLite and
PostgreSQL; only the grouping of similar unanswered questions happens here, with rapidfuzz. Definitions
(docs/insights.md says them for people):

- conversations: conversations with at least one user message (a logged turn) in the period;
- questions_answered: of those, the ones where at least one question was answered (from an intent's
  facts or a knowledge passage);
- recommendations: the ones that got a PM / ops / both recommendation;
- forms_started: the ones where a talent request was started;
- leads, qualified, claimed, won: leads filed in the period, by status history (claimed: sales took it
  up, whatever happened next; won: its status is won);
- handoffs: live hand-offs asked for in the period: how many, answered by sales, unanswered in time,
  still open, and the median times to the first reply and to closing;
- form_dropoff: talent requests whose newest turn in the period leaves them cancelled, or open with no
  turn in the conversation for 24 hours, counted by the field that was being asked.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta

from rapidfuzz import fuzz, process

from bot.insights.handoffs import handoff_rows, handoff_summary
from bot.storage.database import Database

FUNNEL = ("conversations", "questions_answered", "recommendations", "forms_started", "leads", "qualified",
          "claimed", "won")
ABANDONED_AFTER_S = 24 * 3600
_WORD = re.compile(r"[\w\[\]']+")
SIMILAR = 82  # token_set_ratio at which two unanswered questions count as one
_CLAIMED = ("(status in ('claimed', 'contacted', 'won') or history like '%\"claimed\"%' "
            "or history like '%\"contacted\"%')")


class Scope:
    """Which turns and leads a figure counts: a period of UTC days, optionally one channel or campaign."""

    def __init__(self, since: date, until: date, channel: str | None = None, campaign: str | None = None):
        self.since, self.until = since.isoformat(), until.isoformat()
        after = (until + timedelta(days=1)).isoformat()
        self.turns, self.turn_args = ["day >= ?", "day <= ?"], [self.since, self.until]
        self.leads, self.lead_args = ["created_at >= ?", "created_at < ?"], [self.since, after]
        for column, value in (("channel", channel), ("campaign", campaign)):
            if value is not None:
                self.turns.append(f"{column} = ?")
                self.turn_args.append(value)
                self.leads.append(f"{column} = ?")
                self.lead_args.append(value)

    def turn_where(self, *more: str) -> str:
        return " where " + " and ".join([*self.turns, *more])

    def lead_where(self, *more: str) -> str:
        return " where " + " and ".join([*self.leads, *more])


def funnel(db: Database, scope: Scope) -> dict[str, int]:
    def conversations(*condition: str) -> int:
        sql = "select count(distinct conversation) from turns" + scope.turn_where(*condition)
        return int(db.scalar(sql, scope.turn_args) or 0)

    def leads(*condition: str) -> int:
        return int(db.scalar("select count(*) from leads" + scope.lead_where(*condition), scope.lead_args) or 0)

    return {"conversations": conversations(),
            "questions_answered": conversations("answered in ('intent', 'knowledge')"),
            "recommendations": conversations("recommendation is not null"),
            "forms_started": conversations("form_event = 'started'"),
            "leads": leads(), "qualified": leads("qualified = 1"), "claimed": leads(_CLAIMED),
            "won": leads("status = 'won'")}


def form_dropoff(db: Database, scope: Scope, now: float) -> dict[str, int]:
    where = scope.turn_where()
    sql = f"""
        with relevant as (
            select conversation, form_event, form_field,
                   row_number() over (partition by conversation order by at desc, id desc) as newest
            from turns {where} and (form_event is not null or form_field is not null)),
        seen as (select conversation, max(at) as last_at from turns {where} group by conversation)
        select relevant.form_field as field, count(*) as n
        from relevant join seen on seen.conversation = relevant.conversation
        where relevant.newest = 1 and relevant.form_field is not null
          and (relevant.form_event = 'cancelled' or seen.last_at < ?)
        group by relevant.form_field order by n desc, field"""
    rows = db.query(sql, [*scope.turn_args, *scope.turn_args, now - ABANDONED_AFTER_S])
    return {row["field"]: int(row["n"]) for row in rows}


def intents(db: Database, scope: Scope) -> dict[str, int]:
    rows = db.query("select intent, count(*) as n from turns" + scope.turn_where() +
                    " group by intent order by n desc, intent", scope.turn_args)
    return {row["intent"]: int(row["n"]) for row in rows}


def unanswered(db: Database, scope: Scope, limit: int = 20) -> list[dict]:
    """Questions the assistant could not answer, near-duplicates grouped (rapidfuzz); each group's example
    is its most frequent wording, the earliest one on a tie."""
    rows = db.query("select text from turns" + scope.turn_where("unanswered = 1") + " order by at, id",
                    scope.turn_args)
    wordings: dict[str, dict] = {}  # the same words, whatever the case and punctuation
    for row in rows:
        key = " ".join(_WORD.findall(row["text"].lower()))
        wordings.setdefault(key, {"text": row["text"], "count": 0})["count"] += 1
    groups: list[dict] = []
    keys: list[str] = []  # the groups' keys, for rapidfuzz to compare against in one call
    for key, wording in sorted(wordings.items(), key=lambda item: -item[1]["count"]):  # stable: ties by time
        found = process.extractOne(key, keys, scorer=fuzz.token_set_ratio, score_cutoff=SIMILAR)
        if found is not None:
            groups[found[2]]["count"] += wording["count"]
        else:
            groups.append({"key": key, "text": wording["text"], "count": wording["count"]})
            keys.append(key)
    ranked = sorted(groups, key=lambda g: -g["count"])
    return [{"text": g["text"], "count": g["count"]} for g in ranked[:limit]]


def daily(db: Database, scope: Scope) -> list[dict]:
    rows = db.query("select day, channel, count(*) as n from turns" + scope.turn_where() +
                    " group by day, channel order by day, channel", scope.turn_args)
    return [{"day": row["day"], "channel": row["channel"], "messages": int(row["n"])} for row in rows]


def _counts(db: Database, scope: Scope, column: str) -> dict[str, int]:
    rows = db.query(f"select {column} as k, count(*) as n from leads" + scope.lead_where() +
                    f" group by {column} order by n desc, k", scope.lead_args)
    return {str(row["k"]): int(row["n"]) for row in rows}


def recent_leads(db: Database, scope: Scope, limit: int = 20) -> list[dict]:
    rows = db.query("select id, created_at, role, engagement, company, tier, score, status, channel from leads" +
                    scope.lead_where() + " order by created_at desc, id desc limit ?", [*scope.lead_args, limit])
    return [dict(row) for row in rows]


def _values(db: Database, scope: Scope, column: str) -> list[str]:
    """The channels (or campaigns) seen in the period, in turns or in leads."""
    found = {row["v"] for row in db.query(f"select distinct {column} as v from turns" + scope.turn_where(),
                                          scope.turn_args)}
    found |= {row["v"] for row in db.query(f"select distinct {column} as v from leads" + scope.lead_where(),
                                           scope.lead_args)}
    return sorted(v for v in found if v)


DEFAULT_DAYS = 30  # `report` and /admin without a period: the last 30 UTC days, today included


def report_period(since: date | None, until: date | None, today: date) -> tuple[date, date]:
    """The period asked for, with the defaults filled in; ValueError when it ends before it starts."""
    until = until or today
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    if until < since:
        raise ValueError(f"the period ends ({until}) before it starts ({since})")
    return since, until


def build_report(db: Database, since: date, until: date, channel: str | None = None,
                 now: float | None = None) -> dict:
    """The whole report for UTC days since..until (inclusive), optionally for one channel."""
    if until < since:
        raise ValueError(f"the period ends ({until}) before it starts ({since})")
    now = time.time() if now is None else now
    scope = Scope(since, until, channel)
    return {"since": scope.since, "until": scope.until,
            "funnel": funnel(db, scope),
            "form_dropoff": form_dropoff(db, scope, now),
            "intents": intents(db, scope),
            "unanswered": unanswered(db, scope),
            "by_channel": {c: funnel(db, Scope(since, until, c)) for c in _values(db, scope, "channel")},
            "by_campaign": {c: funnel(db, Scope(since, until, channel, c)) for c in _values(db, scope, "campaign")},
            "daily": daily(db, scope),
            "leads_by_tier": _counts(db, scope, "tier"),
            "leads_by_status": _counts(db, scope, "status"),
            "recent_leads": recent_leads(db, scope),
            "handoffs": handoff_summary(handoff_rows(db, since_at=_midnight(since), channel=channel,
                                                     until_at=_midnight(until + timedelta(days=1))))}


def _midnight(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
