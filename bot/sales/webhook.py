"""The lead webhook sink: POST a notification as JSON, signed per Standard Webhooks."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import time
from collections.abc import Callable

from bot.sales.outbox import DeliveryError


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
