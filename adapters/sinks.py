"""Which outbox sinks are configured in this environment (names only: the engine just queues)."""

from __future__ import annotations

import os


def configured_sinks() -> tuple[str, ...]:
    sinks = []
    if os.environ.get("ONCALL_LEAD_WEBHOOK_URL"):
        sinks.append("webhook")
    if os.environ.get("SLACK_BOT_TOKEN") and os.environ.get("ONCALL_SALES_CHANNEL"):
        sinks.append("slack")
    return tuple(sinks)
