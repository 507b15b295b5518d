"""OnCall Assistant conversation engine: channel-agnostic, knows nothing of Slack or Telegram."""
