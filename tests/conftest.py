"""Shared fixtures: fresh databases, one engine per test session, and the `oncall-bot` command.

Network: pytest-socket (configured in pyproject.toml) refuses any connection that is not to
localhost, so a test that reaches the internet fails instead of passing by luck.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.dialogue.state import ConversationState
from bot.engine import Engine
from bot.storage.database import open_db
from bot.types import Message

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture
def fresh_db(tmp_path):
    """A new temp-file database, like sqlite-utils' own `fresh_db` fixture. Modules whose tests must hold on
    both backends override it with `both_backends` (see `any_db`)."""
    return open_db(tmp_path / "test.db")


@pytest.fixture(scope="session")
def pg_url():
    """A throwaway PostgreSQL database for this test session, migrated once; the run fails if there is no
    PostgreSQL (tests/pg.py starts the local cluster when it is down)."""
    import pg

    try:
        admin = pg.ensure_server()
    except pg.NoPostgres as error:
        pytest.exit(f"PostgreSQL is required for the PostgreSQL tests: {error}", returncode=3)
    url = pg.create_database(admin)
    open_db(url).close()  # migrate once
    yield url
    pg.drop_database(admin, url)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request, tmp_path):
    """A fresh store on each backend in turn: a temp SQLite file, then the session's PostgreSQL database
    emptied of rows."""
    if request.param == "sqlite":
        db = open_db(tmp_path / "test.db")
    else:
        import pg

        url = request.getfixturevalue("pg_url")
        pg.empty(url)
        db = open_db(url)
    yield db
    db.close()


@pytest.fixture(scope="session")
def shared_engine(tmp_path_factory) -> Engine:
    """Building an engine takes ~0.1 s; read-only tests share one."""
    return Engine(open_db(tmp_path_factory.mktemp("engine") / "shared.db"))


@pytest.fixture
def engine(fresh_db) -> Engine:
    return Engine(fresh_db)


class Conversation:
    """Talk to an engine as one user, turn by turn, without touching the store."""

    def __init__(self, engine: Engine, user: str = "tester", channel: str = "test"):
        self.engine, self.user, self.channel = engine, user, channel
        self.state = ConversationState()

    def say(self, text: str):
        reply, self.state = self.engine.respond(Message(user=self.user, text=text, channel=self.channel), self.state)
        return reply

    def press(self, value: str):
        reply, self.state = self.engine.respond(
            Message(user=self.user, button=value, channel=self.channel), self.state)
        return reply


@pytest.fixture
def talk(shared_engine):
    return lambda: Conversation(shared_engine)


def oncall_bot() -> list[str]:
    found = shutil.which("oncall-bot", path=str(Path(sys.executable).parent)) or shutil.which("oncall-bot")
    return [found] if found else [sys.executable, "-m", "adapters.cli"]


@pytest.fixture
def cli(tmp_path):
    """Run `oncall-bot ARGS` as a real process on a temp database; returns CompletedProcess."""
    db = tmp_path / "cli.db"

    def run(*args: str, input: str = "", db_path: Path | None = None, check: bool = True):
        env = {**os.environ, "ONCALL_DB": str(db_path or db)}
        result = subprocess.run([*oncall_bot(), *args], input=input, capture_output=True, text=True, env=env,
                                timeout=120, cwd=tmp_path)
        if check and result.returncode != 0:
            raise AssertionError(f"oncall-bot {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result

    run.db = db
    return run


def replay_lines(cli, lines: list[dict | str], **kwargs) -> list[dict]:
    payload = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    result = cli("replay", input=payload, **kwargs)
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def app_logs(monkeypatch):
    """Install the app's own logging (adapters/logs.py) on a fresh stream, after the test set its environment;
    returns `install(**env) -> stream`. Every logger level it touched is restored afterwards, so no test
    sees another's logging set-up (pytest's caplog handler is never modified)."""
    import io
    import logging

    from adapters.logs import LIBRARIES, QUIET, setup_logging

    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in (*LIBRARIES, *QUIET))]
    levels = [logger.level for logger in loggers]
    stream, handlers = io.StringIO(), []

    def install(**env: str) -> io.StringIO:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        handlers.append(setup_logging(stream))
        return stream

    yield install
    for handler in handlers:
        logging.getLogger().removeHandler(handler)
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def pytest_collection_modifyitems(items):
    """Tests of the fakes (tests/test_fake_*.py) check our test doubles, not the product: marked, and
    counted apart in the summary (`-m "not fakes"` runs the product's tests alone)."""
    for item in items:
        if item.path.name.startswith("test_fake_"):
            item.add_marker(pytest.mark.fakes)


def pytest_terminal_summary(terminalreporter):
    passed = terminalreporter.stats.get("passed", [])
    fakes = sum(1 for report in passed if "fakes" in report.keywords)
    if passed:
        terminalreporter.write_line(f"{len(passed) - fakes} product tests passed, {fakes} tests of the fakes passed")
