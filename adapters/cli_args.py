"""What every `oncall-bot` command shares: argument types (days, lead ids), the runtime errors that end a
command with exit code 1 (2 is argparse's, for usage errors), `--version`, and the tables people read."""

from __future__ import annotations

import argparse
import logging
import re
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.sales.leads import LeadError

log = logging.getLogger(__name__)

_DAYS_AGO = re.compile(r"(\d{1,5})d")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_PASSWORD = re.compile(r"(?<=://)([^/:@]+):[^/@]+@")


class CliError(Exception):
    """A command that cannot do what was asked (nothing configured, nothing to act on): `error: …`, exit 1."""


def today() -> date:
    """Today in UTC: leads and turns are stamped in UTC, so days are UTC days everywhere in the CLI."""
    return datetime.now(UTC).date()


def day(text: str) -> date:
    """An argparse `type=` for day options: `YYYY-MM-DD`, `today`, `yesterday` or `Nd` (N days ago, `7d`)."""
    word = text.strip().lower()
    if word in ("today", "yesterday"):
        return today() - timedelta(days=word == "yesterday")
    if match := _DAYS_AGO.fullmatch(word):
        return today() - timedelta(days=int(match[1]))
    if _ISO_DAY.fullmatch(word):  # fromisoformat alone would also take 20240101 and week dates
        try:
            return date.fromisoformat(word)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a date on the calendar") from None
    raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD, today, yesterday or Nd (N days ago, "
                                     "e.g. 7d)")


def day_range(since: date, until: date) -> tuple[str, str]:
    """UTC days `since`..`until` (both included) as the half-open range [start, end) of ISO timestamps in the
    store's format (`2026-01-31T00:00:00Z`): `start <= created_at < end` compares them as text, correctly."""
    end = until + timedelta(days=1)
    return f"{since.isoformat()}T00:00:00Z", f"{end.isoformat()}T00:00:00Z"


def version() -> str:
    """The installed package's version; from pyproject.toml when run from a checkout that was never installed."""
    from importlib import metadata

    try:
        return metadata.version("oncall-assistant")
    except metadata.PackageNotFoundError:
        import tomllib

        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]


class ShowVersion(argparse.Action):
    """`--version`: the metadata is read only when asked, so that every other command starts as fast."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the version (oncall-bot X.Y.Z) and exit")

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"oncall-bot {version()}")
        parser.exit()


def runtime_error(error: Exception, location: str | None) -> str | None:
    """The one-line `error: …` for an error a command can meet at run time (a refused lead change, a store
    that cannot be opened, a missing file), or None for a bug, which keeps its traceback. `location`: the
    `--db` given, to name the store that failed."""
    if isinstance(error, LeadError | CliError):
        return f"error: {error}"
    # psycopg is named, not imported: importing it would cost every command over 0.1 s
    if isinstance(error, sqlite3.Error) or type(error).__module__.split(".")[0] in ("psycopg", "psycopg_pool"):
        from bot.storage.database import default_location

        where = _PASSWORD.sub(r"\1:***@", str(location or default_location()))  # never print a password
        log.debug("database error", exc_info=error)
        return f"error: cannot use the database {where}: {str(error).strip() or type(error).__name__}"
    if isinstance(error, OSError):
        log.debug("OS error", exc_info=error)
        return f"error: {error.strerror or error}" + (f": {error.filename}" if error.filename else "")
    return None


def print_table(columns: Sequence[str], rows: Iterable[Sequence[object]], title: str | None = None,
                whole: Sequence[str] = ("id", "lead"), empty: str | None = None) -> None:
    """A table for people. Cells are plain text (never rich markup: a user's "[x]" stays "[x]"); `whole`
    columns — ids someone will copy — are never folded. Piped, it is drawn 200 wide instead of rich's 80, so
    that nothing is folded at all. `empty`: what to say under the headers when there are no rows."""
    from rich.console import Console  # imported when used: `oncall-bot --help` stays instant
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=200)
    rows = list(rows)
    table = Table(title=title, title_justify="left", caption=empty if not rows else None)
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in whole)
    for row in rows:
        table.add_row(*(Text("-" if value is None or value == "" else str(value)) for value in row))
    console.print(table)
