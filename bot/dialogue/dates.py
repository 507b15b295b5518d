"""When a talent request should start, read the way people say it, relative to today.

"asap", "next week", "in 3 weeks", "in March", "Q1", "after the holidays", "next summer": each becomes a
target day, then a bucket — `asap` (within two weeks), `this_month` (later this calendar month),
`this_quarter` (later this calendar quarter) or `later` — and the user's own words are kept as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

ASAP_DAYS = 14
_MONTHS = {name: number for number, name in enumerate(
    "january february march april may june july august september october november december".split(), start=1)}
_MONTHS |= {name[:3]: number for name, number in list(_MONTHS.items())} | {"sept": 9}
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "couple": 2,
                 "few": 3, "several": 4}
# Words that name a bucket outright; everything else becomes a day first.
_KEYWORDS = (
    ("asap", r"\b(as soon as possible|asap|immediately|right away|right now|urgent\w*|(?<!for )now|today|tomorrow|"
             r"tmrw|tmr|this week|next week|in a few days|straight away|yesterday|monday|tuesday|wednesday|thursday|"
             r"friday|within (a|one) week|in (a|one) week|this weekend|next few days)\b"),
    ("later", r"\b(next year|no rush|just exploring|exploring|someday|some day|eventually|not sure|dont know|"
              r"do not know|maybe later|later|not yet|no timeline|tbd|unknown|no idea|not decided|undecided|"
              r"whenever|in the future|down the line|down the road)\b"),
    ("this_month", r"\b(this month|end of (the |this )?month|by the end of the month)\b"),
    ("this_quarter", r"\b(this quarter|end of (the |this )?quarter)\b"),
)
# Phrases that name a day: (pattern, days from today, or a function of today).
_SPANS = (
    (r"\b(within (a|one) month|in a month)\b", 30),
    (r"\b(in (the )?(coming|next few) weeks)\b", 21),
    (r"\b(within (two|three|2|3) months|in (two|three|2|3) months|(in )?(a )?couple of months|(in )?(a )?few months|"
     r"in the coming months)\b", 75),
)
_RELATIVE = re.compile(r"\b(in|within) (\d+|a|an|one|two|three|four|five|six|couple|few|several)( of)? "
                       r"(days?|weeks?|months?)\b")
_NEXT = re.compile(r"\bnext (month|quarter)\b")
_QUARTER = re.compile(r"\b(q([1-4])|(first|second|third|fourth|1st|2nd|3rd|4th) quarter)\b")
_QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_HOLIDAYS = re.compile(r"\b(after (the )?(holidays|holiday season|christmas|xmas|new year\w*)|"
                       r"(in |early in |start of )?(the )?new year|(beginning|start) of (next )?(the )?year|"
                       r"end of (the )?year|year end|"
                       r"before (christmas|the holidays))\b")
_SEASONS = {"spring": (3, 20), "summer": (6, 21), "autumn": (9, 22), "fall": (9, 22), "winter": (12, 21)}
_SEASON = re.compile(r"\b(after|before|in|next|this|by|early|late)?\s?(the )?(spring|summer|autumn|fall|winter)\b")
# "may" is a month only where a date is expected ("in may", "by may"), never in "we may need…".
_MONTH = re.compile(r"\b(early |mid |late |end of |beginning of |start of )?("
                    + "|".join(m for m in _MONTHS if m != "may") + r"|(?<=in |by )may|(?<=early |until )may)\b")


@dataclass(frozen=True, slots=True)
class Start:
    bucket: str  # asap | this_month | this_quarter | later
    said: str  # the user's own words for it


def bucket(target: date, today: date) -> str:
    """The bucket of a start day: within two weeks, else by calendar month and quarter."""
    if (target - today).days <= ASAP_DAYS:
        return "asap"
    if (target.year, target.month) == (today.year, today.month):
        return "this_month"
    if (target.year, (target.month - 1) // 3) == (today.year, (today.month - 1) // 3):
        return "this_quarter"
    return "later"


def parse_start(normalized: str, raw: str, today: date) -> Start | None:
    """`normalized`: lowercase words with abbreviations expanded; `raw`: as typed (kept as `said`)."""
    lowered = " ".join(re.findall(r"[\w']+", raw.lower()))
    found = _target(normalized, lowered, today)
    if found is None:
        return None
    kind, words = found
    return Start(kind, _as_typed(raw, words)[:80])


_COMMAND = re.compile(r"^\W*(actually |wait |ok |so |please )*((change|make|set|switch|update|move)"
                      r"( it| that| the start"
                      r"( date)?| start( date)?| the date)?( to)?\s+|(start|starting|from)\s+)", re.IGNORECASE)


def _as_typed(raw: str, words: str) -> str:
    """The user's own words for the start: a short answer as typed, else the words that said it."""
    short = _COMMAND.sub("", raw.strip()).strip(" .!")
    if len(short.split()) <= 6:
        return short
    found = re.search(re.escape(words), raw, re.IGNORECASE)
    if found:
        return found.group(0)
    return "asap" if words == "as soon as possible" and re.search(r"\basap\b", raw, re.I) else words


