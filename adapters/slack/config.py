"""Slack settings from the environment; a missing one is a clear error naming the variable."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

DEFAULT_API = "https://slack.com/api/"
log = logging.getLogger(__name__)


class ConfigError(SystemExit):
    def __init__(self, variable: str, why: str):
        super().__init__(f"error: {variable} is not set ({why})")


@dataclass(frozen=True, slots=True)
class SlackConfig:
    bot_token: str
    signing_secret: str | None
    app_token: str | None
    sales_channel: str | None
    sales_users: frozenset[str]
    api_base_url: str

    @classmethod
    def from_env(cls, mode: str) -> SlackConfig:
        """`mode`: "socket" (needs SLACK_APP_TOKEN) or "http" (needs SLACK_SIGNING_SECRET)."""
        env = os.environ
        if not env.get("SLACK_BOT_TOKEN"):
            raise ConfigError("SLACK_BOT_TOKEN", "the bot token, xoxb-…, from the app's OAuth page")
        if mode == "socket" and not env.get("SLACK_APP_TOKEN"):
            raise ConfigError("SLACK_APP_TOKEN", "an app-level token, xapp-…, with connections:write")
        if mode == "http" and not env.get("SLACK_SIGNING_SECRET"):
            raise ConfigError("SLACK_SIGNING_SECRET", "from the app's Basic Information page")
        base = env.get("SLACK_API_BASE_URL") or DEFAULT_API
        config = cls(
            bot_token=env["SLACK_BOT_TOKEN"],
            signing_secret=env.get("SLACK_SIGNING_SECRET"),
            app_token=env.get("SLACK_APP_TOKEN"),
            sales_channel=env.get("ONCALL_SALES_CHANNEL") or None,
            sales_users=frozenset(u.strip() for u in env.get("ONCALL_SALES_USERS", "").split(",") if u.strip()),
            api_base_url=base if base.endswith("/") else base + "/",
        )
        if config.sales_channel and not config.sales_users:
            # Not an error (lead cards still reach the channel), but nobody could act on them: say so at start.
            log.warning("ONCALL_SALES_CHANNEL is set but ONCALL_SALES_USERS is empty: every Claim, Contacted, Won "
                        "and Lost click on a lead card will be refused. List the sales people's Slack member ids, "
                        "comma-separated, in ONCALL_SALES_USERS.")
        return config
