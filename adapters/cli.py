"""`oncall-bot`: the command line. Each subcommand wires an adapter or a tool to the engine."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from datetime import date
from pathlib import Path

from adapters.cli_args import ShowVersion, print_table, runtime_error
from adapters.cli_handoffs import add_handoffs_command
from adapters.cli_kb import add_kb_commands
from adapters.cli_leads import add_commands
from adapters.cli_report import add_report_command
from adapters.cli_store import add_store_commands
from adapters.logs import setup_logging
from bot.storage.database import default_location, open_db


def _engine(args: argparse.Namespace):
    from adapters.sinks import configured_sinks
    from bot.engine import Engine  # imported late: `--help` stays instant

    return Engine(open_db(args.db), notify=configured_sinks())


def cmd_chat(args: argparse.Namespace) -> int:
    from adapters.console import chat, history_path

    return chat(_engine(args), sys.stdin, sys.stdout, show_sources=args.sources, history=history_path())


def cmd_replay(args: argparse.Namespace) -> int:
    from adapters.replay import run

    return run(_engine(args), sys.stdin, sys.stdout)


def cmd_kb_search(args: argparse.Namespace) -> int:
    engine = _engine(args)
    words = engine.normalize.spelled_out(engine.normalize(" ".join(args.query)).words)
    hits = engine.kb.search(words, limit=args.limit)
    if not hits:
        print(f"No passages match “{' '.join(args.query)}”.")
    for hit in hits:
        print(f"[{hit.document} › {hit.heading}] ({hit.kind}) {hit.text}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    if args.stories is not None:
        if args.html:
            print("error: --html reports on a labelled set; it does not apply to --stories", file=sys.stderr)
            return 2
        return _eval_stories(args)
    from bot.evaluation.labelled import default_set, evaluate, format_report, load_cases

    path = Path(args.file) if args.file else default_set()
    html = Path(args.html) if args.html else None
    if html and not html.parent.is_dir():  # checked before the evaluation runs, not after
        print(f"error: cannot write the HTML report to {html}: there is no directory {html.parent}", file=sys.stderr)
        return 2
    if not path.is_file():  # the argument is wrong: a usage error
        print(f"error: no labelled set at {path}", file=sys.stderr)
        return 2
    try:
        cases = load_cases(path)
    except ValueError as error:  # the file is there but its content is not a labelled set
        print(f"error: {error}", file=sys.stderr)
        return 1
    engine = _engine(args)
    report = evaluate(engine, cases)
    print(format_report(report, show_errors=args.errors))
    if html:
        from bot.evaluation.html_report import write_html

        try:
            write_html(report, html, source=str(path))
        except OSError as error:
            print(f"error: cannot write the HTML report to {html}: {error.strerror or error}", file=sys.stderr)
            return 1
        print(f"HTML report written to {html}", file=sys.stderr)
    return 0


def _eval_stories(args: argparse.Namespace) -> int:
    from bot.engine import Engine
    from bot.evaluation.stories import DEFAULT_STORIES, evaluate_stories, format_story_report, load_stories

    files = [Path(f) for f in args.stories] or sorted(DEFAULT_STORIES.glob("*.yaml"))
    missing = [str(path) for path in files if not path.is_file()]
    if missing:  # the argument is wrong: a usage error
        print(f"error: no stories file at {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        for path in files:
            load_stories(path)
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    def handler(today):
        # Each file plays on its own in-memory database: stories file leads and erase data for real.
        engine = Engine(open_db(":memory:"), today=(lambda: today) if today else date.today)
        return engine.handle

    report = evaluate_stories(handler, files)
    print(format_story_report(report, show_replies=args.errors))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    engine = _engine(args)
    text = " ".join(args.text)
    normalized = engine.normalize(text)
    entities, ranking = engine.understand(text)
    print(f"normalized: {normalized.text}")
    print(f"masked:     {entities.masked}")
    print(f"roles: {', '.join(entities.roles) or '-'}   signals: {', '.join(s.id for s in entities.signals) or '-'}"
          f"   out of scope: {', '.join(o.phrase for o in entities.out_of_scope) or '-'}")
    for match in ranking[:5]:
        print(f"  {match.confidence:.3f}  {match.intent:22} {'; '.join(match.evidence)}")
    return 0


def cmd_fallbacks(args: argparse.Namespace) -> int:
    from bot.storage.store import Store

    rows = Store(open_db(args.db)).fallbacks(args.limit)
    if not rows:
        print("No unanswered questions recorded yet.")
        return 0
    print_table(("asked (UTC)", "channel", "question"),
                [(row["created_at"].replace("T", " ").removesuffix("Z"), row["channel"], row["text"]) for row in rows])
    return 0


def build_parser() -> argparse.ArgumentParser:
    db_help = (f"a SQLite file or a postgresql:// URL (default: $ONCALL_DB, else $DATABASE_URL, else "
               f"{default_location()})")
    parser = argparse.ArgumentParser(prog="oncall-bot", description="OnCall Assistant")
    parser.add_argument("--db", default=None, help=db_help)
    parser.add_argument("--version", action=ShowVersion)
    # `--db` is accepted after the subcommand too (`oncall-bot replay --db PATH`); SUPPRESS keeps the
    # top-level value when it is not repeated there.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=db_help)
    sub = parser.add_subparsers(dest="command", required=True)
    def add(name: str, **kwargs):
        return sub.add_parser(name, parents=[common], **kwargs)

    add.common = common

    chat = add("chat", help="chat in the terminal")
    chat.add_argument("--sources", action="store_true", help="show each answer's source section and intent")
    chat.set_defaults(func=cmd_chat)

    add("replay", help="JSON Lines in on stdin, one JSON reply per line out").set_defaults(
        func=cmd_replay)

    add_kb_commands(add, search=cmd_kb_search)  # kb build|add|status|search and init (adapters/cli_kb.py)

    evaluation = add("eval", help="score intent recognition on a labelled YAML set")
    evaluation.add_argument("file", nargs="?", help="labelled set (default: labelled.yaml in the config directory, "
                                                    "else the built-in eval/labelled.yaml)")
    evaluation.add_argument("--errors", action="store_true",
                            help="list every misclassified message (with --stories: the failing replies)")
    evaluation.add_argument("--stories", nargs="*", metavar="FILE", default=None,
                            help="run conversation stories instead (default: eval/stories/*.yaml)")
    evaluation.add_argument("--html", metavar="OUT.html",
                            help="also write the report as one self-contained HTML page, with a confusion heat map")
    evaluation.set_defaults(func=cmd_eval)

    explain = add("explain", help="show how a message is understood: normalization, entities, ranking")
    explain.add_argument("text", nargs="+", help="the message, as a user would type it")
    explain.set_defaults(func=cmd_explain)

    fallbacks = add("fallbacks", help="what users asked that the assistant could not answer")
    fallbacks.add_argument("--limit", type=int, default=50, metavar="N",
                           help="show the N most recent questions (default: 50)")
    fallbacks.set_defaults(func=cmd_fallbacks)
    add_commands(add)
    add_store_commands(add)
    add_report_command(add)
    add_handoffs_command(add)

    # Channel commands import Slack/Telegram libraries only when run: the chat stays quick to start.
    add("slack", help="run the Slack app in Socket Mode (SLACK_BOT_TOKEN, SLACK_APP_TOKEN)").set_defaults(
        func=_lazy("adapters.cli_channels", "cmd_slack"))
    add("telegram", help="run the Telegram bot with long polling (TELEGRAM_BOT_TOKEN)").set_defaults(
        func=_lazy("adapters.cli_channels", "cmd_telegram"))
    serve = add("serve", help="HTTP server: /slack/events, /telegram/webhook, /healthz, /admin")
    serve.add_argument("--host", default="0.0.0.0",
                       help="the address to listen on (default: 0.0.0.0, every interface; 127.0.0.1: this machine)")
    serve.add_argument("--port", type=int, default=None, help="the port to listen on (default: $PORT or 8000)")
    serve.set_defaults(func=_lazy("adapters.cli_channels", "cmd_serve"))
    return parser


def _lazy(module: str, name: str):
    def run(args: argparse.Namespace) -> int:
        return getattr(importlib.import_module(module), name)(args)

    return run


def main(argv: list[str] | None = None) -> int:
    setup_logging()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`oncall-bot leads export | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:
        # Exit codes: 2 is argparse's (usage), 1 a runtime error said in one line (unknown lead, store
        # unreachable, nothing configured); anything else is a bug and keeps its traceback.
        message = runtime_error(error, args.db)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
