"""The talent-request form: pre-filled from anything the user says, validated field by field,
corrected in plain words at any step, confirmed, filed.

The form's state is a plain dict kept in the conversation state (so it survives restarts):
{"status": "open", "fields": {...}, "expecting": "email", "skipped": [...], "back_to_confirm": bool,
 "misses": {"email": 1}, "note_next": bool}
After filing it becomes {"status": "filed", "lead_id": ...}, which is how a second "yes" is recognized.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from bot.dialogue import fields as parse
from bot.dialogue.dates import Start, parse_start
from bot.dialogue.extract import (
    company_from_answer,
    find_company,
    find_name,
    introduces_self,
    name_from_answer,
    why_not_company,
)
from bot.sales.leads import new_lead_id, now_iso
from bot.sales.qualify import Rules
from bot.types import Button
from bot.understanding.entities import Entities

REQUIRED = ("role", "engagement", "start", "company", "name", "email")
OPTIONAL = ("phone", "company_size", "details")
ORDER = REQUIRED + OPTIONAL
CHOICES = {"role": parse.ROLES, "engagement": parse.ENGAGEMENTS, "start": parse.STARTS}
PREFIX = "form:"
MISSES_BEFORE_SKIP, MISSES_BEFORE_HELP, MISSES_BEFORE_PERSON = 2, 2, 2
_YES = re.compile(r"^(yes|y|yep|yeah|yup|sure|ok|okay|correct|confirm\w*|send( it)?|go ahead|looks (good|great|right)|"
                  r"perfect|submit|do it|all good|that is right|thats right|yes please|please do|send it over)\b")
_NO = re.compile(r"^(no|nope|not yet|wait|hold on|not quite)\b")
_INTRODUCES = re.compile(r"\b(i'?m|i am|name|this is|it'?s|its|call me|from|at|with|work|ceo|coo|cto|founder|owner|"
                         r"head|director|company|called|we'?re|we are|representing|ltd|inc|llc|gmbh)\b", re.IGNORECASE)
_CHANGE = re.compile(r"\b(change|edit|update|fix|correct|wrong)\b")


@dataclass(frozen=True, slots=True)
class Said:
    """One message, as the form reads it."""

    raw: str
    normalized: str
    entities: Entities

    @property
    def masked(self) -> str:
        return self.entities.masked


@dataclass(frozen=True, slots=True)
class FormTurn:
    texts: tuple[str, ...]
    buttons: tuple[Button, ...]
    form: dict | None
    expecting: str | None
    lead: dict | None = None
    person: bool = False  # offer a person: the user is stuck on a required field


class TalentForm:
    def __init__(self, messages: dict, rules: Rules, today: Callable[[], date] = date.today):
        self.text = messages["form"]
        self.rules = rules
        self.today = today

    # -- reading values ------------------------------------------------------------------------------
    def found(self, said: Said) -> dict[str, object]:
        """Every field value this message gives, wherever it sits in the message."""
        out: dict[str, object] = {}
        role = parse.parse_role(said.entities.roles, said.normalized)
        if role:
            out["role"] = role
        raw = said.raw
        digits = any(c.isdigit() for c in raw)
        values = {"engagement": parse.parse_engagement(said.masked), "start": parse_start(said.normalized, raw,
                  self.today())}
        if digits:
            values["company_size"] = parse.parse_company_size(raw.lower(), answering=False)
            if re.search(r"\d{6}|\d[\d ().-]{8,}", raw):
                values["phone"] = parse.parse_phone(raw)
        if "@" in raw and parse.find_email(raw):
            values["email"] = parse.parse_email(raw)[0]
        if "\n" in raw or _INTRODUCES.search(raw):  # names and companies come with words that introduce them
            values["name"], values["company"] = find_name(raw), find_company(raw)
        if not values.get("name"):
            values["name"] = _name_in_contact_line(raw)
        out |= {field: value for field, value in values.items() if value}
        return out

    def parse(self, field: str, said: Said) -> tuple[object, str | None]:
        """The message as the answer to `field`: (value, None) or (None, why it is not one)."""
        if field in OPTIONAL and parse.SKIP.match(said.normalized.strip()):
            return "skip", None
        if field == "role":
            return parse.parse_role(said.entities.roles, said.normalized), None
        if field == "engagement":
            return parse.parse_engagement(said.masked, answering=True), None
        if field == "start":
            return parse_start(said.normalized, said.raw, self.today()), None
        if field == "email":
            return parse.parse_email(said.raw)
        if field == "phone":
            return parse.parse_phone(said.raw), None
        if field == "company_size":
            return parse.parse_company_size(said.raw.lower()), None
        if field == "company":
            if introduces_self(said.raw):
                return None, "introduction"  # the name is taken from it (values_in); the company is still to come
            head = said.raw.split(",")[0] if re.search(r",.*(\d|@)", said.raw) else said.raw
            value = company_from_answer(head)
            return value, None if value else why_not_company(head)
        if field == "name":
            value = name_from_answer(said.raw)
            return value, None if value else "not_a_name"
        return parse.clean_text(said.raw, 1000), None

    # -- entry points ----------------------------------------------------------------------------
    def start(self, found: dict, recommended: str | None, intro: str, details: str | None) -> FormTurn:
        form = {"status": "open", "fields": {}, "expecting": None, "skipped": [], "back_to_confirm": False,
                "misses": {}}
        if recommended:
            form["fields"]["role"] = recommended  # the situation told earlier (advice) pre-fills the role
        self.fill(form, found)
        if details:
            form["fields"]["details"] = details
        return self.next(form, [intro])

    def fill(self, form: dict, found: dict, override: bool = False) -> list[str]:
        """Set the fields `found` gives (only missing ones unless `override`); returns those that changed."""
        changed = []
        for field, value in found.items():
            current = form["fields"].get(field)
            shown = value.bucket if isinstance(value, Start) else value
            if current is None or override and current != shown:
                self.set(form, field, value)
                if field in form["skipped"]:
                    form["skipped"].remove(field)
                changed.append(field)
        return changed

    def set(self, form: dict, field: str, value: object) -> None:
        if field == "details" and form["expecting"] == "details":
            self.add_details(form, str(value))
            form["details_done"] = True
            return
        if isinstance(value, Start):
            form["fields"]["start"], form["fields"]["start_said"] = value.bucket, value.said
        else:
            form["fields"][field] = value
        if field == "email":
            form["fields"]["email_kind"] = parse.email_kind(str(value))
        form.get("misses", {}).pop(field, None)

    def add_details(self, form: dict, text: str) -> None:
        earlier = form["fields"].get("details")
        form["fields"]["details"] = f"{earlier}; {text}"[:1000] if earlier else text[:1000]
        if "details" in form["skipped"]:
            form["skipped"].remove("details")

    def skip(self, form: dict) -> None:
        form["skipped"].append(form["expecting"])
        if form["expecting"] != "details":  # details told earlier (the situation) stay
            form["fields"].pop(form["expecting"], None)

    def invalid(self, form: dict, why: str | None) -> FormTurn:
        """A miss on the pending field: say why; after repeated misses skip it (optional), or show the
        choices and an example, then offer a person (required). Never the same line forever."""
        field = form["expecting"]
        misses = form.setdefault("misses", {})
        misses[field] = misses.get(field, 0) + 1
        if field in OPTIONAL and misses[field] >= MISSES_BEFORE_SKIP:
            self.skip(form)
            return self.next(form, [self.text["skipping"]])
        key = "email_missing" if field == "email" and why == "no_email" else field
        message = self.text["invalid"].get(key, self.text["what_to_change"]).format(why=(why or "").rstrip("."))
        if why in ("question", "request", "answer", "sentence", "not_a_name"):
            message = self.text["not_a_value"][field if field in ("company", "name") else "other"]
        elif why == "introduction":
            message = self.text["not_a_value"]["company_after_name"]
        texts = [message]
        if misses[field] >= MISSES_BEFORE_HELP:
            texts.append(self.text["example"][field])
        person = misses[field] >= MISSES_BEFORE_PERSON
        if person:
            texts.append(self.text["stuck"])
        turn = self.ask(form, texts)
        return FormTurn(turn.texts, turn.buttons, turn.form, turn.expecting, person=person)

    def press(self, form: dict, value: str) -> FormTurn | None:
        """A form button: form:<field>:<value>, form:skip, form:confirm, form:change, form:edit:<field>."""
        form = copy(form)
        parts = value.removeprefix(PREFIX).split(":")
        if parts == ["confirm"] and form["expecting"] == "confirm":
            return self.file(form)
        if parts == ["change"]:
            return self.ask(form, [self.text["what_to_change"]], self._edit_buttons())
        if parts[0] == "edit" and len(parts) == 2 and parts[1] in ORDER:
            return self.edit(form, parts[1])
        if parts == ["skip"] and form["expecting"] in OPTIONAL:
            self.skip(form)
            return self.next(form)
        if len(parts) == 2 and parts[1] in CHOICES.get(parts[0], ()):
            self.set(form, parts[0], parts[1])
            return self.next(form)
        return None

    def prompt(self, form: dict, before: list[str] | None = None) -> FormTurn:
        if form["expecting"] == "confirm":
            return self.summary(form, before or [])
        question = self.text["prompts"][form["expecting"]]
        if form["expecting"] == "details" and form["fields"].get("details"):
            question = self.text["prompts"]["details_more"].format(details=form["fields"]["details"][:300])
        return self.ask(form, [*(before or []), question])

    def cancelled(self) -> FormTurn:
        return FormTurn((self.text["cancelled"],), (), None, None)

    def already_filed(self, lead_id: str) -> str:
        return self.text["already_filed"].format(id=lead_id)

    def changed(self, form: dict, fields: list[str]) -> str:
        shown = [f"{self.text['labels'][f].lower()} to {self.shown(form, f)}" for f in fields if f in ORDER]
        return self.text["changed"].format(changes=", ".join(shown))

    def shown(self, form: dict, field: str) -> str:
        value = form["fields"].get(field)
        return self.text["values"].get(value, value) if field in CHOICES else str(value)

    # -- the flow of questions -------------------------------------------------------------------
    def next(self, form: dict, before: list[str] | None = None) -> FormTurn:
        done = set(form["fields"]) | set(form["skipped"])
        if not form.get("details_done") and "details" not in form["skipped"]:
            done.discard("details")  # details noted from the conversation: still ask for anything to add
        order = REQUIRED if form.get("back_to_confirm") else ORDER
        missing = [f for f in order if f not in done]
        form["expecting"] = missing[0] if missing else "confirm"
        if form["expecting"] == "confirm":
            form["back_to_confirm"] = True
        return self.prompt(form, before)

    def ask(self, form: dict, texts: list[str], buttons: tuple[Button, ...] | None = None) -> FormTurn:
        field = form["expecting"]
        if buttons is None:
            buttons = tuple(Button(self.text["values"][v], f"{PREFIX}{field}:{v}") for v in CHOICES.get(field, ()))
            if field in OPTIONAL:
                buttons += (Button("Skip", f"{PREFIX}skip"),)
        return FormTurn(tuple(texts), buttons, form, field)

    def summary(self, form: dict, before: list[str]) -> FormTurn:
        lines = [self.text["summary"]]
        for field in ORDER:
            if form["fields"].get(field):
                shown = self.shown(form, field)
                if field == "start" and form["fields"].get("start_said"):
                    shown = f"{shown} (\"{form['fields']['start_said']}\")"
                lines.append(f"• {self.text['labels'][field]}: {shown}")
        lines.append(self.text["confirm_hint"])
        buttons = (Button("Yes, send it", f"{PREFIX}confirm"), Button("Change something", f"{PREFIX}change"))
        return FormTurn((*before, "\n".join(lines)), buttons, form, "confirm")

    def _edit_buttons(self) -> tuple[Button, ...]:
        return tuple(Button(self.text["labels"][f], f"{PREFIX}edit:{f}") for f in ORDER)

    def edit(self, form: dict, field: str) -> FormTurn:
        form["fields"].pop(field, None)
        if field == "start":
            form["fields"].pop("start_said", None)
        if field in form["skipped"]:
            form["skipped"].remove(field)
        form["expecting"], form["back_to_confirm"] = field, True
        return self.prompt(form)

    def at_confirm(self, form: dict, said: Said) -> FormTurn | None:
        """At the summary: "yes" files; "change email" edits that field; "no" asks what to change."""
        normalized = said.normalized
        if _YES.match(normalized):
            return self.file(form)
        for field in ORDER:
            label = self.text["labels"][field].lower()
            if re.search(rf"\b({re.escape(label)}|{field.replace('_', ' ')})\b", normalized) and (
                    _CHANGE.search(normalized) or len(normalized.split()) <= 3):
                return self.edit(form, field)
        if _NO.match(normalized) or _CHANGE.search(normalized):
            return self.ask(form, [self.text["what_to_change"]], self._edit_buttons())
        return None

    def file(self, form: dict) -> FormTurn:
        fields = dict(form["fields"])
        qualification = self.rules.score(fields)
        lead = {
            "id": new_lead_id(), "created_at": now_iso(), "updated_at": now_iso(), "status": "new",
            "tier": qualification.tier, "score": qualification.score, "qualified": qualification.qualified,
            "reasons": list(qualification.reasons), **{f: fields.get(f) for f in (*ORDER, "start_said")},
            "email_kind": fields.get("email_kind"), "history": [{"status": "new", "by": "assistant", "at": now_iso()}],
        }
        text = self.text["filed"].format(id=lead["id"], email=fields.get("email"))
        return FormTurn((text,), (), {"status": "filed", "lead_id": lead["id"]}, None, lead)


def copy(form: dict) -> dict:
    return {**form, "fields": dict(form["fields"]), "skipped": list(form["skipped"]),
            "misses": dict(form.get("misses", {}))}


def _name_in_contact_line(raw: str) -> str | None:
    """"Atelier Nord, Sofie Berg, sofie@ateliernord.dk": a company, a person and their address in one line.
    With three parts or more and an address among them, the one other part after the first that reads as a
    name, and that the address vouches for, is the name (the first is the company, which the company question
    reads itself)."""
    parts = [p.strip() for p in re.split(r"\s*[,;|]\s*", raw.strip()) if p.strip()]
    addresses = [p.split("@")[0].lower() for p in parts if "@" in p]
    if len(parts) < 3 or not addresses:
        return None
    # the address vouches for the name ("sofie@…" for "Sofie Berg"): "Copenhagen" is no one's name here
    names = [name for p in parts[1:] if "@" not in p and not any(c.isdigit() for c in p)
             for name in [name_from_answer(p)] if name and any(
                 len(word) > 1 and word.lower() in addresses[0] for word in name.split())]
    return names[0] if len(names) == 1 else None
