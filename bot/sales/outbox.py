"""The outbox: notifications queued in the same transaction that files a lead, delivered by a worker.

A sink that is down loses nothing: a failed delivery stays in the outbox and is retried with
exponential backoff. Each row is claimed with a lease before it is sent, so two workers never send
the same row at once; a webhook carries a `webhook-id` derived from the lead (the same on every retry,
Standard Webhooks) so that a receiver can drop the duplicate a crash between "sent" and "marked sent"
could cause.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.sales.leads import FORGOTTEN, LeadStore
from bot.storage.claims import claim_due
from bot.storage.database import Database
from bot.storage.retention import Retention

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 5.0
BACKOFF_CAP_S = 3600.0
MAX_ATTEMPTS = 15


class DeliveryError(Exception):
    """A sink could not take the message now; `retry_after` (seconds) when the sink said so."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


Sink = Callable[[dict], None]


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    lead_id: str
    sink: str
    kind: str
    payload: dict
    attempts: int
    interrupted: bool = False  # an earlier worker took it and died mid-send: it may have gone out


class Outbox:
    def __init__(self, db: Database):
        self.db = db

    def enqueue(self, lead_id: str, sink: str, kind: str, payload: dict) -> int:
        """Inside the caller's transaction. Enqueuing the same (lead, sink, kind) twice is a no-op: returns
        the rows added, 1 or 0."""
        now = time.time()
        return self.db.execute(
            "insert into outbox (lead_id, sink, kind, payload, status, attempts, next_attempt_at, created_at) "
            "values (?, ?, ?, ?, 'pending', 0, ?, ?) on conflict (lead_id, sink, kind) do nothing",
            [lead_id, sink, kind, json.dumps(payload, ensure_ascii=False), now, now],
        )

    def rows(self, statuses: tuple[str, ...] = ("pending", "dead")) -> list[dict]:
        marks = ", ".join("?" for _ in statuses)
        return self.db.query(f"select id, lead_id, sink, kind, status, attempts, next_attempt_at, last_error "
                             f"from outbox where status in ({marks}) order by id", list(statuses))

    def redact(self, lead_ids: list[str], redacted: Callable[[dict], dict]) -> None:
        """Rewrite every row about these leads, delivered ones included: erasure covers our copies too."""
        for row in self.db.query(
            f"select id, payload from outbox where lead_id in ({', '.join('?' for _ in lead_ids)})", lead_ids,
        ):
            payload = redacted(json.loads(row["payload"]))
            self.db.execute("update outbox set payload = ? where id = ?", [json.dumps(payload), row["id"]])

    def cancel_handoffs(self, user: str, redacted: Callable[[dict], dict]) -> int:
        """A user who asked to be forgotten is not handed to a person afterwards: pending hand-offs are
        cancelled, and every hand-off row about them (sent ones too) loses its transcript."""
        cancelled = 0
        for row in self.db.query("select id, status, payload from outbox where kind = 'handoff' and "
                                 f"{self.db.json_text('payload', 'user')} = ?", [user]):
            status = "cancelled" if row["status"] == "pending" else row["status"]
            cancelled += status != row["status"]
            self.db.execute("update outbox set payload = ?, status = ?, lease_until = null where id = ?",
                            [json.dumps(redacted(json.loads(row["payload"]))), status, row["id"]])
        return cancelled

    def claim(self, now: float, limit: int = 50, sinks: tuple[str, ...] | None = None) -> list[Delivery]:
        """Due deliveries (for `sinks`, or all), each leased to this worker so no other sends it."""
        where = f" and sink in ({', '.join('?' for _ in sinks)})" if sinks else ""
        rows = claim_due(self.db, "outbox", "id, lead_id, sink, kind, payload, attempts", now, limit, where,
                         sinks or ())
        return [Delivery(row["id"], row["lead_id"], row["sink"], row["kind"], json.loads(row["payload"]),
                         row["attempts"], interrupted=row["lease_until"] is not None) for row in rows]

    def offer_leads(self, sinks: Iterable[str], now: float | None = None) -> int:
        """Queue a lead row for each of `sinks` for every recent lead that has none for it — filed before
        the sink was configured, or by a process that did not have it — so that configuring a sink later
        loses no lead. Returns the rows queued. Idempotent, with several workers too: (lead, sink, kind)
        is unique. Only leads filed within the retention of sent rows (ONCALL_KEEP_SENT_DAYS, 30 days) are
        offered: an older lead without a row may have been delivered and its row pruned since, and would
        be sent twice. People who are forgotten are not offered to a new sink at all."""
        from bot.sales.privacy import lead_payload  # privacy imports this module: imported when used

        now = time.time() if now is None else now
        try:
            days = Retention.from_env().sent
        except SystemExit:  # a bad setting is `prune`'s to report; this worker must keep running
            days = 1.0
        cutoff = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - days * 86_400))
        queued = 0
        leads = LeadStore(self.db)
        for sink in sinks:
            # no transaction: most passes find nothing, and each insert is atomic and idempotent on its own
            missing = self.db.query(
                "select id from leads where created_at >= ? and coalesce(\"user\", '') <> ? and not exists "
                "(select 1 from outbox where outbox.lead_id = leads.id and outbox.sink = ? and kind = 'lead') "
                "order by created_at, id", [cutoff, FORGOTTEN, sink])
            for row in missing:
                queued += self.enqueue(row["id"], sink, "lead", lead_payload(leads.get(row["id"])))
        return queued

    def deliver_due(self, sinks: dict[str, Sink], now: float | None = None, limit: int = 50) -> dict[str, int]:
        """One pass of a worker for `sinks` (lead sinks: the webhook): offer them the leads they never had
        (`offer_leads`), then send what is due; returns counts of sent / retried / dead. Rows for other
        sinks are left to the workers that have them (the Slack app posts its own)."""
        counts = {"sent": 0, "retried": 0, "dead": 0}
        if not sinks:
            return counts
        self.offer_leads(sinks)  # before `now` is read: the rows it queues are due at once
        now = time.time() if now is None else now
        for delivery in self.claim(now, limit, tuple(sinks)):
            sink = sinks[delivery.sink]
            try:
                sink(delivery.payload | {"_delivery": {"id": delivery.id, "kind": delivery.kind,
                                                       "lead_id": delivery.lead_id}})
            except Exception as error:  # noqa: BLE001 - any failure of a sink is retried later
                counts[self.failed(delivery, error, now)] += 1
            else:
                self.succeeded(delivery)
                counts["sent"] += 1
        return counts

    def succeeded(self, delivery: Delivery) -> None:
        self.db.execute("update outbox set status = 'sent', sent_at = ?, attempts = attempts + 1, "
                        "lease_until = null, last_error = null where id = ?", [time.time(), delivery.id])

    def failed(self, delivery: Delivery, error: Exception, now: float) -> str:
        """Schedule a retry with exponential backoff (or the sink's Retry-After); "retried" or "dead"."""
        attempts = delivery.attempts + 1
        wait = getattr(error, "retry_after", None) or min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempts - 1))
        status = "dead" if attempts >= MAX_ATTEMPTS else "pending"
        message = f"{type(error).__name__}: {error}"[:300]
        self.db.execute(
            "update outbox set status = ?, attempts = ?, next_attempt_at = ?, lease_until = null, "
            "last_error = ? where id = ?", [status, attempts, now + wait, message, delivery.id])
        log.warning("delivery %s to %s failed (attempt %s): %s", delivery.id, delivery.sink, attempts,
                    type(error).__name__)
        return "dead" if status == "dead" else "retried"
