"""Names and companies: found anywhere in a message, and never taken from something that isn't one.

"I'm Tom Baker from Lumen Health, 120 staff…" or a pasted e-mail signature gives a name and a company
at once. At the company or name question, a yes/no, a question, a command, a request or a sentence
about something else is refused: `why_not_name` / `why_not_company` say why, so the form re-asks.
"""

from __future__ import annotations

import re

_TITLES = (r"ceo|coo|cto|cfo|cmo|cpo|cio|founder|co ?founder|cofounder|owner|director|head of [a-z]+|vp [a-z]*|"
           r"vice president|president|partner|manager|lead|chief [a-z]+ officer|managing director|md|gm|"
           r"general manager|principal|chair\w*|executive|administrator|coordinator|consultant|officer|"
           r"operations|hr|people ops|gesch\w+|inhaber\w*|leiter\w*|directeur\w*|gerente|fundador\w*")
# Lines of a signature that are not the person: sign-offs and device footers.
_SIGN_OFF = re.compile(r"^(best|kind|warm|many|all the best|regards|best regards|kind regards|warm regards|cheers|"
                       r"thanks|thank you|many thanks|sincerely|yours|mit freundlichen gr\w+|viele gr\w+|"
                       r"cordialement|saludos|atentamente|sent from my \w+|--)\b", re.IGNORECASE)
_TITLE = re.compile(rf"^(?:{_TITLES})\b", re.IGNORECASE)
_COMPANY_SUFFIX = re.compile(r"\b(ltd|limited|inc|llc|llp|gmbh|ag|bv|sa|sas|srl|plc|corp|corporation|co|company|"
                             r"group|labs|studio|studios|partners|holdings|technologies|tech|systems|solutions|"
                             r"health|foods|logistics|digital|ventures|agency)\.?$", re.IGNORECASE)
_NAME_WORD = r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’.-]*"
# "it's Tom", "this is Ana": only when the name is written as a name (capitalized), else "it's the rotas".
_WEAK_INTRO = re.compile(r"\b(?:[Tt]his is)\s+([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,2})\b")
_COMPANY_INTRO = re.compile(r"\b(?:[Ww]e'?re|[Ww]e are|[Ww]ere|for|at|from)\s+"
                            r"([A-Z][\w&'’-]+(?:\s+[A-Z0-9&][\w&'’-]*){0,3})")
_INTRO = re.compile(rf"\b(?:i'?m|i am|my name is|my name's|name is|name's|call me|i'm called)\s+"
                    rf"({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}?)(?=\s*(?:$|[,.;!\n]|\s(?:from|at|with|of|here|"
                    rf"and|the|ceo|coo|cto|founder|head|owner|-)\b))", re.IGNORECASE)
_COMPANY_AFTER = re.compile(r"\b(?:from|at|with|work for|working for|working at|(?:ceo|coo|cto|cfo|founder|"
                            r"co-?founder|owner|head of \w+|director) (?:of|at)|company is|company's|company name is|"
                            r"company is called|we are called|we're called|called|representing)\s+"
                            r"([A-Za-z0-9&][\w&.'’-]*(?:\s+(?!and\b|we\b|i\b|our\b|my\b|with\b|about\b)[A-Za-z0-9&][\w&.'’-]*){0,4})",
                            re.IGNORECASE)
_COMMON = frozenset(
    "a an the and or but so to of for in on at by with from here there this that it its is are was were be been am "
    "i me my we us our you your they them he she his her yes yeah yep no nope ok okay sure thanks thank please pls "
    "hi hello hey what when where why how who which can could would should will do does did just not need want "
    "looking interested trying hoping wondering asking going about also really very actually maybe some any all "
    "company business firm team startup request candidate candidates profile profiles manager managers project "
    "operations role pm ops hire hiring help send contact call email phone name boss ceo founder owner director "
    "good great fine sorry hear back first later soon asap now today tomorrow week month skip cancel stop".split())
# "from next week", "at 9am", "from july": a time, never a company.
_TIME_WORDS = frozenset(
    "next this last early mid late end beginning start jan january feb february mar march apr april may june july "
    "aug august sep sept september oct october nov november dec december monday tuesday wednesday thursday friday "
    "saturday sunday q1 q2 q3 q4 home scratch day days week weeks month months year years summer winter spring fall "
    "autumn christmas easter tomorrow today now then".split())
_NOT_A_VALUE = re.compile(
    r"^(yes|yeah|yep|yup|no|nope|nah|ok|okay|sure|maybe|idk|dunno|not sure|why|what|huh|hmm+|thanks|thank you|"
    r"skip|none|n/?a|test|asdf\w*|lol|haha\w*)\W*$", re.IGNORECASE)
_REQUEST = re.compile(r"^(can|could|would|will|please|pls|send|give|show|tell|i want|i need|we want|we need|"
                      r"i would like|we would like|i'd like|we'd like|let me|lets|let's|do you|are you|is it|"
                      r"its for|it's for|it is for|for my|on behalf|not sure|i don'?t|we don'?t)\b", re.IGNORECASE)
