"""What both stub services' HTTP servers share: threads, a base URL, prompt responses."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StubServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that can say where it listens (port 0 picks a free one)."""

    daemon_threads = True

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, a kept-alive connection would
    # wait for the client's delayed ACK (about 40 ms) before the body.
    disable_nagle_algorithm = True
