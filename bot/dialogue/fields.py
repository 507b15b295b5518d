"""Parse talent-request answers: role, engagement, start, email, phone, company size.

Each parser takes what the user typed (raw and normalized) and returns a normalized value or None.
Email syntax is checked with email-validator (no DNS look-up) and phone numbers with phonenumbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

ROLES = ("project_manager", "operations_manager", "both")
ENGAGEMENTS = ("part_time", "full_time", "project_based")
STARTS = ("asap", "this_month", "this_quarter", "later")
SKIP = re.compile(r"^(skip|no|nope|none|n a|na|no thanks|pass|not now|rather not|prefer not to say|-)( it| this)?$")
_EMAIL = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_PERSONAL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "mail.com",
        "yandex.com",
        "zoho.com",
    ]
)
_ENGAGEMENT_WORDS = {
    "part_time": r"\b(parttime|fractional|few (days|hours) a week|\d+ days a week|half time|hours a week)\b",
    "full_time": r"\b(fulltime|permanent|fte|five days a week|40 hours)\b",
    "project_based": r"\b(projectbased|per project|one project|for the project|contract|fixed term|\d+ months? "
    r"(project|engagement|contract)|for (a|one|the) (launch|project|migration|rollout))\b",
}
_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
_MONTHS |= {name[:3]: number for name, number in list(_MONTHS.items())}
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "couple": 2,
    "few": 3,
    "several": 4,
}


@dataclass(frozen=True, slots=True)
class Start:
    bucket: str  # asap | this_month | this_quarter | later
    said: str  # the words that said it ("next month", "in 3 weeks"), normalized


def parse_role(roles: tuple[str, ...], normalized: str) -> str | None:
    if re.search(r"\b(both|one of each|each of them|the two)\b", normalized) or len(set(roles)) >= 2:
        return "both"
    return roles[0] if roles else None


def parse_engagement(normalized: str) -> str | None:
    found = [kind for kind, pattern in _ENGAGEMENT_WORDS.items() if re.search(pattern, normalized)]
    return found[0] if len(found) == 1 else None


_START_WORDS = (
    ("asap", r"\b(as soon as possible|immediately|right away|right now|urgent\w*|now|today|tomorrow|this week|"
             r"next week|in a few days|straight away)\b"),
    ("later", r"\b(next year|no rush|just exploring|exploring|someday|some day|eventually|not sure|dont know|"
              r"do not know|maybe later|later|no timeline|tbd|unknown)\b"),
    ("this_month", r"\b(this month|end of (the )?month|within (a|one) month|in a month)\b"),
    ("this_quarter", r"\b(next month|this quarter|next quarter|quarter|within (two|three|2|3) months|"
                     r"in (two|three|2|3) months|end of (the )?quarter)\b"),
)
_RELATIVE = re.compile(r"\b(in|within) (\d+|a|an|one|two|three|four|five|six|couple|few|several)( of)? "
                       r"(days?|weeks?|months?)\b")


def parse_start(normalized: str, today: date) -> Start | None:
    """Bucket a start time: asap (within about two weeks), this_month, this_quarter or later, keeping
    the words that said it."""
    for bucket, pattern in _START_WORDS:
        found = _first(normalized, pattern)
        if found:
            return Start(bucket, found)
    relative = _RELATIVE.search(normalized)
    if relative:
        amount = _NUMBER_WORDS.get(relative.group(2)) or int(relative.group(2))
        days = amount * {"d": 1, "w": 7, "m": 30}[relative.group(4)[0]]
        return Start(_bucket(days), relative.group(0))
    month = re.search(r"\b(" + "|".join(_MONTHS) + r")\b", normalized)
    if month:
        months_ahead = (_MONTHS[month.group(1)] - today.month) % 12
        bucket = "this_month" if months_ahead == 0 else "this_quarter" if months_ahead <= 3 else "later"
        return Start(bucket, month.group(0))
    return None


def _first(text: str, pattern: str) -> str | None:
    match = re.search(pattern, text)
    return match.group(0) if match else None


def _bucket(days: int) -> str:
    if days <= 14:
        return "asap"
    if days <= 31:
        return "this_month"
    return "this_quarter" if days <= 92 else "later"


def find_email(raw: str) -> str | None:
    match = _EMAIL.search(raw)
    return match.group(0).strip(".") if match else None


def parse_email(raw: str) -> tuple[str | None, str | None]:
    """(normalized email, None) or (None, why it was refused)."""
    from email_validator import EmailNotValidError, validate_email  # lazy: keeps cold start short

    candidate = find_email(raw)
    if candidate is None:
        return None, "no_email"
    try:
        return validate_email(candidate, check_deliverability=False).normalized, None
    except EmailNotValidError as error:
        return None, str(error)


def email_kind(email: str | None) -> str | None:
    if not email:
        return None
    return "personal" if email.rsplit("@", 1)[-1].lower() in _PERSONAL_DOMAINS else "business"


def parse_phone(raw: str, region: str | None = None) -> str | None:
    import phonenumbers  # lazy: a large import only the phone question needs

    match = _PHONE.search(raw)
    if not match:
        return None
    try:
        number = phonenumbers.parse(match.group(0), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_company_size(normalized: str) -> str | None:
    numbers = [int(n) for n in re.findall(r"\b\d{1,6}\b", normalized)]
    if not numbers:
        words = {"just me": 1, "solo": 1, "handful": 5, "dozen": 12, "hundred": 100, "thousand": 1000}
        numbers = [v for k, v in words.items() if k in normalized]
    if not numbers:
        return None
    size = max(numbers)
    for limit, label in ((10, "1-10"), (50, "11-50"), (200, "51-200"), (1000, "201-1000")):
        if size <= limit:
            return label
    return "1000+"


def clean_text(raw: str, limit: int) -> str | None:
    text = " ".join(raw.split())[:limit].strip()
    return text if re.search(r"[^\W\d_]", text) else None
