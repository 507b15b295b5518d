"""`oncall-bot leads …`, `oncall-bot outbox …`, `oncall-bot forget USER`: what sales and the owner run."""

from __future__ import annotations

import argparse
import sys
import time

from bot.sales.leads import STATUSES, LeadError, LeadStore, export
from bot.sales.outbox import Outbox
from bot.sales.privacy import forget_user
from bot.sales.qualify import Rules
from bot.sales.webhook import WebhookSink
from bot.storage.database import open_db


def cmd_leads_list(args: argparse.Namespace) -> int:
    leads = LeadStore(open_db(args.db)).all(open_only=args.open)
    if not leads:
        print("No leads yet.")
        return 0
    print(f"{'id':13} {'created':20} {'status':9} {'tier':5} {'score':>5}  {'role':18} {'engagement':13} "
          f"{'start':12} {'company':20} channel")
    for lead in leads:
        print(f"{lead['id']:13} {lead['created_at']:20} {lead['status']:9} {lead['tier']:5} {lead['score']:>5}  "
              f"{lead['role'] or '-':18} {lead['engagement'] or '-':13} {lead['start'] or '-':12} "
              f"{(lead['company'] or '-')[:20]:20} {lead['channel']}")
    return 0


def cmd_leads_export(args: argparse.Namespace) -> int:
    sys.stdout.write(export(LeadStore(open_db(args.db)).all(since=args.since), args.format))
    return 0


def cmd_leads_show(args: argparse.Namespace) -> int:
    try:
        lead = LeadStore(open_db(args.db)).get(args.id)
    except LeadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for key in ("id", "status", "tier", "score", "qualified", "created_at", "updated_at", "role", "engagement",
                "start", "start_said", "company", "company_size", "name", "email", "phone", "details", "channel",
                "user", "source", "campaign"):
        print(f"{key:12} {lead.get(key) if lead.get(key) is not None else '-'}")
    print("why this tier:")
    print("".join(f"  {reason}\n" for reason in lead["reasons"]), end="")
    print("transcript:")
    print("".join(f"  > {line}\n" for line in lead["transcript"]), end="")
    print("history:")
    print("".join(f"  {h['at']} {h['status']} by {h['by']}\n" for h in lead["history"]), end="")
    return 0


def cmd_leads_set_status(args: argparse.Namespace) -> int:
    try:
        change = LeadStore(open_db(args.db)).set_status(args.id, args.status, by=args.by)
    except LeadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{args.id}: {change.previous} -> {change.lead['status']}")
    return 0


def cmd_leads_rules(args: argparse.Namespace) -> int:
    rules = Rules()
    print(f"rules file: {rules.path}")
    print("\n".join(rules.describe()))
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    rows = Outbox(open_db(args.db)).rows()
    if not rows:
        print("Outbox is empty: nothing pending or failed.")
    for row in rows:
        due = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row["next_attempt_at"]))
        print(f"#{row['id']:<5} {row['status']:8} {row['sink']:8} {row['kind']:8} lead {row['lead_id']}  "
              f"attempts {row['attempts']}  next {due}  {row['last_error'] or ''}")
    return 0


def cmd_outbox_deliver(args: argparse.Namespace) -> int:
    outbox = Outbox(open_db(args.db))
    webhook = WebhookSink.from_env()
    sinks = {"webhook": webhook} if webhook else {}
    while True:
        counts = outbox.deliver_due(sinks)
        if counts["sent"] or counts["retried"] or counts["dead"] or not args.loop:
            print(", ".join(f"{k} {v}" for k, v in counts.items()), flush=True)
        if not args.loop:
            return 0
        time.sleep(args.interval)


def cmd_forget(args: argparse.Namespace) -> int:
    db = open_db(args.db)
    count = forget_user(db, args.user)
    print(f"Forgot {args.user}: conversations and messages deleted, {count} lead(s) anonymized.")
    return 0


def add_commands(add) -> None:
    """`add(name, **kwargs)` makes a subparser that accepts --db."""
    leads = add("leads", help="talent requests filed by the assistant").add_subparsers(dest="leads_command",
                                                                                       required=True)
    common = add.common
    listing = leads.add_parser("list", parents=[common], help="a table of leads")
    listing.add_argument("--open", action="store_true", help="only new, claimed and contacted leads")
    listing.set_defaults(func=cmd_leads_list)
    exporting = leads.add_parser("export", parents=[common], help="export leads for another tool")
    exporting.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    exporting.add_argument("--since", help="only leads created on or after this date (YYYY-MM-DD)")
    exporting.set_defaults(func=cmd_leads_export)
    show = leads.add_parser("show", parents=[common], help="one lead with its tier reasons and transcript")
    show.add_argument("id")
    show.set_defaults(func=cmd_leads_show)
    status = leads.add_parser("set-status", parents=[common], help=f"move a lead: {' → '.join(STATUSES)}")
    status.add_argument("id")
    status.add_argument("status", choices=STATUSES)
    status.add_argument("--by", default="cli", help="who made the change (shown in the history)")
    status.set_defaults(func=cmd_leads_set_status)
    leads.add_parser("rules", parents=[common], help="the qualification rules in force").set_defaults(
        func=cmd_leads_rules)

    outbox = add("outbox", help="pending and failed lead notifications")
    outbox.set_defaults(func=cmd_outbox)
    outbox_sub = outbox.add_subparsers(dest="outbox_command")
    deliver = outbox_sub.add_parser("deliver", parents=[common], help="send what is due (webhook sink)")
    deliver.add_argument("--loop", action="store_true", help="keep delivering until interrupted")
    deliver.add_argument("--interval", type=float, default=5.0)
    deliver.set_defaults(func=cmd_outbox_deliver)

    forget = add("forget", help="delete a user's conversations and anonymize their leads")
    forget.add_argument("user")
    forget.set_defaults(func=cmd_forget)
