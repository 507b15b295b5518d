"""The talent-request form: pre-filled from free text, validated field by field, confirmed, filed.

The form's state is a plain dict kept in the conversation state (so it survives restarts):
{"status": "open", "fields": {...}, "expecting": "email", "skipped": [...], "back_to_confirm": bool}
After filing it becomes {"status": "filed", "lead_id": ...}, which is how a second "yes" is recognized.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from bot.dialogue import fields as parse
from bot.sales.leads import new_lead_id, now_iso
from bot.sales.qualify import Rules
from bot.types import Button
from bot.understanding.entities import Entities

REQUIRED = ("role", "engagement", "start", "company", "name", "email")
OPTIONAL = ("phone", "company_size", "details")
ORDER = REQUIRED + OPTIONAL
CHOICES = {"role": parse.ROLES, "engagement": parse.ENGAGEMENTS, "start": parse.STARTS}
PREFIX = "form:"
_YES = re.compile(r"^(yes|y|yep|yeah|yup|sure|ok|okay|correct|confirm\w*|send( it)?|go ahead|looks (good|great|right)|"
                  r"perfect|submit|do it|all good|that is right|thats right)\b")
_NO = re.compile(r"^(no|nope|not yet|wait|hold on|not quite)\b")
_CHANGE = re.compile(r"\b(change|edit|update|fix|correct|wrong)\b")


@dataclass(frozen=True, slots=True)
class FormTurn:
    texts: tuple[str, ...]
    buttons: tuple[Button, ...]
    form: dict | None
    expecting: str | None
    lead: dict | None = None


class TalentForm:
    def __init__(self, messages: dict, rules: Rules, today: Callable[[], date] = date.today):
        self.text = messages["form"]
        self.rules = rules
        self.today = today

    # -- entry points ----------------------------------------------------------------------------
    def start(self, raw: str, normalized: str, entities: Entities, recommended: str | None,
              intro: str, situation: str | None = None) -> FormTurn:
        form = {"status": "open", "fields": {}, "expecting": None, "skipped": [], "back_to_confirm": False}
        if recommended:
            form["fields"]["role"] = recommended  # the situation told earlier (advice) pre-fills the role
        self._prefill(form, raw, normalized, entities)
        if _worth_keeping(entities):
            form["fields"]["details"] = parse.clean_text(raw, 1000)
        elif situation:
            form["fields"]["details"] = situation
        return self._next(form, [intro])

    def answer(self, form: dict, raw: str, normalized: str, entities: Entities) -> FormTurn | None:
        """The message as an answer to the pending field; None when it is not a usable answer."""
        form = _copy(form)
        expecting = form["expecting"]
        if expecting == "confirm":
            return self._at_confirm(form, raw, normalized, entities)
        if expecting in CHOICES:
            self._prefill(form, raw, normalized, entities)  # "pm, part time, asap" answers three at once
        value, _ = self._parse(expecting, raw, normalized, entities)
        if value is None and expecting not in form["fields"]:
            return None
        if value == "skip":
            form["skipped"].append(expecting)
            form["fields"].pop(expecting, None)
        elif value is not None:
            self._set(form, expecting, value)
        return self._next(form)

    def invalid(self, form: dict, raw: str, normalized: str, entities: Entities) -> FormTurn:
        expecting = form["expecting"]
        _, why = self._parse(expecting, raw, normalized, entities)
        key = "email_missing" if expecting == "email" and why == "no_email" else expecting
        message = self.text["invalid"].get(key, self.text["what_to_change"])
        return self._ask(form, [message.format(why=(why or "").rstrip("."))])

    def press(self, form: dict, value: str) -> FormTurn | None:
        """A form button: form:<field>:<value>, form:skip, form:confirm, form:change, form:edit:<field>."""
        form = _copy(form)
        parts = value.removeprefix(PREFIX).split(":")
        if parts == ["confirm"] and form["expecting"] == "confirm":
            return self._file(form)
        if parts == ["change"]:
            return self._ask(form, [self.text["what_to_change"]], self._edit_buttons())
        if parts[0] == "edit" and len(parts) == 2 and parts[1] in ORDER:
            return self._edit(form, parts[1])
        if parts == ["skip"] and form["expecting"] in OPTIONAL:
            form["skipped"].append(form["expecting"])
            return self._next(form)
        if len(parts) == 2 and parts[1] in CHOICES.get(parts[0], ()):
            self._set(form, parts[0], parts[1])
            return self._next(form)
        return None

    def prompt(self, form: dict, before: list[str] | None = None) -> FormTurn:
        if form["expecting"] == "confirm":
            return self._summary(form, before or [])
        return self._ask(form, [*(before or []), self.text["prompts"][form["expecting"]]])

    def cancelled(self) -> FormTurn:
        return FormTurn((self.text["cancelled"],), (), None, None)

    def already_filed(self, lead_id: str) -> str:
        return self.text["already_filed"].format(id=lead_id)

    # -- internals -------------------------------------------------------------------------------
    def _parse(self, field: str, raw: str, normalized: str, entities: Entities) -> tuple[object, str | None]:
        if field in OPTIONAL and parse.SKIP.match(normalized.strip()):
            return "skip", None
        if field == "role":
            return parse.parse_role(entities.roles, normalized), None
        if field == "engagement":
            return parse.parse_engagement(normalized), None
        if field == "start":
            return parse.parse_start(normalized, self.today()), None
        if field == "email":
            return parse.parse_email(raw)
        if field == "phone":
            return parse.parse_phone(raw), None
        if field == "company_size":
            return parse.parse_company_size(normalized), None
        limit = {"company": 100, "name": 80}.get(field, 1000)
        return parse.clean_text(raw, limit), None

    def _prefill(self, form: dict, raw: str, normalized: str, entities: Entities) -> None:
        found = form["fields"]
        for field in ("role", "engagement", "start"):
            value, _ = self._parse(field, raw, normalized, entities)
            if value is not None and field not in found:
                self._set(form, field, value)
        if "email" not in found and parse.find_email(raw):
            email, _ = parse.parse_email(raw)
            if email:
                self._set(form, "email", email)

    def _set(self, form: dict, field: str, value: object) -> None:
        if isinstance(value, parse.Start):
            form["fields"]["start"], form["fields"]["start_said"] = value.bucket, value.said
        else:
            form["fields"][field] = value
        if field == "email":
            form["fields"]["email_kind"] = parse.email_kind(str(value))

    def _next(self, form: dict, before: list[str] | None = None) -> FormTurn:
        done = set(form["fields"]) | set(form["skipped"])
        if form.get("back_to_confirm"):
            missing = [f for f in REQUIRED if f not in done]
        else:
            missing = [f for f in ORDER if f not in done]
        form["expecting"] = missing[0] if missing else "confirm"
        if form["expecting"] == "confirm":
            form["back_to_confirm"] = True
        return self.prompt(form, before)

    def _ask(self, form: dict, texts: list[str], buttons: tuple[Button, ...] | None = None) -> FormTurn:
        field = form["expecting"]
        if buttons is None:
            buttons = tuple(Button(self.text["values"][v], f"{PREFIX}{field}:{v}") for v in CHOICES.get(field, ()))
            if field in OPTIONAL:
                buttons += (Button("Skip", f"{PREFIX}skip"),)
        return FormTurn(tuple(texts), buttons, form, field)

    def _summary(self, form: dict, before: list[str]) -> FormTurn:
        lines = [self.text["summary"]]
        for field in ORDER:
            value = form["fields"].get(field)
            if value:
                shown = self.text["values"].get(value, value) if field in CHOICES else value
                if field == "start" and form["fields"].get("start_said"):
                    shown = f"{shown} (\"{form['fields']['start_said']}\")"
                lines.append(f"• {self.text['labels'][field]}: {shown}")
        lines.append(self.text["confirm_hint"])
        buttons = (Button("Yes, send it", f"{PREFIX}confirm"), Button("Change something", f"{PREFIX}change"))
        return FormTurn((*before, "\n".join(lines)), buttons, form, "confirm")

    def _edit_buttons(self) -> tuple[Button, ...]:
        return tuple(Button(self.text["labels"][f], f"{PREFIX}edit:{f}") for f in ORDER)

    def _edit(self, form: dict, field: str) -> FormTurn:
        form["fields"].pop(field, None)
        if field == "start":
            form["fields"].pop("start_said", None)
        if field in form["skipped"]:
            form["skipped"].remove(field)
        form["expecting"], form["back_to_confirm"] = field, True
        return self.prompt(form)

    def _at_confirm(self, form: dict, raw: str, normalized: str, entities: Entities) -> FormTurn | None:
        if _YES.match(normalized):
            return self._file(form)
        for field in ORDER:
            label = self.text["labels"][field].lower()
            if re.search(rf"\b({re.escape(label)}|{field.replace('_', ' ')})\b", normalized) and (
                    _CHANGE.search(normalized) or len(normalized.split()) <= 3):
                return self._edit(form, field)
        if parse.find_email(raw):  # "it's jane@acme.io actually"
            email, _ = parse.parse_email(raw)
            if email:
                self._set(form, "email", email)
                return self._summary(form, [])
        if _NO.match(normalized) or _CHANGE.search(normalized):
            return self._ask(form, [self.text["what_to_change"]], self._edit_buttons())
        return None

    def _file(self, form: dict) -> FormTurn:
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


def _copy(form: dict) -> dict:
    return {**form, "fields": dict(form["fields"]), "skipped": list(form["skipped"])}


_REQUEST_WORDS = frozenset(
    "i we you me us a an the to for of and or would like want need needs looking request requesting hire hiring "
    "get find book please some someone role can could help start started starting parttime fulltime "
    "projectbased as soon possible asap lets our my".split()
)


def _worth_keeping(entities: Entities) -> bool:
    """Keep the opening message as the request's details when it says more than "i'd like to hire a PM"."""
    extra = [w for w in entities.masked.split() if w not in _REQUEST_WORDS]
    return bool(entities.signals) or len(extra) >= 3
