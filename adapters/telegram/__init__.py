"""Telegram: prospects chat with the assistant; long polling or a webhook, python-telegram-bot v22."""
