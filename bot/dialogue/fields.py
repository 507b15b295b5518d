"""Parse talent-request answers: role, engagement, email, phone, company size (start: bot/dialogue/dates.py).

Each parser takes what the user typed (raw, normalized, or with role phrases masked) and returns a
normalized value or None. Email syntax is checked with email-validator (no DNS look-up) and phone
numbers with phonenumbers.
"""

from __future__ import annotations

import re

from bot.contact_patterns import TYPED_EMAIL, TYPED_PHONE

ROLES = ("project_manager", "operations_manager", "both")
ENGAGEMENTS = ("part_time", "full_time", "project_based")
STARTS = ("asap", "this_month", "this_quarter", "later")
SKIP = re.compile(r"^(skip|no|nope|none|n a|na|no thanks|pass|not now|rather not|prefer not to say|-|nothing|"
                  r"no need|not needed|dont have one|do not have one|i dont have one|i do not have one|nah)"
                  r"( it| this| that)?$|"
                  r"^(\w+ ){0,3}(no|skip|rather not|prefer not|would rather not|id rather not|i would rather not|"
                  r"do not want to|dont want to|not going to|wont)( \w+){0,5}$")
_PERSONAL_DOMAINS = frozenset(
    "gmail.com googlemail.com yahoo.com yahoo.co.uk hotmail.com outlook.com live.com msn.com icloud.com me.com "
    "aol.com proton.me protonmail.com gmx.com gmx.de mail.com yandex.com zoho.com".split())
# Over the masked text: "project" there never comes from "project manager" (that reads `role`).
_ENGAGEMENT_WORDS = {
    "part_time": r"\b(parttime|fractional|few (days|hours) a week|\d+ days a week|half time|hours a week|"
                 r"(one|two|three|1|2|3) days? (a|per) week|a couple of days|couple days a week)\b",
    "full_time": r"\b(fulltime|permanent|fte|five days a week|40 hours|fulltime employee)\b",
    "project_based": r"\b(projectbased|per project|one project|for (a|one|the|this|our) (\w+ )?project|"
                     r"project (basis|work|only)|(just|only) (for )?(a |the |one )?project|contract|fixed term|"
                     r"\d+ months? (\w+ )?(project|engagement|contract)|for (a|one|the) (launch|migration|rollout)|"
                     r"(a|one|the) (\w+ )?(month|week) project)\b",
}
# At the engagement question a bare "project" or "for a project" is clear enough.
_ENGAGEMENT_ANSWER = {"project_based": r"^(a |the |one |per |by )?(project|projects)( please| thanks| only)?$"}
_NEGATED_ROLE = re.compile(r"\b(not|no|instead of|rather than|never mind the|forget the|nor)( a| an| the)? "
                           r"(project manager|operations manager)s?\b")
_ROLE_OF = {"project manager": "project_manager", "operations manager": "operations_manager"}
_BOTH = re.compile(r"\b(both|one of each|each of them|the two|two roles|a role and (a |an )?role)\b")
_SIZE_WORDS = {"just me": 1, "solo": 1, "handful": 5, "dozen": 12, "hundred": 100, "thousand": 1000}
# A head count inside a longer message: "120 staff", "team of 12", "~2k employees".
# The number starts only where a number starts ((?<![\d,.])): "1.1.1.…" is read once, not from every digit
_HEADCOUNT = re.compile(r"(~|about |around |roughly |approx\w* )?\b(?<![\d,.])(\d[\d,.]*)\s?(k\b)?\s*(\+\s*)?"
                        r"(people|persons|staff|employees|emps|ppl|heads|fte|ftes|team members|of us|workers|"
                        r"strong|person (company|team|startup|business|firm))\b|\bteam of (\d+)\b|"
                        r"\bheadcount (of )?(\d+)\b")


def parse_role(roles: tuple[str, ...], normalized: str) -> str | None:
    negated = {_ROLE_OF[m.group(3)] for m in _NEGATED_ROLE.finditer(normalized)}
    wanted = [r for r in dict.fromkeys(roles) if r not in negated]
    if _BOTH.search(normalized) and not negated or len(wanted) >= 2:
        return "both"
    return wanted[0] if wanted else None


