"""The Procfile's commands as real processes: `oncall-bot telegram` polling the fake Bot API, and
`oncall-bot serve` answering /healthz, Slack events and the Telegram webhook."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
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


def start(args: list[str], env: dict, tmp_path, db=None) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_", "ONCALL_"))}
    return subprocess.Popen([*oncall_bot(), "--db", str(db or tmp_path / "proc.db"), *args], env={**clean, **env},
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


def query(tmp_path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(tmp_path / "proc.db", timeout=10) as db:
        return db.execute(sql, params).fetchall()


def wait_until(condition, what: str, timeout: float = 30) -> None:
    """Poll an explicit signal (the database, the fake's calls) until it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except sqlite3.OperationalError:  # the table is not created yet
            pass
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_telegram_prints_who_it_is_and_stops_cleanly_on_sigterm(tmp_path):
    with FakeTelegramAPI(token=TOKEN) as fake:
        process = start(["telegram"], {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake.base_url}, tmp_path)
        fake.wait_for("setMyCommands", timeout=30)
        update_id = fake.enqueue_message(77, "what does an ops manager do", user_id=77)
        fake.wait_for("sendMessage", timeout=30)
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)  # while it is in a long poll
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0 and time.monotonic() - began < 10
    assert out.splitlines()[0] == f"Telegram: connected as @{fake.bot_username}, long polling"
    assert "Traceback" not in err
    assert fake.confirmed_offset > update_id  # what it handled was confirmed before it left


def test_a_rejected_token_stops_the_command_with_a_clear_message_without_the_token(tmp_path):
    wrong = "987654321:WRONG-token-but-well-formed-xyz"
    with FakeTelegramAPI(token=TOKEN) as fake, FakeSlackAPI() as slack:
        telegram = start(["telegram"], {"TELEGRAM_BOT_TOKEN": wrong, "TELEGRAM_API_BASE_URL": fake.base_url},
                         tmp_path)
        t_out, t_err = telegram.communicate(timeout=30)
        slack_env = {"SLACK_BOT_TOKEN": "xoxz-revoked-token-123", "SLACK_APP_TOKEN": "xapp-1-test",
                     "SLACK_API_BASE_URL": slack.base_url}
        socket = start(["slack"], slack_env, tmp_path)
        s_out, s_err = socket.communicate(timeout=30)
    assert telegram.returncode != 0 and "Telegram rejected TELEGRAM_BOT_TOKEN" in t_err
    assert socket.returncode != 0 and "Slack rejected SLACK_BOT_TOKEN (invalid_auth)" in s_err
    for text in (t_out, t_err, s_out, s_err):
        assert wrong not in text and "WRONG-token" not in text and "xoxz-revoked" not in text
        assert "Traceback" not in text


def test_serve_with_nothing_configured_serves_health_only(tmp_path):
    port = free_port()
    process = start(["serve", "--host", "127.0.0.1", "--port", str(port)], {"TELEGRAM_BOT_TOKEN": TOKEN}, tmp_path)
    try:
        wait_until_serving(port, process)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"ok": True, "slack": False,
                                                                          "telegram": False}
        assert httpx.post(f"http://127.0.0.1:{port}/slack/events", content="{}").status_code == 404
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0
    assert out.startswith("Serving /healthz only") and "oncall-bot telegram" in out


def test_telegram_replies_committed_before_a_kill_9_are_sent_once_after_restart(tmp_path):
    env_of = lambda fake: {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake.base_url}  # noqa: E731
    users = [501, 502, 503]
    with FakeTelegramAPI(token=TOKEN) as fake:
        fake.refuse_next("sendMessage", 500, "Internal Server Error", times=len(users))
        process = start(["telegram"], env_of(fake), tmp_path)
        fake.wait_for("setMyCommands", timeout=30)
        for user in users:
            fake.enqueue_message(user, "what does a project manager do", user_id=user)
        # every turn committed and its first send refused (nothing is in flight): then the process dies
        wait_until(lambda: query(tmp_path, "select count(*) from replies where attempts >= 1 and "
                                 "lease_until is null")[0][0] == len(users), "three failed sends")
        process.kill()
        process.wait()
        assert fake.sent_messages() == []
        restarted = start(["telegram"], env_of(fake), tmp_path)
        try:
            wait_until(lambda: query(tmp_path, "select count(*) from replies where status = 'sent'")[0][0]
                       == len(users), "the committed replies sent")
            fake.enqueue_message(users[0], "thanks", user_id=users[0])  # later traffic flows as usual
            wait_until(lambda: len(fake.sent_messages(users[0])) == 2, "the next answer")
        finally:
            stop(restarted)
    for user in users:
        answers = [m["text"] for m in fake.sent_messages(user)]
        assert answers[0].startswith("<b>What a project manager does</b>")
        assert len(answers) == (2 if user == users[0] else 1)  # once each, not re-answered or resent
    assert query(tmp_path, "select count(*) from replies")[0][0] == len(users) + 1


def test_slack_replies_committed_before_a_kill_9_are_posted_once_after_restart(tmp_path):
    port = free_port()
    with FakeSlackAPI() as slack:
        env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret", "SLACK_API_BASE_URL": slack.base_url}
        slack.fail_next("chat.postMessage", status=500, times=2)
        process = start(["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path)
        wait_until_serving(port, process)
        for n, text in enumerate(("what does an ops manager do", "and a project manager?")):
            body = json.dumps({"type": "event_callback", "team_id": "T1", "event_id": f"Ev{n}", "event": {
                "type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": text,
                "ts": f"1700000000.00000{n}"}})
            now = int(time.time())
            response = httpx.post(f"http://127.0.0.1:{port}/slack/events", content=body, headers={
                "X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": sign(body, now, "secret"),
                "Content-Type": "application/json"})
            assert response.status_code == 200
        wait_until(lambda: query(tmp_path, "select count(*) from replies where attempts >= 1 and "
                                 "lease_until is null")[0][0] == 2, "two failed posts")
        process.kill()
        process.wait()
        restarted = start(["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path)
        try:
            wait_until(lambda: query(tmp_path, "select count(*) from replies where status = 'sent'")[0][0] == 2,
                       "the committed replies posted")
        finally:
            stop(restarted)
    posted = [c.params["text"] for c in slack.calls_to("chat.postMessage") if c.accepted]
    assert len(posted) == 2 and "operations manager" in posted[0].lower() and "project manager" in posted[1].lower()
