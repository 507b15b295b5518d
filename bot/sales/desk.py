"""The sales desk: what sales people can do with leads from any chat tool, and where each lead's
notification was posted (so its card can be updated when the lead moves)."""

from __future__ import annotations

import json

import sqlite_utils

from bot.sales.leads import LeadError, LeadStore, StatusChange


class NotAllowed(LeadError):
    """The user is not on the sales team."""


class SalesDesk:
    def __init__(self, db: sqlite_utils.Database, sales_users: frozenset[str]):
        self.db = db
        self.leads = LeadStore(db)
        self.sales_users = sales_users
        db["posted"].create({"lead_id": str, "sink": str, "location": str}, pk=("lead_id", "sink"),
                            if_not_exists=True)

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
        with self.db.conn:
            self.db.conn.execute("insert or replace into posted (lead_id, sink, location) values (?, ?, ?)",
                                 [lead_id, sink, json.dumps(location)])

    def location(self, lead_id: str, sink: str) -> dict | None:
        row = self.db.conn.execute("select location from posted where lead_id = ? and sink = ?",
                                   [lead_id, sink]).fetchone()
        return json.loads(row[0]) if row else None
