"""What every long-running command shares: token checks and a banner at start-up, background threads
(webhook deliveries, pruning), and a clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

from adapters.workers import start_webhook_worker
from bot.storage.database import open_db
from bot.storage.retention import Retention, prune

log = logging.getLogger(__name__)
PRUNE_EVERY_S = 6 * 3600.0


def banner(line: str) -> None:
    print(line, flush=True)


async def check_slack(client, mode: str) -> str:
    """auth.test: the banner line, or SystemExit naming the variable (never the token) if refused."""
    from slack_sdk.errors import SlackApiError

    try:
        who = await client.auth_test()
    except SlackApiError as error:
        raise SystemExit(f"error: Slack rejected SLACK_BOT_TOKEN ({error.response.get('error')})") from None
    except Exception as error:  # noqa: BLE001 - unreachable, DNS, TLS: say so plainly
        raise SystemExit(f"error: cannot reach Slack to check SLACK_BOT_TOKEN ({type(error).__name__})") from None
    return f"Slack: connected as @{who.get('user')} in {who.get('team')} ({who.get('team_id')}), {mode}"


async def check_telegram(application, mode: str, start: Callable) -> str:
    """Run `start()` (initialize: getMe, then webhook/commands set-up) with a clear error if refused."""
    from telegram.error import InvalidToken, TelegramError

    try:
        await start()
    except InvalidToken:  # its message holds the token itself: never print it
        raise SystemExit("error: Telegram rejected TELEGRAM_BOT_TOKEN (check it with @BotFather)") from None
    except TelegramError as error:
        raise SystemExit(f"error: Telegram refused the start-up calls ({type(error).__name__})") from None
    return f"Telegram: connected as @{application.bot.username}, {mode}"


class Background:
    """Threads with their own database connection: the lead webhook's deliveries and pruning."""

    def __init__(self, db_path: Path | str | None):
        self.retention = Retention.from_env()  # a bad ONCALL_KEEP_* value stops the start, not a thread
        self.stop = threading.Event()
        start_webhook_worker(db_path, self.stop)
        threading.Thread(target=self._prune, args=(db_path,), name="prune", daemon=True).start()

    def _prune(self, db_path: Path | str | None) -> None:
        db = open_db(db_path)
        while not self.stop.is_set():
            try:
                deleted = prune(db, self.retention)
                if any(deleted.values()):
                    log.info("pruned %s", deleted)
            except Exception:  # noqa: BLE001 - a locked database now is fine later
                log.exception("pruning failed; will try again")
            self.stop.wait(PRUNE_EVERY_S)

    def close(self) -> None:
        self.stop.set()


def stop_on_signals(stop: Callable[[], None]) -> None:
    """SIGTERM (the platform restarting a dyno) and Ctrl-C call `stop` instead of killing mid-turn."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread, or Windows
            loop.add_signal_handler(sig, stop)


def cancel(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()


async def repeat(work: Callable[[], Awaitable[object]], interval: float, what: str) -> None:
    """Run `work` every `interval` seconds until cancelled; a failing pass is logged and the loop goes on
    (what it was sending stays queued in the store for the next pass)."""
    while True:
        try:
            await work()
        except Exception:  # noqa: BLE001 - keep the sender alive
            log.exception("%s pass failed", what)
        await asyncio.sleep(interval)
