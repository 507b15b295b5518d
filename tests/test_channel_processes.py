"""The Procfile's commands as real processes: `oncall-bot telegram` polling the fake Bot API, and
`oncall-bot serve` answering /healthz, Slack events and the Telegram webhook."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import httpx

from conftest import oncall_bot
from fakes.slack_api import FakeSlackAPI
from fakes.telegram_api import FakeTelegramAPI
from slack_harness import sign

TOKEN = "123456789:TEST-TOKEN-for-offline-tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(args: list[str], env: dict, tmp_path) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_", "ONCALL_"))}
    return subprocess.Popen([*oncall_bot(), "--db", str(tmp_path / "proc.db"), *args], env={**clean, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        _, err = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return err


def test_telegram_command_long_polls_and_answers(tmp_path):
    with FakeTelegramAPI(token=TOKEN) as fake:
        process = start(["telegram"], {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake.base_url}, tmp_path)
        try:
            fake.wait_for("setMyCommands", timeout=30)
            fake.enqueue_message(77, "/start", user_id=77)
            fake.wait_for("sendMessage", timeout=30)
            assert fake.sent_messages(77)[0]["text"].startswith("Hi! I'm the OnCall Assistant")
        finally:
            logs = stop(process)
    assert TOKEN not in logs


def wait_until_serving(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("oncall-bot serve did not come up")


def test_serve_command_answers_healthz_slack_and_the_telegram_webhook(tmp_path):
    port = free_port()
    with FakeSlackAPI() as slack, FakeTelegramAPI(token=TOKEN) as telegram:
        env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret", "SLACK_API_BASE_URL": slack.base_url,
               "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": telegram.base_url,
               "TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram/webhook", "TELEGRAM_WEBHOOK_SECRET": "hook-secret"}
        process = start(["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path)
        try:
            wait_until_serving(port, process)
            health = httpx.get(f"http://127.0.0.1:{port}/healthz").json()
            assert health == {"ok": True, "slack": True, "telegram": True}
            assert telegram.webhook_config["secret_token"] == "hook-secret"
            body = '{"type": "url_verification", "challenge": "abc"}'
            now = int(time.time())
            bad = httpx.post(f"http://127.0.0.1:{port}/slack/events", content=body,
                             headers={"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=bad",
                                      "Content-Type": "application/json"})
            assert bad.status_code == 401
            good = httpx.post(f"http://127.0.0.1:{port}/slack/events", content=body,
                              headers={"X-Slack-Request-Timestamp": str(now),
                                       "X-Slack-Signature": sign(body, now, "secret"),
                                       "Content-Type": "application/json"})
            assert good.status_code == 200 and good.json()["challenge"] == "abc"
            update = telegram.make_update_json(88, "hello", user_id=88)
            refused = httpx.post(f"http://127.0.0.1:{port}/telegram/webhook", content=update)
            assert refused.status_code == 403
            accepted = httpx.post(f"http://127.0.0.1:{port}/telegram/webhook", content=update,
                                  headers={"X-Telegram-Bot-Api-Secret-Token": "hook-secret"})
            assert accepted.status_code == 200
            assert telegram.sent_messages(88)[0]["text"].startswith("Hi!")
        finally:
            stop(process)