_QUESTION_START = re.compile(r"^(what|when|where|why|how|who|which|is|are|do|does|can|could|should|will|would)\b",
                             re.IGNORECASE)


def find_name(raw: str) -> str | None:
    """A name the user introduces ("I'm Tom Baker", "my name is Ana") or the first line of a signature."""
    for match in (*_INTRO.finditer(raw), *_WEAK_INTRO.finditer(raw)):
        candidate = _tidy(match.group(1))
        # "I'm from Acme", "I am with Initech": where they are, not who
        if candidate and why_not_name(candidate) is None and candidate.split()[0].lower() not in _COMMON:
            return candidate
    lines = [line.strip() for line in raw.splitlines() if line.strip() and not _SIGN_OFF.match(line.strip())]
    if len(lines) >= 2:
        for line in lines:
            first = re.split(r"\s*(?:,|\||·| - | – )\s*", line)[0]
            if "@" in first or re.search(r"\d", first) or _TITLE.match(first):
                continue
            words = first.split()
            if 2 <= len(words) <= 3 and all(w[:1].isupper() for w in words) and why_not_name(first) is None:
                return first
            break
    return None


def find_company(raw: str) -> str | None:
    """A company named in passing ("from Lumen Health", "COO, Lumen Health", "Acme Ltd" on its own line)."""
    for line in (line.strip() for line in raw.splitlines() if line.strip()):
        parts = [p.strip() for p in re.split(r"\s*(?:,|\||·| - | – | at )\s*", line) if p.strip()]
        if len(parts) == 2 and _TITLE.match(parts[0]) and why_not_company(parts[1]) is None:
            return _tidy(parts[1])
        if len(parts) == 2 and _TITLE.match(parts[1]) and _COMPANY_SUFFIX.search(parts[0]):
            return _tidy(parts[0])
        if len(parts) == 1 and _COMPANY_SUFFIX.search(line) and "@" not in line and len(line.split()) <= 5:
            return _tidy(line)
    for match in (*_COMPANY_INTRO.finditer(raw), *_COMPANY_AFTER.finditer(raw)):
        candidate = _tidy(re.split(r"[,.;!\n]| and ", match.group(1))[0])
        first = candidate.lower().split()[0] if candidate else ""
        if candidate and why_not_company(candidate) is None and first not in _COMMON and first not in _TIME_WORDS:
            return candidate
    return None


def why_not_name(text: str) -> str | None:
    """None when `text` can be a person's name; else what it looks like instead."""
    words = text.split()
    if _NOT_A_VALUE.match(text) or not words:
        return "answer"
    if "?" in text or _QUESTION_START.match(text) and len(words) > 2:  # "Will Turner" is a name
        return "question"
    if text.startswith("/") or _REQUEST.match(text) and len(words) > 2:
        return "request"
    if len(words) > 4 or re.search(r"[\d@#$%^&*=+<>{}\[\]]", text):
        return "sentence"
    if all(w.lower().strip(".,'") in _COMMON for w in words):
        return "sentence"
    return None


def why_not_company(text: str) -> str | None:
    """None when `text` can be a company's name; else what it looks like instead."""
    words = text.split()
    if not words or _NOT_A_VALUE.match(text):
        return "answer"
    if "?" in text or _QUESTION_START.match(text) and len(words) > 2:
        return "question"
    if text.startswith("/") or _REQUEST.match(text):
        return "request"
    if len(words) > 7 or "@" in text:
        return "sentence"
    if not re.search(r"[^\W_]", text):
        return "answer"
    return None


_SELF_INTRO = re.compile(r"^\s*(?:(?:hi|hello|hey)[,!.]?\s+)?(?:my name is|my name's|name is|name's|call me|"
                         r"i'?m called|i'?m|i am)\s", re.IGNORECASE)


def introduces_self(raw: str) -> bool:
    """"my name is Jane Roe", "I'm Jane": an answer to who they are, not to which company."""
    return bool(_SELF_INTRO.match(raw)) and find_name(raw) is not None


def company_from_answer(raw: str) -> str | None:
    """What to store when the user answers the company question: the name, without "it's" / "we're"."""
    text = " ".join(raw.split()).strip(" .!")
    text = re.sub(r"^((yes|yeah|yep|sure|ok|okay|of course)[,.!]?\s+)?(it'?s|its|it is|we'?re|we are|company is|"
                  r"the company is|the company's|company name is|"
                  r"our company is|called|we are called|we're called|i work (at|for)|i'm (at|with|from)|"
                  r"from|at)\s+", "", text, flags=re.IGNORECASE)
    return text[:100] if why_not_company(text) is None else None


def name_from_answer(raw: str) -> str | None:
    text = " ".join(raw.split()).strip(" .!")
    introduced = find_name(text)
    if introduced:
        return introduced
    text = re.sub(r"^((yes|yeah|sure|ok|okay)[,.!]?\s+)?(i'?m|i am|it'?s|its|this is|name'?s|my name is|call me)\s+",
                  "", text, flags=re.IGNORECASE)
    return text[:80] if why_not_name(text) is None else None


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" .,;:!-")
