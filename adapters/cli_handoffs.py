"""`oncall-bot handoffs`: the live hand-offs, with who took them and how fast."""

from __future__ import annotations

import argparse
import json
import time

from bot.insights.handoffs import duration, handoff_rows
from bot.storage.database import open_db


def cmd_handoffs(args: argparse.Namespace) -> int:
    rows = handoff_rows(open_db(args.db), open_only=args.open)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    if not rows:
        print("No open hand-offs." if args.open else "No hand-offs yet.")
        return 0
    from rich.console import Console  # imported when used: `oncall-bot --help` stays instant
    from rich.table import Table

    table = Table(title="Hand-offs" + (" (open)" if args.open else ""), title_justify="left")
    columns = ("id", "status", "channel", "owner", "asked (UTC)", "first reply after", "closed after", "why closed")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["id"], row["status"], row["channel"], row["owner_name"] or row["owner"] or "-",
                      time.strftime("%Y-%m-%d %H:%M", time.gmtime(row["created_at"])),
                      duration(row["to_first_reply_s"]), duration(row["to_close_s"]), row["close_reason"] or "-")
    Console(width=max(110, Console().width)).print(table)
    return 0


def add_handoffs_command(add) -> None:
    handoffs = add("handoffs", help="live hand-offs to sales: status, owner, time to first reply and to close")
    handoffs.add_argument("--open", action="store_true",
                          help="only those not closed: waiting for sales, open, or unanswered in time")
    handoffs.add_argument("--json", action="store_true", help="print one JSON array instead of a table")
    handoffs.set_defaults(func=cmd_handoffs)
