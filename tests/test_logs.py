"""Logs as the app configures them (adapters/logs.py, on a fresh handler — the `app_logs` fixture): no
secret, no personal detail."""

from __future__ import annotations

import logging

import pytest
import pytest_asyncio
from test_telegram import TOKEN, config, say

from adapters.telegram.runner import Poller, WebhookService
from bot.engine import Engine

from fakes.telegram_api import FakeTelegramAPI

pytestmark = pytest.mark.asyncio
SECRETS = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": "hook-Secret_9f8e7d6c5b",
           "SLACK_BOT_TOKEN": "xoxb-1111-2222-SECRETbotTOKEN", "SLACK_SIGNING_SECRET": "8f7e6d5c4b3a29180716",
           "SLACK_APP_TOKEN": "xapp-1-A111-222-SECRETappTOKEN", "ONCALL_LEAD_WEBHOOK_SECRET": "whsec_c2VjcmV0LWtleS0x",
           "DATABASE_URL": "postgresql://oncall:Pa55word-xyz@db.internal:5432/oncall"}
PERSON = ("Hank Hill", "Strickland Propane", "hank@strickland.com", "+1 415 555 0100")


@pytest.fixture
def logs(app_logs):
    return lambda **env: app_logs(**{**SECRETS, **env})


@pytest.fixture
def fake():
    with FakeTelegramAPI(token=TOKEN) as api:
        yield api


@pytest_asyncio.fixture
async def poller(fake, fresh_db):
    poller = Poller(Engine(fresh_db), config(fake), poll_timeout=0)
    await poller.start()
    yield poller
    await poller.stop()


async def _talk(fake, poller) -> None:
    for line in ("hire a full time ops manager asap", PERSON[1], PERSON[0], PERSON[2], PERSON[3]):
        await say(fake, poller, line)


async def test_debug_logging_keeps_names_companies_and_contacts_out(logs, fake, poller):
    stream = logs(ONCALL_LOG_LEVEL="DEBUG")
    await _talk(fake, poller)
    logging.getLogger("bot").debug("turn committed")  # our own DEBUG records do come through
    text = stream.getvalue()
    assert "turn committed" in text
    assert not [p for p in PERSON if p in text]  # libraries print whole updates at DEBUG: kept at INFO


async def test_no_secret_in_any_log_even_with_library_debug_and_tracebacks(logs, fake, fresh_db):
    stream = logs(ONCALL_LOG_LEVEL="DEBUG", ONCALL_LIBRARY_LOG_LEVEL="DEBUG")
    service = WebhookService(Engine(fresh_db), config(fake, SECRETS["TELEGRAM_WEBHOOK_SECRET"]))
    await service.start()  # python-telegram-bot logs setWebhook's parameters, secret_token included
    await service.stop()
    try:
        raise RuntimeError(f"connect failed for {SECRETS['DATABASE_URL']} with {SECRETS['SLACK_BOT_TOKEN']}")
    except RuntimeError:
        logging.getLogger("adapters").exception("start-up failed (token %s)", SECRETS["SLACK_APP_TOKEN"])
    logging.getLogger("slack_sdk").debug("headers %s", {"Authorization": "Bearer xoxb-9999-other-TOKENvalue"})
    text = stream.getvalue()
    assert "Calling Bot API endpoint `setWebhook`" in text and "Traceback" in text  # both really logged
    leaked = [name for name, value in SECRETS.items() if value in text]
    assert leaked == [] and "Pa55word" not in text and "xoxb-9999" not in text
    assert "postgresql://oncall:[secret]@db.internal" in text  # where it failed stays readable


async def test_addresses_and_dates_survive_phone_redaction(logs):
    stream = logs()
    logging.getLogger("adapters").warning("peer 203.0.113.7 and 10.0.0.12:8080 at 2026-11-28 00:35 called "
                                          "%s", "+44 20 7946 0958")
    text = stream.getvalue()
    assert "203.0.113.7" in text and "10.0.0.12:8080" in text and "2026-11-28 00:35" in text
    assert "7946" not in text and "[phone]" in text
