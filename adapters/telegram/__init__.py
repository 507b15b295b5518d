"""Telegram: prospects chat with the assistant; long polling or a webhook, python-telegram-bot v22."""

import os

# Opt in to PTB's coming behaviour (time periods as timedelta); without it PTB's own RetryAfter
# constructor emits a deprecation warning on every flood-control error.
os.environ.setdefault("PTB_TIMEDELTA", "true")
