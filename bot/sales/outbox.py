"""The outbox: notifications queued in the same transaction that files a lead, delivered by a worker.

A sink that is down loses nothing: a failed delivery stays in the outbox and is retried with
exponential backoff. Each row is claimed with a lease before it is sent, so two workers never send
the same row at once; a webhook carries a `webhook-id` derived from the lead (the same on every retry,
Standard Webhooks) so that a receiver can drop the duplicate a crash between "sent" and "marked sent"
could cause.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 5.0
BACKOFF_CAP_S = 3600.0
MAX_ATTEMPTS = 15
LEASE_S = 120.0


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
    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        if not db["outbox"].exists():
            db["outbox"].create(
                {
                    "id": int,
                    "lead_id": str,
                    "sink": str,
                    "kind": str,
                    "payload": str,
                    "status": str,
                    "attempts": int,
                    "next_attempt_at": float,
                    "lease_until": float,
                    "last_error": str,
                    "created_at": float,
                    "sent_at": float,
                },
                pk="id",
            )
            db["outbox"].create_index(["lead_id", "sink", "kind"], unique=True)
            db["outbox"].create_index(["status", "next_attempt_at"])

    def enqueue(self, lead_id: str, sink: str, kind: str, payload: dict) -> None:
        """Inside the caller's transaction. Enqueuing the same (lead, sink, kind) twice is a no-op."""
        now = time.time()
        self.db.conn.execute(
            "insert or ignore into outbox (lead_id, sink, kind, payload, status, attempts, next_attempt_at, "
            "created_at) values (?, ?, ?, ?, 'pending', 0, ?, ?)",
            [lead_id, sink, kind, json.dumps(payload, ensure_ascii=False), now, now],
        )

    def rows(self, statuses: tuple[str, ...] = ("pending", "dead")) -> list[dict]:
        marks = ", ".join("?" for _ in statuses)
        return list(
            self.db.query(
                f"select id, lead_id, sink, kind, status, attempts, next_attempt_at, last_error "
                f"from outbox where status in ({marks}) order by id",
                list(statuses),
            )
        )

    def redact(self, lead_ids: list[str], redacted: Callable[[dict], dict]) -> None:
        """Rewrite every row about these leads, delivered ones included: erasure covers our copies too."""
        for row in self.db.query(
            f"select id, payload from outbox where lead_id in ({', '.join('?' for _ in lead_ids)})", lead_ids,
        ):
            payload = redacted(json.loads(row["payload"]))
            self.db.conn.execute("update outbox set payload = ? where id = ?", [json.dumps(payload), row["id"]])

    def cancel_handoffs(self, user: str, redacted: Callable[[dict], dict]) -> int:
        """A user who asked to be forgotten is not handed to a person afterwards: pending hand-offs are
        cancelled, and every hand-off row about them (sent ones too) loses its transcript."""
        cancelled = 0
        for row in self.db.query("select id, status, payload from outbox where kind = 'handoff' and "
                                 "json_extract(payload, '$.user') = ?", [user]):
            status = "cancelled" if row["status"] == "pending" else row["status"]
            cancelled += status != row["status"]
            self.db.conn.execute("update outbox set payload = ?, status = ?, lease_until = null where id = ?",
                                 [json.dumps(redacted(json.loads(row["payload"]))), status, row["id"]])
        return cancelled

    def claim(self, now: float, limit: int = 50, sinks: tuple[str, ...] | None = None) -> list[Delivery]:
        """Due deliveries (for `sinks`, or all), each leased to this worker so no other sends it."""
        claimed = []
        where = f" and sink in ({', '.join('?' for _ in sinks)})" if sinks else ""
        with self.db.conn:
            due = self.db.conn.execute(
                "select id, lead_id, sink, kind, payload, attempts, lease_until from outbox where status = 'pending' "
                f"and next_attempt_at <= ? and (lease_until is null or lease_until < ?){where} order by id limit ?",
                [now, now, *(sinks or ()), limit]).fetchall()
            for row_id, lead_id, sink, kind, payload, attempts, lease in due:
                taken = self.db.conn.execute(
                    "update outbox set lease_until = ? where id = ? and (lease_until is null or lease_until < ?)",
                    [now + LEASE_S, row_id, now]).rowcount
                if taken:
                    claimed.append(Delivery(row_id, lead_id, sink, kind, json.loads(payload), attempts,
                                            interrupted=lease is not None))
        return claimed

    def deliver_due(self, sinks: dict[str, Sink], now: float | None = None, limit: int = 50) -> dict[str, int]:
        """One pass of a worker for `sinks`: send what is due; returns counts of sent / retried / dead.
        Rows for other sinks are left to the workers that have them (the Slack app posts its own)."""
        now = time.time() if now is None else now
        counts = {"sent": 0, "retried": 0, "dead": 0}
        if not sinks:
            return counts
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
        with self.db.conn:
            self.db.conn.execute("update outbox set status = 'sent', sent_at = ?, attempts = attempts + 1, "
                                 "lease_until = null, last_error = null where id = ?", [time.time(), delivery.id])

    def failed(self, delivery: Delivery, error: Exception, now: float) -> str:
        """Schedule a retry with exponential backoff (or the sink's Retry-After); "retried" or "dead"."""
        attempts = delivery.attempts + 1
        wait = getattr(error, "retry_after", None) or min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempts - 1))
        status = "dead" if attempts >= MAX_ATTEMPTS else "pending"
        message = f"{type(error).__name__}: {error}"[:300]
        with self.db.conn:
            self.db.conn.execute(
                "update outbox set status = ?, attempts = ?, next_attempt_at = ?, lease_until = null, "
                "last_error = ? where id = ?", [status, attempts, now + wait, message, delivery.id])
        log.warning("delivery %s to %s failed (attempt %s): %s", delivery.id, delivery.sink, attempts,
                    type(error).__name__)
        return "dead" if status == "dead" else "retried"


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """A Standard Webhooks signature: `v1,` + base64 of HMAC-SHA256 over `{msg_id}.{timestamp}.{body}`."""
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


