"""Tests for the offline Slack Web API fake, driven through the real slack_sdk clients."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from fakes.slack_api import Call, FakeSlackAPI  # tests/ (no __init__.py) is put on sys.path by pytest

TOKEN = "xoxb-test-token"
BLOCKS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Hello* from the fake"}},
    {
        "type": "actions",
        "elements": [{"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": "Go"}}],
    },
]


@pytest.fixture
def slack():
    with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlackAPI) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.base_url, timeout=5)


def _ts(value: str) -> tuple[int, int]:
    seconds, micros = value.split(".")
    assert len(micros) == 6
    return int(seconds), int(micros)


# ---------------------------------------------------------------------- lifecycle


def test_base_url_is_ephemeral_loopback_and_server_stops():
    fake = FakeSlackAPI().start()
    try:
        port = fake.port
        assert port > 0
        assert fake.base_url == f"http://127.0.0.1:{port}/api/"
    finally:
        fake.stop()
    fake.stop()  # idempotent
    with pytest.raises(RuntimeError):
        _ = fake.base_url
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_two_instances_get_different_ports():
    with FakeSlackAPI() as a, FakeSlackAPI() as b:
        assert a.port != b.port


# ---------------------------------------------------------------------- methods (sync client)


def test_auth_test_identity(slack: FakeSlackAPI, client: WebClient):
    resp = client.auth_test()
    assert resp["ok"] is True
    for key in ("user_id", "bot_id", "team_id", "user", "team", "url"):
        assert resp[key], key
    [call] = slack.calls_to("auth.test")
    assert call.token == TOKEN
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert not call.failed


def test_post_message_with_blocks_json_body(slack: FakeSlackAPI, client: WebClient):
    resp = client.chat_postMessage(channel="C123", text="fallback", blocks=BLOCKS, thread_ts="1.000001")
    assert resp["ok"] is True
    assert resp["channel"] == "C123"
    assert resp["message"]["blocks"] == BLOCKS
    assert resp["message"]["ts"] == resp["ts"]

    [call] = slack.calls
    assert isinstance(call, Call)
    assert (call.method, call.failed, call.status) == ("chat.postMessage", False, 200)
    assert call.headers["content-type"].startswith("application/json")
    assert call.params["channel"] == "C123"
    assert call.params["text"] == "fallback"
    assert call.params["thread_ts"] == "1.000001"
    assert call.json("blocks") == BLOCKS  # already decoded in a JSON body; json() passes it through
    assert call.response["ts"] == resp["ts"]


def test_form_encoded_fields_keep_raw_json_strings(slack: FakeSlackAPI, client: WebClient):
    raw = json.dumps(BLOCKS)
    resp = client.api_call("chat.postMessage", params={"channel": "C9", "blocks": raw, "unfurl_links": 0})
    assert resp["message"]["blocks"] == BLOCKS
    [call] = slack.calls_to("chat.postMessage")
    assert call.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert call.params["blocks"] == raw
    assert call.json("blocks") == BLOCKS
    assert call.params["unfurl_links"] == "0"
    assert call.json("attachments", default=None) is None
    with pytest.raises(KeyError):
        call.json("attachments")


def test_token_in_form_param_is_accepted(slack: FakeSlackAPI):
    anonymous = WebClient(token=None, base_url=slack.base_url)
    resp = anonymous.api_call("auth.test", params={"token": "xoxp-user-token"})
    assert resp["ok"] is True
    assert slack.calls_to("auth.test")[0].token == "xoxp-user-token"


def test_ts_values_are_unique_and_increasing(slack: FakeSlackAPI, client: WebClient):
    stamps = [client.chat_postMessage(channel="C1", text=f"m{i}")["ts"] for i in range(4)]
    stamps.append(client.chat_postEphemeral(channel="C1", user="U1", text="psst")["message_ts"])
    stamps.append(client.chat_postMessage(channel="C2", text="last")["ts"])
    parsed = [_ts(s) for s in stamps]
    assert parsed == sorted(parsed)
    assert len(set(stamps)) == len(stamps)
    assert stamps[0] == "1700000000.000100"


def test_other_methods(slack: FakeSlackAPI, client: WebClient):
    posted = client.chat_postMessage(channel="C1", text="v1")
    updated = client.chat_update(channel="C1", ts=posted["ts"], text="v2", blocks=BLOCKS)
    assert (updated["ok"], updated["channel"], updated["ts"]) == (True, "C1", posted["ts"])
    assert slack.calls_to("chat.update")[0].json("blocks") == BLOCKS

    eph = client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert eph["ok"] and eph["message_ts"]

    home = {"type": "home", "blocks": BLOCKS}
    published = client.views_publish(user_id="U1", view=home)
    assert published["view"]["type"] == "home"
    assert published["view"]["blocks"] == BLOCKS
    assert published["view"]["id"]
    assert slack.calls_to("views.publish")[0].json("view") == home

    dm = client.conversations_open(users="U1")
    assert dm["channel"]["id"].startswith("D")
    assert client.conversations_open(users=["U1"])["channel"]["id"] == dm["channel"]["id"]
    assert client.conversations_open(users="U2")["channel"]["id"] != dm["channel"]["id"]

    slack.add_user("U7", real_name="Ada Lovelace", is_bot=False)
    user = client.users_info(user="U7")["user"]
    assert (user["id"], user["real_name"]) == ("U7", "Ada Lovelace")
    assert client.users_info(user="U8")["user"]["id"] == "U8"

    assert all(c.accepted for c in slack.calls)


def test_argument_errors_are_slack_errors(client: WebClient):
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C1")
    assert exc.value.response["error"] == "no_text"


def test_add_method_extends_the_fake(slack: FakeSlackAPI, client: WebClient):
    slack.add_method("conversations.history", lambda params: {"messages": [], "channel": params["channel"]})
    resp = client.conversations_history(channel="C5")
    assert (resp["ok"], resp["channel"], resp["messages"]) == (True, "C5", [])


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize("token", ["bogus", "xoxa-2-not-a-bot-token", None])
def test_invalid_or_missing_token_is_invalid_auth(slack: FakeSlackAPI, token: str | None):
    bad = WebClient(token=token, base_url=slack.base_url)
    with pytest.raises(SlackApiError) as exc:
        bad.chat_postMessage(channel="C1", text="nope")
    assert exc.value.response["error"] == "invalid_auth"
    [call] = slack.calls
    assert call.failed and call.status == 200


def test_unknown_method(slack: FakeSlackAPI, client: WebClient):
    with pytest.raises(SlackApiError) as exc:
        client.api_call("nope.nothing")
    assert exc.value.response["error"] == "unknown_method"
    assert slack.calls_to("nope.nothing")[0].failed


def test_rate_limit_is_retried_by_slack_sdk_handler(slack: FakeSlackAPI):
    slack.fail_next("chat.postMessage", 429, retry_after=1)
    retrying = WebClient(
        token=TOKEN, base_url=slack.base_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)]
    )
    started = time.monotonic()
    resp = retrying.chat_postMessage(channel="C1", text="eventually")
    assert resp["ok"] is True
    assert time.monotonic() - started >= 1.0  # the client honoured Retry-After

    attempts = slack.calls_to("chat.postMessage")
    assert [(c.failed, c.status) for c in attempts] == [(True, 429), (False, 200)]
    assert attempts[0].response == {"ok": False, "error": "ratelimited"}
    assert attempts[0].params == attempts[1].params
    assert len(slack.calls_to("chat.postMessage", include_failed=False)) == 1


def test_rate_limit_without_retry_handler_raises(slack: FakeSlackAPI, client: WebClient):
    slack.fail_next("chat.postMessage", 429, retry_after=1)
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C1", text="x")
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "1"
    assert exc.value.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]  # only the next call was failed


def test_server_error_injection_raises_and_counts(slack: FakeSlackAPI, client: WebClient):
    slack.fail_next("chat.update", status=500, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as exc:
            client.chat_update(channel="C1", ts="1.000001", text="x")
        assert exc.value.response.status_code == 500
    assert client.chat_update(channel="C1", ts="1.000001", text="x")["ok"]
    assert [c.failed for c in slack.calls_to("chat.update")] == [True, True, False]
    assert slack.calls_to("chat.postMessage") == []  # injection is per method


def test_injected_api_error(slack: FakeSlackAPI, client: WebClient):
    slack.fail_next("chat.postMessage", status=200, error="channel_not_found")
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C404", text="x")
    assert exc.value.response["error"] == "channel_not_found"


def test_reset_clears_calls_and_pending_failures(slack: FakeSlackAPI, client: WebClient):
    client.auth_test()
    slack.fail_next("auth.test", 500)
    slack.reset()
    assert slack.calls == []
    assert client.auth_test()["ok"]
    assert len(slack.calls) == 1


# ---------------------------------------------------------------------- wait_for


def test_wait_for_across_threads(slack: FakeSlackAPI, client: WebClient):
    go = threading.Event()

    def worker() -> None:
        go.wait(5)
        for i in range(3):
            client.chat_postMessage(channel="C1", text=f"bg{i}")

    thread = threading.Thread(target=worker)
    thread.start()
    assert slack.calls_to("chat.postMessage") == []
    go.set()
    calls = slack.wait_for("chat.postMessage", count=3, timeout=5)
    thread.join(5)
    assert [c.params["text"] for c in calls] == ["bg0", "bg1", "bg2"]


def test_wait_for_can_ignore_failed_attempts(slack: FakeSlackAPI, client: WebClient):
    slack.fail_next("chat.postMessage", 500)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="x")
    assert len(slack.wait_for("chat.postMessage", timeout=0.5)) == 1
    with pytest.raises(AssertionError):
        slack.wait_for("chat.postMessage", timeout=0.05, include_failed=False)


def test_wait_for_timeout_reports_calls_seen(slack: FakeSlackAPI, client: WebClient):
    client.auth_test()
    with pytest.raises(AssertionError, match=r"views\.publish(.|\n)*auth\.test"):
        slack.wait_for("views.publish", timeout=0.1)


# ---------------------------------------------------------------------- async client / bolt


@pytest.mark.asyncio
async def test_async_web_client(slack: FakeSlackAPI):
    client = AsyncWebClient(token=TOKEN, base_url=slack.base_url, timeout=5)
    auth = await client.auth_test()  # POST with a query string
    assert auth["bot_id"] == slack.bot_id

    resp = await client.chat_postMessage(channel="C1", text="async", blocks=BLOCKS)
    assert resp["message"]["blocks"] == BLOCKS
    user = await client.users_info(user="U3")  # GET with a query string
    assert user["user"]["id"] == "U3"
    dm = await client.conversations_open(users="U3")
    assert dm["channel"]["id"].startswith("D")
    view = await client.views_publish(user_id="U3", view={"type": "home", "blocks": []})
    assert view["view"]["type"] == "home"

    assert [c.method for c in slack.calls] == [
        "auth.test",
        "chat.postMessage",
        "users.info",
        "conversations.open",
        "views.publish",
    ]
    assert slack.calls_to("chat.postMessage")[0].json("blocks") == BLOCKS
    assert all(c.token == TOKEN for c in slack.calls)

    slack.fail_next("chat.postMessage", 500)
    with pytest.raises(SlackApiError) as exc:
        await AsyncWebClient(token="nope", base_url=slack.base_url).auth_test()
    assert exc.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel="C1", text="boom")
    assert exc.value.response.status_code == 500


def test_bolt_app_verifies_token_against_fake(slack: FakeSlackAPI):
    from slack_bolt import App

    app = App(client=WebClient(token=TOKEN, base_url=slack.base_url), signing_secret="s3cret")
    assert app.client.base_url == slack.base_url
    assert slack.calls_to("auth.test")[0].token == TOKEN
