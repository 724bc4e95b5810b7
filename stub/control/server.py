"""The socket side: a threaded standard-library HTTP server around `http.dispatch`.

Only the standard library, because the service's container has nothing else. Each connection
gets a thread; HTTP/1.1 keep-alive is on, so every answer carries Content-Length.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast
from urllib.parse import urlsplit

from stub.control.http import App, Request, dispatch
from stub.http_base import StubHandler, StubServer


class ControlServer(StubServer):
    """A ThreadingHTTPServer that carries the `App` its handlers serve."""

    def __init__(self, address: tuple[str, int], app: App) -> None:
        super().__init__(address, _Handler)
        self.app = app


class _Handler(StubHandler):

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length, self.close_connection = 0, True  # unknown framing: do not reuse
        body = self.rfile.read(length) if length > 0 else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(self.command, urlsplit(self.path).path, headers, body)
        response = dispatch(cast(ControlServer, self.server).app, request)
        payload = json.dumps(response.body, separators=(",", ":")).encode("utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    # Every method reaches the dispatcher, so a retired alias answers 404 to all of them (T6).
    # The names are BaseHTTPRequestHandler's convention.
    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve  # noqa: N815


@contextmanager
def running(app: App, host: str = "127.0.0.1", port: int = 0) -> Iterator[ControlServer]:
    """Serve `app` from a background thread for the duration of a `with` block (tests)."""
    server = ControlServer((host, port), app)
    # A short poll interval makes `shutdown` quick: tests start and stop many servers.
    thread = threading.Thread(
        target=server.serve_forever, args=(0.01,), name="control-service", daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
