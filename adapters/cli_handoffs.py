"""`oncall-bot handoffs`: the live hand-offs, with who took them and how fast."""

from __future__ import annotations

import argparse
import json
import time

from adapters.cli_args import print_table
from bot.storage.database import open_db


def cmd_handoffs(args: argparse.Namespace) -> int:
    from bot.insights.handoffs import duration, handoff_rows

    rows = handoff_rows(open_db(args.db), open_only=args.open)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    if not rows:
        print("No open hand-offs." if args.open else "No hand-offs yet.")
        return 0
    columns = ("id", "status", "channel", "owner", "asked (UTC)", "first reply after", "closed after", "why closed")
    print_table(columns, [(row["id"], row["status"], row["channel"], row["owner_name"] or row["owner"],
                           time.strftime("%Y-%m-%d %H:%M", time.gmtime(row["created_at"])),
                           duration(row["to_first_reply_s"]), duration(row["to_close_s"]), row["close_reason"])
                          for row in rows], "Hand-offs" + (" (open)" if args.open else ""))
    return 0


def add_handoffs_command(add) -> None:
    handoffs = add("handoffs", help="live hand-offs to sales: status, owner, time to first reply and to close")
    handoffs.add_argument("--open", action="store_true",
                          help="only those not closed: waiting for sales, open, or unanswered in time")
    handoffs.add_argument("--json", action="store_true", help="print one JSON array instead of a table")
    handoffs.set_defaults(func=cmd_handoffs)
