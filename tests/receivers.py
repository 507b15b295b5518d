"""A real local HTTP receiver for webhook tests: ephemeral port, scripted failures, records requests."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from fakes.local_server import LocalServer


@dataclass(frozen=True, slots=True)
class Received:
    headers: dict
    body: bytes
    status: int


class WebhookReceiver(LocalServer):
    def __init__(self, fail_first: int = 0, fail_status: int = 503):
        super().__init__()
        self.fail_first, self.fail_status = fail_first, fail_status
        self.requests: list[Received] = []
        self._lock = threading.Lock()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    status = receiver.fail_status if len(receiver.requests) < receiver.fail_first else 200
                    receiver.requests.append(Received({k.lower(): v for k, v in self.headers.items()}, body, status))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        return Handler

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/leads"

    @property
    def accepted(self) -> list[Received]:
        return [r for r in self.requests if r.status == 200]
