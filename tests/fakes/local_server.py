"""The lifecycle every local test server shares: 127.0.0.1, an ephemeral port, a daemon thread."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LocalServer:
    """Subclasses provide `_handler_class()`; `_before_stop()` may release blocked requests."""

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def _before_stop(self) -> None:
        """Hook: wake anything a request is waiting on, so shutdown() does not hang."""

    def start(self) -> Self:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())  # listening once constructed
        server.daemon_threads = True
        # A short select() timeout keeps shutdown() fast (the stdlib default polls every 0.5 s).
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                                  name=f"{type(self).__name__}:{server.server_address[1]}", daemon=True)
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._before_stop()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running; call start() or use it as a context manager")
        return int(self._server.server_address[1])
