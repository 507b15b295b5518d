"""An in-process fake of the Slack Web API for offline end-to-end tests.

``FakeSlackAPI`` serves ``http://127.0.0.1:<ephemeral port>/api/<method>`` from a background
thread, so the real ``slack_sdk.WebClient`` / ``AsyncWebClient`` (and slack_bolt apps built on
them) can be pointed at it with ``base_url=fake.base_url`` -- no patching of slack_sdk internals.

slack_sdk sends every call as ``POST <base_url><method>`` with the token in an
``Authorization: Bearer`` header. The body is JSON for ``chat.*`` / ``views.*`` methods and
form-encoded (or, for AsyncWebClient, a query string) for the rest; multipart bodies (file
uploads) are parsed too. Every request is recorded as a :class:`Call`.

Typical use::

    with FakeSlackAPI() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        client.chat_postMessage(channel="C1", text="hi")
        [call] = slack.calls_to("chat.postMessage")
        assert call.params["text"] == "hi"
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fakes.local_server import LocalServer

__all__ = ["Call", "FakeSlackAPI", "MethodHandler"]

VALID_TOKEN_PREFIXES = ("xoxb-", "xoxp-")
_API_PREFIX = "/api/"
_RESPONSE_PREFIX = "/response/"
_MISSING = object()

MethodHandler = Callable[[dict[str, Any]], dict[str, Any]]
"""A custom method implementation: receives the request params, returns the response body."""


@dataclass(frozen=True)
class Call:
    """One HTTP request received by the fake.

    ``params`` merges the query string and the body (JSON or form). Form fields holding JSON
    (``blocks``, ``view``, ``attachments`` ...) stay raw strings; use :meth:`json` to decode.
    ``headers`` keys are lower-cased. ``failed`` is True when the call was not accepted:
    an injected failure (429/500/...) or any ``ok: false`` answer (invalid_auth, ...).
    """

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    failed: bool = False
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    def json(self, field_name: str, default: Any = _MISSING) -> Any:
        """Decode a param that may be a JSON string (form body) or already decoded (JSON body)."""
        if field_name not in self.params:
            if default is _MISSING:
                raise KeyError(f"{self.method} call has no param {field_name!r}: {sorted(self.params)}")
            return default
        value = self.params[field_name]
        return json.loads(value) if isinstance(value, str | bytes) else value

    @property
    def token(self) -> str | None:
        """The token sent with the call (Bearer header first, then a ``token`` param)."""
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[len("bearer ") :].strip()
        token = self.params.get("token")
        return token if isinstance(token, str) else None

    @property
    def accepted(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class _Failure:
    status: int
    retry_after: int | None
    error: str


@dataclass(frozen=True)
class _Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlackAPI
    protocol_version = "HTTP/1.0"  # one request per connection: nothing lingers after stop()

    def do_POST(self) -> None:
        self.fake._handle(self)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:  # silence per-request stderr logging
        pass


class FakeSlackAPI(LocalServer):
    """Fake Slack Web API server on 127.0.0.1 with an ephemeral port (see module docstring)."""

    def __init__(
        self,
        *,
        team_id: str = "T0FAKE",
        team: str = "Fake Team",
        user_id: str = "U0FAKEBOT",
        user: str = "fakebot",
        bot_id: str = "B0FAKEBOT",
        users: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.team_id = team_id
        self.team = team
        self.user_id = user_id
        self.user = user
        self.bot_id = bot_id
        self._users: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (users or {}).items()}
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._failures: dict[str, deque[_Failure]] = {}
        self._ts_counter = 0
        self._dm_ids: dict[str, str] = {}
        self._view_counter = 0
        self._history: dict[str, list[dict[str, Any]]] = {}
        self._closed_channels: set[str] = set()
        super().__init__()
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_history,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "views.publish": self._views_publish,
            "conversations.open": self._conversations_open,
            "users.info": self._users_info,
        }

    # ------------------------------------------------------------------ lifecycle

    def response_url(self, name: str) -> str:
        """A slash command's response_url served by the fake; posts to it are recorded as method
        ``response_url`` with ``params["_name"] == name``."""
        return f"http://127.0.0.1:{self.port}{_RESPONSE_PREFIX}{name}"

    def close_channel(self, channel: str) -> None:
        """chat.postMessage to ``channel`` answers not_in_channel (the bot is not a member)."""
        with self._lock:
            self._closed_channels.add(channel)

    def history(self, channel: str) -> list[dict[str, Any]]:
        """Messages posted to ``channel`` so far, oldest first."""
        with self._lock:
            return list(self._history.get(channel, []))

    def _response_url(self, req: _Handler, name: str, headers: dict[str, str], body: bytes) -> None:
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        params["_name"] = name
        with self._cond:
            self._calls.append(Call("response_url", params, headers, False, 200, {"ok": True}))
            self._cond.notify_all()
        req.send_response(200)
        req.send_header("Content-Type", "text/plain")
        req.send_header("Content-Length", "2")
        req.end_headers()
        req.wfile.write(b"ok")

    def _handler_class(self) -> type[_Handler]:
        return type("BoundHandler", (_Handler,), {"fake": self})

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/api/`` -- pass as ``WebClient(base_url=...)``."""
        return f"http://127.0.0.1:{self.port}{_API_PREFIX}"

    # ------------------------------------------------------------------ configuration

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int | None = 1,
        times: int = 1,
        error: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with HTTP ``status``.

        429 answers carry ``Retry-After: retry_after`` and ``{"ok": false, "error": "ratelimited"}``;
        other statuses answer ``{"ok": false, "error": error or "internal_error"}``. ``status=200``
        with ``error="channel_not_found"`` injects a plain Slack API error.
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        default_error = "ratelimited" if status == 429 else "internal_error"
        failure = _Failure(
            status=status,
            retry_after=retry_after if status == 429 else None,
            error=error or default_error,
        )
        with self._lock:
            self._failures.setdefault(method, deque()).extend([failure] * times)

    def add_user(self, user_id: str, **fields: Any) -> None:
        """Register/override the ``users.info`` profile of ``user_id`` (merged over the defaults)."""
        with self._lock:
            self._users.setdefault(user_id, {}).update(fields)

    def add_method(self, method: str, handler: MethodHandler) -> None:
        """Implement (or override) ``method``: ``handler(params)`` returns the response body."""
        with self._lock:
            self._handlers[method] = handler

    def reset(self) -> None:
        """Forget recorded calls and pending injected failures (ts values keep increasing)."""
        with self._lock:
            self._calls.clear()
            self._failures.clear()

    # ------------------------------------------------------------------ inspection

    @property
    def calls(self) -> list[Call]:
        """Snapshot of every call received so far, in arrival order."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str, *, include_failed: bool = True) -> list[Call]:
        with self._lock:
            return self._select(method, include_failed)

    def wait_for(
        self, method: str, count: int = 1, timeout: float = 5.0, *, include_failed: bool = True
    ) -> list[Call]:
        """Block until at least ``count`` calls to ``method`` arrived; return all of them.

        Raises AssertionError (listing every call seen) after ``timeout`` seconds.
        """
        with self._cond:
            arrived = self._cond.wait_for(
                lambda: len(self._select(method, include_failed)) >= count, timeout=timeout
            )
            matched = self._select(method, include_failed)
            seen = list(self._calls)
        if not arrived:
            kind = "" if include_failed else "accepted "
            summary = "\n".join(f"  {_describe(c)}" for c in seen) or "  (none)"
            raise AssertionError(
                f"expected >= {count} {kind}call(s) to {method!r} within {timeout}s, "
                f"got {len(matched)}; calls seen:\n{summary}"
            )
        return matched

    def _select(self, method: str, include_failed: bool) -> list[Call]:
        return [c for c in self._calls if c.method == method and (include_failed or not c.failed)]

    # ------------------------------------------------------------------ HTTP plumbing

    def _handle(self, req: _Handler) -> None:
        url = urlsplit(req.path)
        headers = {k.lower(): v for k, v in req.headers.items()}
        body = _read_body(req)
        if url.path.startswith(_RESPONSE_PREFIX):  # a slash command's response_url
            self._response_url(req, url.path[len(_RESPONSE_PREFIX):], headers, body)
            return
        if not url.path.startswith(_API_PREFIX):
            _write(req, _Reply(404, {"ok": False, "error": "not_found"}))
            return
        method = url.path[len(_API_PREFIX) :]
        try:
            params = _parse_params(url.query, headers.get("content-type", ""), body)
            parse_error = None
        except ValueError:
            params, parse_error = {}, "invalid_json"

        with self._cond:
            reply = self._reply_for(method, params, headers, parse_error)
            failed = reply.status != 200 or not reply.body.get("ok", False)
            self._calls.append(Call(method, params, headers, failed, reply.status, reply.body))
            self._cond.notify_all()
        _write(req, reply)  # recorded first, so callers see the call once their request returns

    def _reply_for(
        self, method: str, params: dict[str, Any], headers: dict[str, str], parse_error: str | None
    ) -> _Reply:
        queue = self._failures.get(method)
        if queue:
            failure = queue.popleft()
            extra = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return _Reply(failure.status, {"ok": False, "error": failure.error}, extra)
        handler = self._handlers.get(method)
        if handler is None:
            return _Reply(200, {"ok": False, "error": "unknown_method"})
        token = Call(method, params, headers).token
        if not token or not token.startswith(VALID_TOKEN_PREFIXES):
            return _Reply(200, {"ok": False, "error": "invalid_auth"})
        if parse_error:
            return _Reply(200, {"ok": False, "error": parse_error})
        try:
            body = dict(handler(params))
        except Exception as exc:  # a broken custom handler must not hang the client
            return _Reply(500, {"ok": False, "error": "fake_handler_error", "detail": repr(exc)})
        body.setdefault("ok", True)
        return _Reply(200, body)

    # ------------------------------------------------------------------ method implementations
    # (called with self._lock held)

    def _next_ts(self) -> str:
        self._ts_counter += 1
        micros = 1_700_000_000_000_000 + 100 * self._ts_counter
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake-team.slack.com/",
            "team": self.team,
            "user": self.user,
            "team_id": self.team_id,
            "user_id": self.user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _message(self, params: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "text": params.get("text", ""),
            "user": self.user_id,
            "bot_id": self.bot_id,
            "team": self.team_id,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata"):
            if key in params:
                message[key] = _maybe_json(params[key])
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        return message

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if params["channel"] in self._closed_channels:
            return {"ok": False, "error": "not_in_channel"}
        if not any(params.get(k) for k in ("text", "blocks", "attachments")):
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        message = self._message(params, ts)
        self._history.setdefault(params["channel"], []).append(message)
        return {"ok": True, "channel": params["channel"], "ts": ts, "message": message}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Newest first, like Slack; metadata only when asked for (include_all_metadata)."""
        messages = self._history.get(params.get("channel", ""), [])
        if params.get("ts"):  # conversations.replies: the thread's messages
            messages = [m for m in messages if m.get("thread_ts") == params["ts"] or m["ts"] == params["ts"]]
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("true", "1")
        shown = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in messages]
        return {"ok": True, "messages": list(reversed(shown))[: int(params.get("limit", 100))]}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        ts = params["ts"]
        return {
            "ok": True,
            "channel": params["channel"],
            "ts": ts,
            "text": params.get("text", ""),
            "message": self._message(params, ts),
        }

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("user"):
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("user_id") or not params.get("view"):
            return {"ok": False, "error": "invalid_arguments"}
        try:
            view = _maybe_json(params["view"])
        except ValueError:
            return {"ok": False, "error": "invalid_json"}
        self._view_counter += 1
        published = {
            "id": f"V{self._view_counter:08d}",
            "team_id": self.team_id,
            "app_id": "A0FAKEAPP",
            "bot_id": self.bot_id,
            "hash": f"{self._view_counter}.fakehash",
            **(view if isinstance(view, dict) else {}),
        }
        return {"ok": True, "view": published}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return {"ok": True, "channel": {"id": params["channel"]}}
        users = params.get("users")
        if isinstance(users, list):
            users = ",".join(users)
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        channel_id = self._dm_ids.setdefault(users, f"D{len(self._dm_ids) + 1:08d}")
        return {"ok": True, "channel": {"id": channel_id}}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user")
        if not user_id:
            return {"ok": False, "error": "user_not_found"}
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": user_id.lower(),
            "real_name": f"User {user_id}",
            "deleted": False,
            "is_bot": False,
            "tz": "UTC",
            "profile": {
                "real_name": f"User {user_id}",
                "display_name": user_id.lower(),
                "email": f"{user_id.lower()}@example.com",
            },
        }
        user.update(self._users.get(user_id, {}))
        return {"ok": True, "user": user}