_NEGATION = re.compile(r"\b(not|no|never|instead of|rather than|cant afford|can not afford|cannot afford|"
                       r"dont need|do not need|dont want|do not want)( a| an| the)?\s*$")


def parse_engagement(masked: str, answering: bool = False) -> str | None:
    """One engagement, or None when none or several are named ("full time, not part time" is full-time)."""
    found = [kind for kind, pattern in _ENGAGEMENT_WORDS.items()
             if any(not _NEGATION.search(masked[:m.start()]) for m in re.finditer(pattern, masked))]
    if not found and answering:
        found = [kind for kind, pattern in _ENGAGEMENT_ANSWER.items() if re.search(pattern, masked.strip())]
    return found[0] if len(found) == 1 else None


def find_email(raw: str) -> str | None:
    match = TYPED_EMAIL.search(raw)
    return match.group(0).rstrip(".!?").strip(".") if match else None  # "…is jane@acme.com!" ends a sentence


def parse_email(raw: str) -> tuple[str | None, str | None]:
    """(normalized email, None) or (None, why it was refused)."""
    from email_validator import EmailNotValidError, validate_email  # lazy: keeps cold start short

    candidate = find_email(raw)
    if candidate is None:
        return None, "no_email"
    try:
        # Lower-cased whole: mailboxes are case-insensitive in practice, and sales match on the address.
        return validate_email(candidate, check_deliverability=False).normalized.lower(), None
    except EmailNotValidError as error:
        return None, str(error)


def email_kind(email: str | None) -> str | None:
    if not email:
        return None
    return "personal" if email.rsplit("@", 1)[-1].lower() in _PERSONAL_DOMAINS else "business"


def parse_phone(raw: str, region: str | None = None) -> str | None:
    import phonenumbers  # lazy: a large import only the phone question needs

    for match in TYPED_PHONE.finditer(raw):
        try:
            number = phonenumbers.parse(match.group(0), region)
        except phonenumbers.NumberParseException:
            continue
        # Possible (a plausible length for its country) rather than valid: numbering plans change faster
        # than the library, and a person typing their own number knows it better than we do.
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        # E.164 allows 7 to 15 digits; is_possible_number alone lets leading zeros and all-zero numbers by.
        if phonenumbers.is_possible_number(number) and number.national_number and 8 <= len(e164) <= 16:
            return e164
    return None


def size_label(size: int) -> str:
    for limit, label in ((10, "1-10"), (50, "11-50"), (200, "51-200"), (1000, "201-1000")):
        if size <= limit:
            return label
    return "1000+"


def parse_company_size(normalized: str, answering: bool = True) -> str | None:
    """At the size question any number counts; elsewhere only a head count ("120 staff", "team of 12")."""
    headcount = _HEADCOUNT.search(normalized)
    if headcount:
        # the number is group 2 ("40 staff"), 7 ("team of 8") or 9 ("headcount of 30")
        digits = (headcount.group(2) or headcount.group(7) or headcount.group(9)).replace(",", "").rstrip(".")
        try:  # more digits than any company has people: the biggest band, not an overflow
            value = float(digits) if len(digits.split(".")[0]) <= 12 else 10.0 ** 12
        except ValueError:
            value = None
        if value is not None:
            return size_label(int(value * (1000 if headcount.group(3) else 1)))
    if not answering:
        return None
    numbers = [int(n) for n in re.findall(r"\b(\d{1,6})(?:ish|\+)?\b", normalized.replace(",", ""))]
    if not numbers:
        numbers = [v for k, v in _SIZE_WORDS.items() if k in normalized]
        thousands = re.search(r"\b(\d{1,9})k\b", normalized)
        if thousands:
            numbers.append(int(thousands.group(1)) * 1000)
    return size_label(max(numbers)) if numbers else None


def clean_text(raw: str, limit: int) -> str | None:
    text = " ".join(raw.split())[:limit].strip()
    return text if re.search(r"[^\W\d_]", text) else None
