"""`oncall-bot leads …`, `oncall-bot outbox …`, `oncall-bot forget USER`: what sales and the owner run.

A request that cannot be carried out (unknown lead, impossible status change, no sink configured) raises
LeadError or CliError: `adapters.cli.main` prints it as `error: …` and exits 1.
"""

from __future__ import annotations

import argparse
import sys
import time

from adapters.cli_args import CliError, day, day_range, print_table
from bot.sales.leads import STATUSES, LeadError, LeadStore, export
from bot.storage.database import open_db

NO_WEBHOOK = ("no webhook sink is configured: set ONCALL_LEAD_WEBHOOK_URL (the receiver's URL) and "
              "ONCALL_LEAD_WEBHOOK_SECRET, then run this again: leads of the last 30 days that never reached "
              "it are sent too. Slack sales-channel notices are posted by `oncall-bot slack`, not by this command.")


def cmd_leads_list(args: argparse.Namespace) -> int:
    leads = LeadStore(open_db(args.db)).all(open_only=args.open)
    if not leads:
        print("No open leads." if args.open else "No leads yet.")
        return 0
    print_table(("id", "created (UTC)", "status", "tier", "score", "role", "engagement", "start", "company",
                 "channel"),
                [(lead["id"], lead["created_at"].replace("T", " ").removesuffix("Z"), lead["status"], lead["tier"],
                  lead["score"], lead["role"], lead["engagement"], lead["start"], lead["company"], lead["channel"])
                 for lead in leads])
    return 0


def cmd_leads_export(args: argparse.Namespace) -> int:
    if args.since and args.until and args.until < args.since:
        print(f"error: --until {args.until} is before --since {args.since}", file=sys.stderr)
        return 2  # a usage error, like argparse's own
    # created_at is an ISO UTC timestamp: compared with the days' bounds, not with the text typed
    leads = LeadStore(open_db(args.db)).all(since=day_range(args.since, args.since)[0] if args.since else None,
                                            before=day_range(args.until, args.until)[1] if args.until else None)
    sys.stdout.write(export(leads, args.format))
    return 0


def cmd_leads_show(args: argparse.Namespace) -> int:
    lead = LeadStore(open_db(args.db)).get(args.id)
    for key in ("id", "status", "tier", "score", "qualified", "created_at", "updated_at", "role", "engagement",
                "start", "start_said", "company", "company_size", "name", "email", "phone", "details", "channel",
                "user", "source", "campaign", "owner"):  # owner: the sales user who answered their hand-off
        print(f"{key:12} {lead.get(key) if lead.get(key) is not None else '-'}")
    print("why this tier:")
    print("".join(f"  {reason}\n" for reason in lead["reasons"]), end="")
    print("transcript:")
    print("".join(f"  > {line}\n" for line in lead["transcript"]), end="")
    print("history:")
    print("".join(f"  {h['at']} {h['status']} by {h['by']}\n" for h in lead["history"]), end="")
    return 0


def cmd_leads_set_status(args: argparse.Namespace) -> int:
    change = LeadStore(open_db(args.db)).set_status(args.id, args.status, by=args.by)
    if change.previous == args.status:
        # The store treats a repeated move as a no-op (a double click in Slack); typed on purpose, it is a
        # mistake worth saying: nothing changed and no history entry was added.
        raise LeadError(f"{change.lead['id']} is already {args.status}")
    print(f"{change.lead['id']}: {change.previous} -> {change.lead['status']}")
    return 0


def cmd_leads_rules(args: argparse.Namespace) -> int:
    from bot.config import qualification_location
    from bot.sales.qualify import Rules  # each command imports what only it needs: `--help` stays instant

    rules = Rules()
    print(f"rules file: {qualification_location()}")  # where to edit them: never inside the installed package
    print("\n".join(rules.describe()))
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    from bot.sales.outbox import Outbox

    rows = Outbox(open_db(args.db)).rows()
    if not rows:
        print("Outbox is empty: nothing pending or failed.")
        return 0
    print_table(("#", "status", "sink", "kind", "lead", "attempts", "next try (UTC)", "last error"),
                [(row["id"], row["status"], row["sink"], row["kind"], row["lead_id"], row["attempts"],
                  time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(row["next_attempt_at"])), row["last_error"])
                 for row in rows])
    return 0


