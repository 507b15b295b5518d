"""Filed talent requests ("leads"): one row per request, its status history, exports for sales tools."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from dataclasses import dataclass

from bot.storage.database import Database

FIELDS = ("role", "engagement", "start", "start_said", "company", "name", "email", "phone", "company_size",
          "details")
STATUSES = ("new", "claimed", "contacted", "won", "lost")
NEXT_STATUSES = {
    "new": ("claimed", "contacted", "lost"),
    "claimed": ("contacted", "won", "lost", "new"),
    "contacted": ("won", "lost"),
    "won": (),
    "lost": (),
}
FORGOTTEN = "[forgotten]"


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def new_lead_id() -> str:
    return "L-" + uuid.uuid4().hex[:10].upper()


def canonical_id(text: str) -> str:
    """Lead ids are upper case (`L-1A2B3C4D5E`); one typed or pasted as `l-1a2b3c4d5e ` is the same lead."""
    return text.strip().upper()


class LeadError(ValueError):
    """A request sales made that cannot be carried out (unknown lead, impossible status change)."""


@dataclass(frozen=True, slots=True)
class StatusChange:
    lead: dict
    previous: str


class LeadStore:
    def __init__(self, db: Database):
        self.db = db

    def insert(self, lead: dict) -> None:
        """Called inside the engine's turn transaction: the caller commits."""
        row = {**lead, "reasons": json.dumps(lead["reasons"]), "transcript": json.dumps(lead["transcript"]),
               "qualified": int(lead["qualified"]), "history": json.dumps(lead["history"])}
        columns = ", ".join(f'"{k}"' for k in row)
        self.db.execute(f"insert into leads ({columns}) values ({', '.join('?' for _ in row)})", list(row.values()))

    def get(self, lead_id: str) -> dict:
        lead_id = canonical_id(lead_id)
        row = self.db.one("select * from leads where id = ?", [lead_id])
        if row is None:
            raise LeadError(f"no lead with id {lead_id!r}")
        return _decode(row)

    def all(self, since: str | None = None, open_only: bool = False, before: str | None = None) -> list[dict]:
        """Leads filed at `since` or later and before `before` (ISO UTC timestamps), oldest first."""
        where, args = [], []
        if since:
            where.append("created_at >= ?")
            args.append(since)
        if before:
            where.append("created_at < ?")
            args.append(before)
        if open_only:
            where.append("status in ('new', 'claimed', 'contacted')")
        sql = "select * from leads" + (" where " + " and ".join(where) if where else "") + " order by created_at, id"
        return [_decode(row) for row in self.db.query(sql, args)]

    def set_status(self, lead_id: str, status: str, by: str = "cli") -> StatusChange:
        if status not in STATUSES:
            raise LeadError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
        lead_id = canonical_id(lead_id)
        with self.db.transaction():
            self.db.lock(f"lead:{lead_id}")  # two people clicking at once: the second sees the first's move
            lead = self.get(lead_id)
            previous = lead["status"]
            if status == previous:
                return StatusChange(lead, previous)  # a repeated click changes nothing
            if status not in NEXT_STATUSES[previous]:
                allowed = ", ".join(NEXT_STATUSES[previous]) or "none (final)"
                raise LeadError(f"lead {lead_id} is {previous}; it can move to: {allowed}")
            history = [*lead["history"], {"status": status, "by": by, "at": now_iso()}]
            self.db.execute("update leads set status = ?, updated_at = ?, history = ? where id = ?",
                            [status, now_iso(), json.dumps(history), lead_id])
            return StatusChange(self.get(lead_id), previous)

    def email_given(self, conversation: str) -> str | None:
        """The email address of the conversation's latest lead, if they gave one."""
        return self.db.scalar("select email from leads where conversation = ? and email is not null "
                              "order by created_at desc limit 1", [conversation])

    def anonymize_user(self, user: str) -> int:
        """Privacy: keep the lead for sales statistics, drop everything that identifies the person."""
        return self.db.execute(
            "update leads set name = ?, email = null, phone = null, details = null, transcript = '[]', "
            'start_said = null, "user" = ?, conversation = null, updated_at = ? where "user" = ?',
            [FORGOTTEN, FORGOTTEN, now_iso(), user])


def _decode(row: dict) -> dict:
    row = dict(row)
    for key in ("reasons", "transcript", "history"):
        row[key] = json.loads(row[key] or "[]")
    row["qualified"] = bool(row["qualified"])
    return row


def flat(lead: dict) -> dict:
    """The export shape: fields flattened at top level plus id, tier, qualified, status, created_at."""
    out = {"id": lead["id"], "tier": lead["tier"], "qualified": lead["qualified"], "score": lead["score"],
           "status": lead["status"], "created_at": lead["created_at"]}
    out |= {f: lead.get(f) for f in FIELDS}
    out |= {"email_kind": lead.get("email_kind"), "channel": lead["channel"], "source": lead.get("source"),
            "campaign": lead.get("campaign"), "reasons": lead["reasons"]}
    return out


def export(leads: list[dict], fmt: str) -> str:
    rows = [flat(lead) for lead in leads]
    if fmt == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(flat_columns()))
    writer.writeheader()
    for row in rows:
        # CSV has no booleans: write the words spreadsheets and CRMs import as such, not Python's True/False
        writer.writerow({k: ("true" if v else "false") if isinstance(v, bool) else v for k, v in row.items()}
                        | {"reasons": "; ".join(row["reasons"])})
    return buffer.getvalue()


def flat_columns() -> tuple[str, ...]:
    return ("id", "tier", "qualified", "score", "status", "created_at", *FIELDS, "email_kind", "channel", "source",
            "campaign", "reasons")
