"""Calls of the module's apply reducer over SpacetimeDB's HTTP API, on a kept-alive
connection.

Only the standard library (the runtime's container has nothing else), and no proxy from
the environment (`http.client` never reads one): the server is on the harness's private
network, and a proxy would turn "SpacetimeDB is down" into some other answer. What the
answer means is `classify`'s job; this module only reports it, with no status at all when
nothing answered.

Each stream's worker owns one `ReducerConnection`, so consecutive calls skip the TCP
handshake (HTTP/1.1 keep-alive) and no two threads ever share a socket. The server's name
is still looked up for every call, as a new connection would: a call whose name no longer
resolves fails at once (a partitioned server is noticed now, not after a timeout on a
socket to where it was), and one whose name now resolves elsewhere reconnects. A
connection the server has closed while it sat idle fails on its next request before any
answer; that request is made once more on a fresh connection. The call may thus reach the
module twice, which a send may always do (B1: the module answers a duplicate with success).
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from stub.runtime.target import Target

# The error text of a failed reducer is short; a longer body is cut to keep logs readable.
_MAX_TEXT = 4096
# What a kept-alive connection the server dropped while idle fails with, before any answer.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


@dataclass(frozen=True, slots=True)
class CallAnswer:
    """The HTTP status and body text of a call; status None when no answer came."""

    status: int | None
    text: str


class ReducerConnection:
    """One kept-alive HTTP connection to `target`'s apply reducer, for one thread."""

    def __init__(self, target: Target, timeout_s: float) -> None:
        url = urlsplit(target.reducer_url)
        self._path = url.path + (f"?{url.query}" if url.query else "")
        self._headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
        if target.token:
            self._headers["Authorization"] = f"Bearer {target.token}"
        factory = (
            http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        )
        self._connection = factory(url.netloc, timeout=timeout_s)
        self._host, self._port = self._connection.host, self._connection.port
        self._used = False

    def call(self, args: Sequence[object]) -> CallAnswer:
        """`POST {stdb_url}/v1/database/{database}/call/{reducer}` with `args` (rendered
        from the target's templates) as a JSON array."""
        body = json.dumps(list(args), ensure_ascii=False).encode("utf-8")
        try:
            self._check_peer()
            reused = self._used
            try:
                return self._exchange(body)
            except _STALE:
                if not reused:
                    raise
                self._connection.close()  # dropped while idle: once more, freshly connected
                return self._exchange(body)
        except (OSError, http.client.HTTPException) as exc:
            # Refused, unreachable, timed out or broken: no answer. The next call reconnects.
            self._connection.close()
            self._used = False
            return CallAnswer(None, f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        self._connection.close()

    def _check_peer(self) -> None:
        """Look the server's name up (socket.gaierror when it no longer resolves), and
        drop an open connection to an address the name no longer gives."""
        addresses = {
            info[4][:2]
            for info in socket.getaddrinfo(self._host, self._port, type=socket.SOCK_STREAM)
        }
        sock = self._connection.sock
        if sock is None:
            return
        try:
            peer = sock.getpeername()[:2]
        except OSError:
            peer = None
        if peer not in addresses:
            self._connection.close()
            self._used = False

    def _exchange(self, body: bytes) -> CallAnswer:
        self._used = False
        self._connection.request("POST", self._path, body=body, headers=self._headers)
        response = self._connection.getresponse()
        text = _text(response.read())
        # http.client closes the socket itself when the answer says it will not be reused.
        self._used = not response.will_close
        return CallAnswer(response.status, text)


def _text(body: bytes) -> str:
    return body[:_MAX_TEXT].decode("utf-8", errors="replace")
