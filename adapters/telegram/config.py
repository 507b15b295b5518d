"""Telegram settings from the environment; a missing one is a clear error naming the variable."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_API = "https://api.telegram.org/bot"


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    token: str
    api_base_url: str
    webhook_url: str | None
    webhook_secret: str | None

    @classmethod
    def from_env(cls, mode: str) -> TelegramConfig:
        """`mode`: "polling" or "webhook" (which also needs the webhook URL and secret)."""
        env = os.environ
        required = ["TELEGRAM_BOT_TOKEN"]
        if mode == "webhook":
            required += ["TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET"]
        for name in required:
            if not env.get(name):
                raise SystemExit(f"error: {name} is not set")
        secret = env.get("TELEGRAM_WEBHOOK_SECRET")
        if secret and not all(c.isalnum() or c in "_-" for c in secret) or secret and len(secret) > 256:
            raise SystemExit("error: TELEGRAM_WEBHOOK_SECRET may only hold A-Z, a-z, 0-9, _ and - (1-256 chars)")
        return cls(token=env["TELEGRAM_BOT_TOKEN"], api_base_url=env.get("TELEGRAM_API_BASE_URL") or DEFAULT_API,
                   webhook_url=env.get("TELEGRAM_WEBHOOK_URL"), webhook_secret=secret)