class WebhookSink:
    """POST the lead as JSON, signed per the Standard Webhooks spec (https://www.standardwebhooks.com/).

    Headers: `webhook-id` (one per outbox message, the same on every retry, so a receiver can drop
    duplicates), `webhook-timestamp` (this attempt's time, so a receiver can refuse stale replays) and
    `webhook-signature` (`v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}`). A `whsec_<base64>`
    secret signs with its base64-decoded bytes, as the spec says; any other secret with its UTF-8 bytes.
    """

    SECRET_PREFIX = "whsec_"

    def __init__(self, url: str, secret: str, timeout: float = 10.0, clock: Callable[[], float] = time.time):
        self.url, self.timeout, self.clock = url, timeout, clock
        self.key = self.signing_key(secret)

    @classmethod
    def signing_key(cls, secret: str) -> bytes:
        """The HMAC key for a configured secret: base64-decoded after `whsec_`, else the UTF-8 bytes."""
        if secret.startswith(cls.SECRET_PREFIX):
            encoded = secret.removeprefix(cls.SECRET_PREFIX)
            try:
                key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
            except binascii.Error:
                raise ValueError("a whsec_ webhook secret must be base64 after the prefix") from None
        else:
            key = secret.encode()
        if not key:
            raise ValueError("the webhook secret is empty")
        return key

    @staticmethod
    def message_id(lead_id: str, kind: str) -> str:
        """Stable per outbox message (a lead and its kind), never containing a `.` (the spec's delimiter)."""
        return "msg_" + re.sub(r"[^A-Za-z0-9_-]", "-", f"{lead_id}_{kind}")

    @classmethod
    def from_env(cls) -> WebhookSink | None:
        url = os.environ.get("ONCALL_LEAD_WEBHOOK_URL")
        if not url:
            return None
        secret = os.environ.get("ONCALL_LEAD_WEBHOOK_SECRET")
        if not secret:
            raise SystemExit("ONCALL_LEAD_WEBHOOK_SECRET must be set when ONCALL_LEAD_WEBHOOK_URL is")
        try:
            return cls(url, secret)
        except ValueError as error:
            raise SystemExit(f"ONCALL_LEAD_WEBHOOK_SECRET: {error}") from None

    def __call__(self, payload: dict) -> None:
        meta = payload.pop("_delivery")
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        msg_id = self.message_id(meta["lead_id"], meta["kind"])
        timestamp = int(self.clock())  # this attempt's time, not the queueing time: retries are not stale
        headers = {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self.key, msg_id, timestamp, body),
            "X-OnCall-Event": meta["kind"],
        }
        import httpx  # imported on first delivery: it is the slowest import of a cold start

        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as error:
            raise DeliveryError(f"webhook unreachable: {type(error).__name__}") from None
        if response.status_code >= 400:
            retry_after = response.headers.get("Retry-After")
            raise DeliveryError(
                f"webhook answered HTTP {response.status_code}",
                float(retry_after) if retry_after and retry_after.isdigit() else None,
            )
