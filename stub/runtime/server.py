"""The socket side: a threaded standard-library HTTP server around `api.dispatch`.

Only the standard library, because the runtime's container has nothing else. Each
connection gets a thread, so a `POST /v1/wait` blocking for seconds holds up no one else.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlsplit

from stub.http_base import StubHandler, StubServer
from stub.runtime.api import Request, Response, dispatch, error
from stub.runtime.service import RuntimeService

# Far above any valid request (a payload is at most 64 KiB, JSON-escaped perhaps 6x).
MAX_BODY_BYTES = 1 << 20


class RuntimeServer(StubServer):
    """A ThreadingHTTPServer that carries the runtime its handlers serve."""

    def __init__(self, address: tuple[str, int], service: RuntimeService) -> None:
        super().__init__(address, _Handler)
        self.service = service


class _Handler(StubHandler):

    def _serve(self) -> None:
        assert isinstance(self.server, RuntimeServer)
        response = self._response(self.server.service)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(response.body)

    def _response(self, service: RuntimeService) -> Response:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            # The body is left unread, so the connection cannot be reused.
            self.close_connection = True
            return error(413, "request_too_large", f"body length must be 0..{MAX_BODY_BYTES}")
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        return dispatch(service, Request(self.command, url.path, query, headers, body))

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the harness reads the runtime's log for failures, not for every request."""

    do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 - BaseHTTPRequestHandler's names


@contextmanager
def running(service: RuntimeService, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `service` from a background thread for a `with` block; yields the base URL."""
    server = RuntimeServer((host, port), service)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.01,), name="runtime-api", daemon=True
    )
    thread.start()
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
