"""An in-process fake of the Telegram Bot API for offline end-to-end tests.

The fake runs a stdlib ``ThreadingHTTPServer`` on ``127.0.0.1`` with an ephemeral port in a
background thread.  Point python-telegram-bot at it with::

    with FakeTelegramAPI() as fake:
        app = ApplicationBuilder().token(fake.token).base_url(fake.base_url).build()

PTB builds request URLs as ``base_url + token + "/" + method``, so requests arrive at
``/bot<TOKEN>/<method>``.  PTB sends parameters as ``application/x-www-form-urlencoded`` form
data where strings are sent verbatim and every other value (ints, bools, nested objects such as
``reply_markup``) is a JSON string; ``multipart/form-data`` is used when files are uploaded.
Plain JSON bodies (as other clients send) and query strings are understood as well.

Behaviour intentionally mirrors the real API where it matters for bots:

* errors use the error code as HTTP status and the ``{"ok": false, ...}`` envelope;
* ``getUpdates`` honours ``offset`` (confirming drops earlier updates), ``limit`` and a
  long-poll ``timeout`` (capped by ``long_poll_cap`` so tests stay fast), and answers 409 while a
  webhook is set;
* edits answer 400 "message is not modified" when nothing changes, ``editMessageText`` without
  ``reply_markup`` removes the inline keyboard, and only inline keyboards are echoed back in
  ``Message.reply_markup`` (the request params always keep whatever was sent);
* an injected hang still performs the action, like Telegram does when the client times out.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
import json
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fakes.local_server import LocalServer

__all__ = ["Call", "FakeTelegramAPI"]

DEFAULT_TOKEN = "123456789:TEST-TOKEN-for-offline-tests"

# Parameters PTB sends verbatim as strings; everything else is JSON-decoded when possible, so
# e.g. a message text of "123" or "true" stays a string while chat_id="123" becomes an int.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "data",
        "callback_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "ip_address",
        "parse_mode",
        "language_code",
        "business_connection_id",
        "message_effect_id",
        "description",
        "short_description",
        "name",
        "title",
        "emoji",
        "question",
        "query",
        "switch_pm_text",
        "switch_pm_parameter",
        "next_offset",
    }
)

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


@dataclass(frozen=True)
class Call:
    """One request received by the fake.

    ``failed`` is True when the fake answered with an error (injected 429, 400, 401, 404, 409).
    ``delayed`` is the injected hang in seconds (the call itself succeeded server-side).
    """

    method: str
    params: dict[str, Any]
    failed: bool = False
    delayed: float = 0.0


class _ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class _Injection:
    kind: str  # "fail" (429) | "hang" | "refuse" (an error code with Telegram's own description)
    value: float
    description: str = ""


@dataclass
class _State:
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[int | str, int], dict[str, Any]] = field(default_factory=dict)
    chats: dict[int | str, dict[str, Any]] = field(default_factory=dict)
    injections: dict[str, list[_Injection]] = field(default_factory=dict)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    confirmed_offset: int = 0
    next_update_id: int = 1
    next_message_id: int = 1
    callback_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    server_errors: list[str] = field(default_factory=list)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _coerce(key: str, value: str) -> Any:
    if key in _STRING_PARAMS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    if isinstance(decoded, (dict, list, int, float, bool)):
        return decoded
    return value


def _chat_key(chat_id: Any) -> int | str:
    if isinstance(chat_id, bool):
        raise _ApiError(400, "Bad Request: chat not found")
    if isinstance(chat_id, int):
        return chat_id
    if isinstance(chat_id, float) and chat_id.is_integer():
        return int(chat_id)
    if isinstance(chat_id, str):
        with contextlib.suppress(ValueError):
            return int(chat_id)
        if chat_id.startswith("@") and len(chat_id) > 1:
            return chat_id
    raise _ApiError(400, "Bad Request: chat not found")


def _inline_markup(markup: Any) -> dict[str, Any] | None:
    if isinstance(markup, dict) and isinstance(markup.get("inline_keyboard"), list):
        return markup
    return None


class FakeTelegramAPI(LocalServer):
    """Fake Telegram Bot API server; see the module docstring."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "fake_test_bot",
        bot_first_name: str = "Fake Bot",
        long_poll_cap: float = 1.0,
    ) -> None:
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 123456789
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.long_poll_cap = long_poll_cap
        self._cond = threading.Condition()
        self._state = _State()
        self._stopping = threading.Event()
        super().__init__()
        self._actions: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": self._get_me,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getUpdates": self._get_updates_prepare,
            "sendMessage": self._send_message,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageText": self._edit_message_text,
            "answerCallbackQuery": self._answer_callback_query,
            "close": lambda params: True,
            "logOut": lambda params: True,
        }
        # The real API matches method names case-insensitively.
        self._canonical = {name.lower(): name for name in self._actions}

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeTelegramAPI:
        self._stopping.clear()
        return super().start()

    def _handler_class(self):
        return self._make_handler()

    def _before_stop(self) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()  # release long-pollers

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder().base_url()`` / ``Bot(base_url=...)``."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``base_file_url`` (file downloads are not served; answers 404)."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    def method_url(self, method: str) -> str:
        return f"{self.base_url}{self.token}/{method}"

    # ------------------------------------------------------------------ inspection

    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return list(self._state.calls)

    def calls_to(self, method: str) -> list[Call]:
        wanted = self._canonical.get(method.lower(), method)
        with self._cond:
            return [c for c in self._state.calls if c.method == wanted]

    def sent_messages(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """Params of successful ``sendMessage`` calls (optionally for one chat), oldest first."""
        with self._cond:
            out = [c.params for c in self._state.calls if c.method == "sendMessage" and not c.failed]
        if chat_id is None:
            return out
        return [p for p in out if str(p.get("chat_id")) == str(chat_id)]

    def get_message(self, chat_id: int | str, message_id: int) -> dict[str, Any] | None:
        """Current state of a stored message (after edits), as Telegram would return it."""
        with self._cond:
            msg = self._state.messages.get((_chat_key(chat_id), message_id))
            return json.loads(json.dumps(msg)) if msg is not None else None

    def wait_for(
        self, method: str, count: int = 1, timeout: float = 5.0, *, include_failed: bool = False
    ) -> list[Call]:
        """Block until ``count`` (successful, unless include_failed) calls of ``method`` arrived."""
        wanted = self._canonical.get(method.lower(), method)

        def matching() -> list[Call]:
            return [c for c in self._state.calls if c.method == wanted and (include_failed or not c.failed)]

        with self._cond:
            if self._cond.wait_for(lambda: len(matching()) >= count, timeout=timeout):
                return matching()
            seen = "\n".join(f"  {c.method} failed={c.failed} params={c.params}" for c in self._state.calls)
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} call(s) to {wanted}; "
                f"got {len(matching())}. Calls so far:\n{seen or '  (none)'}"
            )

    @property
    def confirmed_offset(self) -> int:
        """Highest positive ``offset`` acknowledged via getUpdates (0 if none yet)."""
        with self._cond:
            return self._state.confirmed_offset

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        with self._cond:
            return list(self._state.updates)

    @property
    def webhook_config(self) -> dict[str, Any]:
        """Params of the active setWebhook (incl. secret_token), or {} when none is set."""
        with self._cond:
            return dict(self._state.webhook)

    @property
    def server_errors(self) -> list[str]:
        """Unexpected exceptions raised inside the fake (answered with HTTP 500)."""
        with self._cond:
            return list(self._state.server_errors)

    def reset(self) -> None:
        """Forget updates, calls, messages, injections, webhook and commands."""
        with self._cond:
            self._state = _State()
            self._cond.notify_all()

    # ------------------------------------------------------------------ failure injection

    def fail_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with 429 Too Many Requests."""
        self._inject(method, _Injection("fail", retry_after), times)

    def refuse_next(self, method: str, code: int, description: str, times: int = 1) -> None:
        """Answer the next ``times`` calls with an API error, e.g. 400 "query is too old ..."."""
        self._inject(method, _Injection("refuse", code, description), times)

    def hang_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Delay the response of the next ``times`` calls; the action is still performed."""
        self._inject(method, _Injection("hang", seconds), times)

    def _inject(self, method: str, injection: _Injection, times: int) -> None:
        key = method.lower()
        with self._cond:
            self._state.injections.setdefault(key, []).extend([injection] * times)

    # ------------------------------------------------------------------ update builders

    def enqueue_message(
        self,
        chat_id: int,
        text: str,
        user_id: int | None = None,
        chat_type: str = "private",
        update_id: int | None = None,
        reply_to_bot: bool = False,
        entities: list[dict[str, Any]] | None = None,
    ) -> int:
        """Queue a message update (as sent by a user) for getUpdates; returns its update_id."""
        with self._cond:
            update = self._build_message_update(
                chat_id, text, user_id, chat_type, update_id, reply_to_bot, entities
            )
            return self._enqueue_locked(update)

    def enqueue_callback(self, chat_id: int, data: str, message_id: int, user_id: int | None = None) -> int:
        """Queue a callback_query update (button press on ``message_id``); returns its update_id."""
        with self._cond:
            return self._enqueue_locked(self._build_callback_update(chat_id, data, message_id, user_id, None))

    def enqueue_raw(self, update: dict[str, Any]) -> int:
        """Queue an arbitrary update dict (``update_id`` is assigned if missing)."""
        with self._cond:
            update = dict(update)
            update["update_id"] = self._take_update_id(update.get("update_id"))
            return self._enqueue_locked(update)

    def make_update_json(
        self,
        chat_id: int,
        text: str = "",
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        update_id: int | None = None,
        reply_to_bot: bool = False,
        entities: list[dict[str, Any]] | None = None,
        callback_data: str | None = None,
        message_id: int | None = None,
    ) -> str:
        """JSON body Telegram would POST to a webhook (not queued for getUpdates).

        With ``callback_data`` a callback_query update for ``message_id`` is built (defaults to
        the last bot message in the chat), otherwise a message update with ``text``.
        """
        with self._cond:
            if callback_data is not None:
                if message_id is None:
                    message_id = self._last_bot_message_id(chat_id)
                update = self._build_callback_update(chat_id, callback_data, message_id, user_id, update_id)
            else:
                update = self._build_message_update(
                    chat_id, text, user_id, chat_type, update_id, reply_to_bot, entities
                )
        return json.dumps(update)

    def _enqueue_locked(self, update: dict[str, Any]) -> int:
        self._state.updates.append(update)
        self._cond.notify_all()
        return int(update["update_id"])

    def _take_update_id(self, update_id: int | None) -> int:
        st = self._state
        if update_id is None:
            update_id = st.next_update_id
        st.next_update_id = max(st.next_update_id, update_id + 1)
        return update_id

    def _take_message_id(self) -> int:
        mid = self._state.next_message_id
        self._state.next_message_id += 1
        return mid

    def _user(self, user_id: int) -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": "Test",
            "last_name": f"User{user_id}",
            "username": f"test_user_{user_id}",
            "language_code": "en",
        }

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _chat(self, chat_id: int | str, chat_type: str | None = None) -> dict[str, Any]:
        key = _chat_key(chat_id)
        known = self._state.chats.get(key)
        if known is not None and (chat_type is None or known["type"] == chat_type):
            return dict(known)
        if isinstance(key, str):  # "@channelusername"
            chat = {
                "id": -1000000000000 - zlib.crc32(key.encode()) % 10**9,
                "type": chat_type or "channel",
                "title": key[1:],
                "username": key[1:],
            }
        else:
            if chat_type is None:
                group_type = "supergroup" if str(key).startswith("-100") else "group"
                chat_type = "private" if key > 0 else group_type
            if chat_type == "private":
                chat = {"id": key, "type": "private", "first_name": "Test", "username": f"test_user_{key}"}
            else:
                chat = {"id": key, "type": chat_type, "title": f"Test {chat_type} {key}"}
        self._state.chats[key] = chat
        return dict(chat)

    def _store(self, msg: dict[str, Any]) -> None:
        self._state.messages[(msg["chat"]["id"], msg["message_id"])] = msg
        # Also reachable via an "@username" chat id, if that's how the bot addressed it.
        username = msg["chat"].get("username")
        if msg["chat"]["type"] != "private" and username:
            self._state.messages[("@" + username, msg["message_id"])] = msg

    def _last_bot_message_id(self, chat_id: int | str) -> int:
        key = _chat_key(chat_id)
        ids = [
            mid
            for (cid, mid), msg in self._state.messages.items()
            if cid == key and msg.get("from", {}).get("id") == self.bot_id
        ]
        if ids:
            return max(ids)
        return self._synthetic_bot_message(key)["message_id"]

    def _synthetic_bot_message(self, chat_id: int | str, message_id: int | None = None) -> dict[str, Any]:
        msg = {
            "message_id": message_id if message_id is not None else self._take_message_id(),
            "from": self._bot_user(),
            "chat": self._chat(chat_id),
            "date": int(time.time()) - 60,
            "text": "(earlier bot message)",
        }
        self._store(msg)
        return msg

    def _build_message_update(
        self,
        chat_id: int,
        text: str,
        user_id: int | None,
        chat_type: str,
        update_id: int | None,
        reply_to_bot: bool,
        entities: list[dict[str, Any]] | None,
    ) -> dict[str, Any]:
        if user_id is None:
            user_id = chat_id if chat_type == "private" else 1001
        chat = self._chat(chat_id, chat_type)
        msg: dict[str, Any] = {
            "message_id": self._take_message_id(),
            "from": self._user(user_id),
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if entities is None and text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
        if entities:
            msg["entities"] = entities
        if reply_to_bot:
            last = self._last_bot_message_id(chat_id)
            msg["reply_to_message"] = dict(self._state.messages[(_chat_key(chat_id), last)])
        self._store(msg)
        return {"update_id": self._take_update_id(update_id), "message": msg}

    def _build_callback_update(
        self, chat_id: int, data: str, message_id: int, user_id: int | None, update_id: int | None
    ) -> dict[str, Any]:
        key = _chat_key(chat_id)
        message = self._state.messages.get((key, message_id))
        if message is None:
            message = self._synthetic_bot_message(key, message_id)
        if user_id is None:
            user_id = chat_id if message["chat"]["type"] == "private" else 1001
        query = {
            "id": str(9_000_000_000 + next(self._state.callback_ids)),
            "from": self._user(user_id),
            "message": dict(message),
            "chat_instance": str(zlib.crc32(str(chat_id).encode())),
            "data": data,
        }
        return {"update_id": self._take_update_id(update_id), "callback_query": query}

    # ------------------------------------------------------------------ API methods (lock held)

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self._state.webhook = {}
        if params.get("drop_pending_updates"):
            self._state.updates.clear()
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url")
        if url is None:
            raise _ApiError(400, "Bad Request: bad webhook: URL must be provided")
        if url == "":
            return self._delete_webhook(params)
        if not str(url).startswith("https://") and not str(url).startswith("http://"):
            raise _ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._state.updates.clear()
        self._state.webhook = dict(params)
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        hook = self._state.webhook
        info: dict[str, Any] = {
            "url": hook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._state.updates),
        }
        if hook:
            info["max_connections"] = hook.get("max_connections", 40)
            if hook.get("allowed_updates") is not None:
                info["allowed_updates"] = hook["allowed_updates"]
            if hook.get("ip_address"):
                info["ip_address"] = hook["ip_address"]
        return info

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code", "")], sort_keys=True)

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: can't parse commands JSON object")
        for cmd in commands:
            if not isinstance(cmd, dict) or not cmd.get("command") or not cmd.get("description"):
                raise _ApiError(400, "Bad Request: command and description must be non-empty")
        self._state.commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return list(self._state.commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self._state.commands.pop(self._commands_key(params), None)
        return True

    def _get_updates_prepare(self, params: dict[str, Any]) -> None:
        if self._state.webhook:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        if isinstance(offset, int) and offset < 0:
            self._state.updates = self._state.updates[offset:]
        elif isinstance(offset, int) and offset > 0:
            self._state.updates = [u for u in self._state.updates if u["update_id"] >= offset]
            self._state.confirmed_offset = max(self._state.confirmed_offset, offset)

    def _long_poll(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset")
        limit = params.get("limit") or 100
        limit = max(1, min(int(limit), 100))
        timeout = params.get("timeout") or 0
        deadline = time.monotonic() + max(0.0, min(float(timeout), self.long_poll_cap))

        def ready() -> list[dict[str, Any]]:
            eligible = self._state.updates
            if isinstance(offset, int) and offset > 0:
                eligible = [u for u in eligible if u["update_id"] >= offset]
            return eligible[:limit]

        while True:
            batch = ready()
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._stopping.is_set():
                return json.loads(json.dumps(batch))
            self._cond.wait(remaining)

    def _message_for_edit(self, params: dict[str, Any]) -> dict[str, Any] | None:
        if params.get("inline_message_id"):
            return None
        if params.get("chat_id") is None or params.get("message_id") is None:
            raise _ApiError(400, "Bad Request: message identifier is not specified")
        msg = self._state.messages.get((_chat_key(params["chat_id"]), params["message_id"]))
        if msg is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return msg

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("chat_id") in (None, ""):
            raise _ApiError(400, "Bad Request: chat_id is empty")
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        chat = self._chat(params["chat_id"])
        msg: dict[str, Any] = {
            "message_id": self._take_message_id(),
            "from": self._bot_user(),
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if isinstance(params.get("entities"), list):
            msg["entities"] = params["entities"]
        if params.get("message_thread_id") is not None:
            msg["message_thread_id"] = params["message_thread_id"]
        reply_to = params.get("reply_to_message_id")
        if isinstance(params.get("reply_parameters"), dict):
            reply_to = params["reply_parameters"].get("message_id")
        if reply_to is not None:
            original = self._state.messages.get((chat["id"], reply_to))
            if original is not None:
                msg["reply_to_message"] = dict(original)
        markup = _inline_markup(params.get("reply_markup"))
        if markup is not None:
            msg["reply_markup"] = markup
        self._store(msg)
        return json.loads(json.dumps(msg))

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        msg = self._message_for_edit(params)
        if msg is None:
            return True
        new_markup = _inline_markup(params.get("reply_markup"))
        if new_markup == msg.get("reply_markup"):
            raise _ApiError(400, _NOT_MODIFIED)
        return self._apply_edit(msg, msg["text"], new_markup, msg.get("entities"))

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        msg = self._message_for_edit(params)
        if msg is None:
            return True
        new_markup = _inline_markup(params.get("reply_markup"))
        entities = params.get("entities") if isinstance(params.get("entities"), list) else None
        if text == msg.get("text") and new_markup == msg.get("reply_markup"):
            raise _ApiError(400, _NOT_MODIFIED)
        return self._apply_edit(msg, text, new_markup, entities)

    def _apply_edit(
        self,
        msg: dict[str, Any],
        text: str,
        markup: dict[str, Any] | None,
        entities: list[dict[str, Any]] | None,
    ) -> dict[str, Any]:
        msg["text"] = text
        msg["edit_date"] = int(time.time())
        for key, value in (("reply_markup", markup), ("entities", entities)):
            if value:
                msg[key] = value
            else:
                msg.pop(key, None)
        return json.loads(json.dumps(msg))

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        if not params.get("callback_query_id"):
            raise _ApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        return True

    # ------------------------------------------------------------------ HTTP plumbing

    def _handle(self, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        """Returns (http status, JSON body, seconds to delay the response)."""
        parts = path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return 404, _ApiError(404, "Not Found").body(), 0.0
        token, raw_method = parts[0][3:], parts[1]
        method = self._canonical.get(raw_method.lower(), raw_method)
        with self._cond:
            try:
                if token != self.token:
                    raise _ApiError(401, "Unauthorized")
                action = self._actions.get(method)
                if action is None:
                    raise _ApiError(404, "Not Found")
                pending = self._state.injections.get(method.lower())
                injection = pending.pop(0) if pending else None
                if injection is not None and injection.kind == "refuse":
                    raise _ApiError(int(injection.value), injection.description)
                if injection is not None and injection.kind == "fail":
                    retry_after = int(injection.value)
                    raise _ApiError(
                        429,
                        f"Too Many Requests: retry after {retry_after}",
                        {"retry_after": retry_after},
                    )
                delay = injection.value if injection is not None else 0.0
                result = action(params)
            except _ApiError as err:
                self._record(Call(method, params, failed=True))
                return err.code, err.body(), 0.0
            except Exception as exc:  # a bug in the fake: make it loud in the test
                self._state.server_errors.append(f"{method}: {exc!r}")
                self._record(Call(method, params, failed=True))
                return 500, _ApiError(500, f"Internal Server Error: {exc!r}").body(), 0.0
            self._record(Call(method, params, failed=False, delayed=delay))
            if method == "getUpdates":
                result = self._long_poll(params)  # waits on the condition (lock released meanwhile)
        return 200, {"ok": True, "result": result}, delay

    def _record(self, call: Call) -> None:
        self._state.calls.append(call)
        self._cond.notify_all()

    def _make_handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "FakeTelegramBotAPI/1.0"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                pass

            def do_GET(self) -> None:  # noqa: N802 - stdlib naming
                self._serve(b"")

            def do_POST(self) -> None:  # noqa: N802 - stdlib naming
                length = int(self.headers.get("Content-Length") or 0)
                self._serve(self.rfile.read(length) if length else b"")

            def _serve(self, body: bytes) -> None:
                url = urlsplit(self.path)
                try:
                    params = {k: _coerce(k, v) for k, v in parse_qsl(url.query, keep_blank_values=True)}
                    params.update(_parse_body(self.headers.get("Content-Type", ""), body))
                except ValueError:
                    status, payload, delay = 400, _ApiError(400, "Bad Request: can't parse request").body(), 0
                else:
                    status, payload, delay = fake._handle(url.path, params)
                if delay:
                    fake._stopping.wait(delay)
                data = json.dumps(payload).encode()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

        return Handler


def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype == "application/json":
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("JSON body must be an object")
        return decoded
    if ctype == "multipart/form-data":
        return _parse_multipart(content_type, body)
    text = body.decode("utf-8")
    return {k: _coerce(k, v) for k, v in parse_qsl(text, keep_blank_values=True, strict_parsing=False)}


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    raw = b"Content-Type: " + content_type.encode() + b"\r\nMIME-Version: 1.0\r\n\r\n" + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            params[str(name)] = {
                "filename": filename,
                "content_type": part.get_content_type(),
                "size": len(payload),
            }
        else:
            params[str(name)] = _coerce(str(name), payload.decode("utf-8"))
    return params
