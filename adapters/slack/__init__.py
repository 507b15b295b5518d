"""Slack: founders ask in DMs, mentions and /oncall; sales receive and claim leads in a channel."""