def cmd_outbox_deliver(args: argparse.Namespace) -> int:
    from bot.sales.outbox import Outbox
    from bot.sales.webhook import WebhookSink

    webhook = WebhookSink.from_env()
    if webhook is None:
        raise CliError(NO_WEBHOOK)
    outbox = Outbox(open_db(args.db))
    offered = outbox.offer_leads(["webhook"])  # deliver_due offers them too; done first here to say so
    if offered:
        print(f"Queued {offered} lead(s) filed before the webhook was configured.", flush=True)
    while True:
        counts = outbox.deliver_due({"webhook": webhook})
        if counts["sent"] or counts["retried"] or counts["dead"] or not args.loop:
            print(", ".join(f"{k} {v}" for k, v in counts.items()), flush=True)
        if not args.loop:
            return 0
        time.sleep(args.interval)


def cmd_forget(args: argparse.Namespace) -> int:
    from bot.sales.privacy import forget_user

    counts = forget_user(open_db(args.db), args.user)
    done = [f"{n} {what}" for what, n in counts.items() if n]
    if not done:  # not an error: after this command, nothing is stored for them either way
        print(f"Nothing stored for {args.user}.")
    else:
        print(f"Forgot {args.user}: {', '.join(done)}.")
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
    exporting.add_argument("--format", choices=("csv", "jsonl"), default="csv",
                           help="csv (one header row; booleans as true/false) or jsonl (one JSON object a line); "
                                "default: csv")
    days = "YYYY-MM-DD, today, yesterday or Nd (N days ago, e.g. 7d)"
    exporting.add_argument("--since", type=day, metavar="DAY",
                           help=f"only leads filed on or after this UTC day, from its 00:00: {days}")
    exporting.add_argument("--until", type=day, metavar="DAY",
                           help=f"only leads filed on or before this UTC day, all of it: {days}")
    exporting.set_defaults(func=cmd_leads_export)
    show = leads.add_parser("show", parents=[common], help="one lead with its tier reasons and transcript")
    show.add_argument("id", help="the lead's id, e.g. L-1A2B3C4D5E (any case)")
    show.set_defaults(func=cmd_leads_show)
    status = leads.add_parser("set-status", parents=[common], help=f"move a lead: {' → '.join(STATUSES)}")
    status.add_argument("id", help="the lead's id, e.g. L-1A2B3C4D5E (any case)")
    status.add_argument("status", choices=STATUSES,
                        help="the new status: claimed, contacted, then won or lost (a claimed lead can go back to "
                             "new; won and lost are final)")
    status.add_argument("--by", default="cli", help="who made the change (shown in the history; default: cli)")
    status.set_defaults(func=cmd_leads_set_status)
    leads.add_parser("rules", parents=[common], help="the qualification rules in force").set_defaults(
        func=cmd_leads_rules)

    outbox = add("outbox", help="pending and failed lead notifications")
    outbox.set_defaults(func=cmd_outbox)
    outbox_sub = outbox.add_subparsers(dest="outbox_command")
    deliver = outbox_sub.add_parser("deliver", parents=[common],
                                    help="send what is due to the webhook sink (ONCALL_LEAD_WEBHOOK_URL), first "
                                         "queueing recent leads it never had")
    deliver.add_argument("--loop", action="store_true", help="keep delivering until interrupted")
    deliver.add_argument("--interval", type=float, default=5.0, metavar="SECONDS",
                         help="with --loop, seconds to wait between passes (default: 5)")
    deliver.set_defaults(func=cmd_outbox_deliver)

    forget = add("forget", help="delete a user's conversations and anonymize their leads")
    forget.add_argument("user", metavar="USER",
                        help="the user's id on their channel, as stored: a Slack member id (U123ABC), a Telegram "
                             "numeric user id (12345678), the console's login name, or replay's \"user\"")
    forget.set_defaults(func=cmd_forget)