def _target(normalized: str, lowered: str, today: date) -> tuple[str, str] | None:
    quarter = _QUARTER.search(lowered)
    if quarter and (int(quarter.group(2)) if quarter.group(2) else _QUARTER_WORDS[quarter.group(3)]) == (
            (today.month - 1) // 3 + 1):
        return "this_quarter", quarter.group(0)
    try:
        found = _target_day(normalized, lowered, today)
    except OverflowError:  # "in 3000000 days": past any calendar, so certainly not soon
        distant = re.search(r"\bin \d+ \w+", lowered)
        return "later", distant.group(0) if distant else lowered
    if found is None:
        for kind, pattern in _KEYWORDS:
            match = re.search(pattern, normalized)
            if match:
                return kind, match.group(0)
        return None
    day, words = found
    return bucket(day, today), words


def _target_day(normalized: str, lowered: str, today: date) -> tuple[date, str] | None:
    """The day the words name ("Q1" → 1 January), or None when they name a bucket outright or nothing."""
    quarter = _QUARTER.search(lowered)
    if quarter:
        number = int(quarter.group(2)) if quarter.group(2) else _QUARTER_WORDS[quarter.group(3)]
        current = (today.month - 1) // 3 + 1
        if number == current:  # the quarter we are in: no day to compute
            return None
        year = today.year if number > current else today.year + 1
        return date(year, 3 * number - 2, 1), quarter.group(0)
    this_year = re.search(r"\b((later|sometime|some time|end of|before the end of) this year|this year)\b", normalized)
    if this_year:  # somewhere between now and December
        return today + (date(today.year, 12, 31) - today) // 2, this_year.group(0)
    holidays = _HOLIDAYS.search(normalized)
    if holidays:
        words = holidays.group(0)
        if "before" in words or "end of" in words or "year end" in words:
            return max(today, date(today.year, 12, 20)), words
        return date(today.year + 1, 1, 5), words
    for pattern, days in _SPANS:
        match = re.search(pattern, normalized)
        if match:
            return today + timedelta(days=days), match.group(0)
    following = _NEXT.search(normalized)
    if following:
        if following.group(1) == "month":  # some time next month: its middle
            first = date(today.year + today.month // 12, today.month % 12 + 1, 1)
            return max(first, today) + timedelta(days=14), following.group(0)
        quarter_start = (today.month - 1) // 3 * 3 + 4
        return date(today.year + (quarter_start > 12), (quarter_start - 1) % 12 + 1, 1), following.group(0)
    relative = _RELATIVE.search(normalized)
    if relative:
        amount = _NUMBER_WORDS.get(relative.group(2)) or int(relative.group(2))
        return today + timedelta(days=amount * {"d": 1, "w": 7, "m": 30}[relative.group(4)[0]]), relative.group(0)
    month = _MONTH.search(normalized)
    if month:
        number = _MONTHS[month.group(2)]
        day = 15 if month.group(1) and month.group(1).strip() in ("mid", "late", "end of") else 1
        if number == today.month and not month.group(1):
            return today + timedelta(days=min(ASAP_DAYS + 1, 28 - today.day)), month.group(0).strip()
        target = _next_date(today, number, day)
        if (target - today).days <= ASAP_DAYS:  # "in December" said on 27 November: some time in December
            target = target.replace(day=15)
        return target, month.group(0).strip()
    season = _SEASON.search(normalized)
    if season:
        month_number, day = _SEASONS[season.group(3)]
        if season.group(1) == "after":
            month_number = month_number % 12 + 3 if month_number <= 9 else 3
        return _next_date(today, month_number, day), season.group(0).strip()
    return None


def _next_date(today: date, month: int, day: int) -> date:
    """The next such day: "in March" said in November is next March."""
    target = date(today.year, month, day)
    if target < today - timedelta(days=15):
        target = date(today.year + 1, month, day)
    return max(target, today)
