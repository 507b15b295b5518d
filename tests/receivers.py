"""A real local HTTP receiver for webhook tests: ephemeral port, scripted failures, records requests.

Given the secret, it checks each request the way a Standard Webhooks receiver would, with the reference
implementation (`standardwebhooks`): a bad signature or a stale timestamp is answered 401, and a request
whose `webhook-id` it has already processed is acknowledged (200) without being processed again.
"""

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
    verdict: str = "accepted"  # "accepted", "duplicate", "failed" (scripted), or "rejected: <why>"


def reference_verifier(secret: str):
    """The reference library's verifier for our secret: a `whsec_` secret as is, a plain one as its UTF-8 bytes
    (the library base64-decodes any str it is given)."""
    from standardwebhooks import Webhook

    return Webhook(secret if secret.startswith("whsec_") else secret.encode())


class WebhookReceiver(LocalServer):
    def __init__(self, fail_first: int = 0, fail_status: int = 503, secret: str | None = None):
        super().__init__()
        self.fail_first, self.fail_status = fail_first, fail_status
        self.verifier = reference_verifier(secret) if secret is not None else None
        self.requests: list[Received] = []
        self.seen_ids: set[str] = set()
        self._lock = threading.Lock()

    def check(self, headers: dict, body: bytes) -> tuple[int, str]:
        """Status and verdict for a request that reached the (not failing) receiver; call with the lock held."""
        if self.verifier is None:
            return 200, "accepted"
        from standardwebhooks import WebhookVerificationError

        try:
            self.verifier.verify(body, headers)
        except WebhookVerificationError as error:
            return 401, f"rejected: {error}"
        if headers["webhook-id"] in self.seen_ids:
            return 200, "duplicate"
        self.seen_ids.add(headers["webhook-id"])
        return 200, "accepted"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    if len(receiver.requests) < receiver.fail_first:
                        status, verdict = receiver.fail_status, "failed"
                    else:
                        status, verdict = receiver.check(headers, body)
                    receiver.requests.append(Received(headers, body, status, verdict))
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

    @property
    def processed(self) -> list[Received]:
        """Requests acted on: accepted, and not a repeat of a webhook-id already processed."""
        return [r for r in self.requests if r.verdict == "accepted" and r.status == 200]
