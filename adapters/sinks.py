"""Which outbox sinks are configured in this environment (names only: the engine just queues)."""

from __future__ import annotations

import os


def configured_sinks() -> dict[str, tuple[str, ...]]:
    """Leads go to the webhook and the Slack sales channel when configured; "talk to a human" requests
    go to the sales channel."""
    lead, handoff = [], []
    if os.environ.get("ONCALL_LEAD_WEBHOOK_URL"):
        lead.append("webhook")
    if os.environ.get("SLACK_BOT_TOKEN") and os.environ.get("ONCALL_SALES_CHANNEL"):
        lead.append("slack")
        handoff.append("slack")
    return {"lead": tuple(lead), "handoff": tuple(handoff)}
