"""Background delivery for long-running processes (`serve`, `slack`, `telegram`)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from bot.sales.outbox import Outbox
from bot.sales.webhook import WebhookSink
from bot.storage.database import open_db

log = logging.getLogger(__name__)


def start_webhook_worker(db_path: Path | str | None, stop: threading.Event,
                         interval: float = 2.0) -> threading.Thread | None:
    """Deliver the webhook sink's rows from a thread with its own SQLite connection (connections are
    not shared across threads); None when no webhook is configured."""
    sink = WebhookSink.from_env()
    if sink is None:
        return None

    def run() -> None:
        outbox = Outbox(open_db(db_path))
        while not stop.is_set():
            try:
                outbox.deliver_due({"webhook": sink})
            except Exception:  # noqa: BLE001 - the rows stay in the outbox; try again next pass
                log.exception("webhook delivery pass failed")
            stop.wait(interval)

    thread = threading.Thread(target=run, name="webhook-outbox", daemon=True)
    thread.start()
    return thread
