"""`oncall-bot report`: the owner's weekly figures as tables, one JSON object, or the dashboard page."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from adapters.cli_args import day, print_table, today
from bot.storage.database import open_db


def cmd_report(args: argparse.Namespace) -> int:
    from bot.insights.report import build_report, report_period  # when used: `--help` stays instant

    try:
        since, until = report_period(args.since, args.until, today())
    except ValueError as error:
        print(f"error: --since and --until: {error}", file=sys.stderr)
        return 2
    html = Path(args.html) if args.html else None
    if html and not html.parent.is_dir():
        print(f"error: cannot write {html}: there is no directory {html.parent}", file=sys.stderr)
        return 1
    db = open_db(args.db)
    if html:
        from bot.insights.dashboard import dashboard_page

        html.write_text(dashboard_page(db, since, until, args.channel))
        print(f"Dashboard written to {html}", file=sys.stderr)
    report = build_report(db, since, until, args.channel)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    elif not html:
        print_report(report)
    return 0


def print_report(report: dict) -> None:
    from bot.insights.handoffs import duration
    from bot.insights.report import FUNNEL

    print(f"OnCall Assistant — {report['since']} to {report['until']} (UTC)")
    days = sorted({row["day"] for row in report["daily"]})
    channels = sorted({row["channel"] for row in report["daily"]})
    volume = {(row["day"], row["channel"]): row["messages"] for row in report["daily"]}
    print_table(("day", *channels), [(d, *(volume.get((d, c), 0) for c in channels)) for d in days],
                "Messages by day and channel", empty="no messages")
    print_table(("", "all", *report["by_channel"]), [
        (key.replace("_", " "), report["funnel"][key], *(report["by_channel"][c][key] for c in report["by_channel"]))
        for key in FUNNEL], "Funnel")
    print_table(("campaign", *(k.replace("_", " ") for k in FUNNEL)),
                [(c, *(f[k] for k in FUNNEL)) for c, f in report["by_campaign"].items()], "Campaigns",
                empty="no campaign traffic")
    print_table(("field", "abandoned"), list(report["form_dropoff"].items()),
                "Talent requests abandoned, by the field being asked", empty="none abandoned")
    print_table(("intent", "turns"), list(report["intents"].items())[:15], "Top intents", empty="no turns")
    print_table(("example", "count"), [(u["text"], u["count"]) for u in report["unanswered"]],
                "Unanswered questions (similar ones grouped)", empty="none")
    handoffs = report["handoffs"]
    print_table(("requested", "answered", "unanswered in time", "open", "median first reply", "median to close"),
                [(handoffs["requested"], handoffs["answered"], handoffs["unanswered"], handoffs["open"],
                  duration(handoffs["median_first_reply_s"]), duration(handoffs["median_to_close_s"]))]
                if handoffs["requested"] else [], "Hand-offs to sales", empty="none")


def add_report_command(add) -> None:
    report = add("report", help="the owner's figures: volume, funnel, drop-off, campaigns, unanswered questions")
    report.add_argument("--since", type=day, help="first UTC day: YYYY-MM-DD, today, yesterday or Nd "
                                                  "(N days ago; default: 29 days before --until, for 30 days)")
    report.add_argument("--until", type=day, help="last UTC day, inclusive (same forms; default: today)")
    report.add_argument("--channel", help="only this channel (console, slack, telegram)")
    report.add_argument("--json", action="store_true", help="print exactly one JSON object instead of tables")
    report.add_argument("--html", metavar="FILE", help="write the dashboard page to FILE (one self-contained file)")
    report.set_defaults(func=cmd_report)