# ---------------------------------------------------------------------- helpers


def _maybe_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _describe(call: Call) -> str:
    state = f"FAILED {call.status} {call.response.get('error')}" if call.failed else "ok"
    return f"{call.method} [{state}] {call.params!r}"[:300]


def _read_body(req: BaseHTTPRequestHandler) -> bytes:
    if req.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(req.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while req.rfile.readline().strip():  # trailers
                    pass
                return b"".join(chunks)
            chunks.append(req.rfile.read(size))
            req.rfile.readline()
    length = int(req.headers.get("Content-Length") or 0)
    return req.rfile.read(length) if length > 0 else b""


def _form(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key in out:
            prev = out[key]
            out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[key] = value
    return out


def _parse_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    params = _form(query)
    ctype = content_type.split(";")[0].strip().lower()
    if not body:
        return params
    if ctype == "application/json":
        decoded = json.loads(body.decode("utf-8"))  # JSONDecodeError is a ValueError
        if not isinstance(decoded, dict):
            raise ValueError("JSON body must be an object")
        params.update(decoded)
    elif ctype == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                continue
            payload = part.get_payload(decode=True) or b""
            params[str(name)] = payload if part.get_filename() else payload.decode("utf-8")
    else:  # application/x-www-form-urlencoded (also the fallback for a missing content type)
        params.update(_form(body.decode("utf-8")))
    return params


def _write(req: BaseHTTPRequestHandler, reply: _Reply) -> None:
    data = json.dumps(reply.body).encode("utf-8")
    req.send_response(reply.status)
    req.send_header("Content-Type", "application/json; charset=utf-8")
    req.send_header("Content-Length", str(len(data)))
    for key, value in reply.headers.items():
        req.send_header(key, value)
    req.end_headers()
    req.wfile.write(data)
