"""The sales desk: what sales people can do with leads from any chat tool, and where each lead's
notification was posted (so its card can be updated when the lead moves)."""

from __future__ import annotations

import json

from bot.sales.leads import LeadError, LeadStore, StatusChange
from bot.storage.database import Database


class NotAllowed(LeadError):
    """The user is not on the sales team."""


class SalesDesk:
    def __init__(self, db: Database, sales_users: frozenset[str]):
        self.db = db
        self.leads = LeadStore(db)
        self.sales_users = sales_users

    def is_sales(self, user: str) -> bool:
        return user in self.sales_users

    def move(self, lead_id: str, status: str, user: str) -> StatusChange:
        if not self.is_sales(user):
            raise NotAllowed("only the sales team can change a lead's status")
        return self.leads.set_status(lead_id, status, by=user)

    def open_leads(self, user: str) -> list[dict]:
        if not self.is_sales(user):
            raise NotAllowed("only the sales team can list leads")
        return self.leads.all(open_only=True)

    def remember(self, lead_id: str, sink: str, location: dict) -> None:
        self.db.execute("insert into posted (lead_id, sink, location) values (?, ?, ?) "
                        "on conflict (lead_id, sink) do update set location = excluded.location",
                        [lead_id, sink, json.dumps(location)])

    def location(self, lead_id: str, sink: str) -> dict | None:
        location = self.db.scalar("select location from posted where lead_id = ? and sink = ?", [lead_id, sink])
        return json.loads(location) if location else None
