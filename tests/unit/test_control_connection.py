"""A control service that closes a kept-alive connection between requests, as hyper does
when a handler leaves the request body unread: the next request on that connection gets no
answer at all. That is never a harness error (it was the command-mode flake of a real
service): the request goes again, once, on a fresh connection. A fresh connection that is
dropped, or nothing listening, still is one."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from harness.drivers.control import ControlClient, ControlUnavailable
from harness.env.services import ephemeral_range, free_port

ANSWER = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n"
          b"\r\n{\"ok\": true}")


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += conn.recv(65536)
    return head


@contextmanager
def server(answers_per_connection: int) -> Iterator[tuple[str, list[int]]]:
    """Answers `answers_per_connection` requests on each connection, then reads the next
    request and closes the connection without a word (0: closes at once)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    connections: list[int] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            connections.append(1)
            with conn:
                for _ in range(answers_per_connection):
                    if not _read_request(conn):
                        break
                    conn.sendall(ANSWER)
                else:
                    _read_request(conn)  # the next request arrives, and gets nothing

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", connections
    finally:
        listener.close()


def test_a_connection_closed_between_requests_is_sent_again_on_a_fresh_one() -> None:
    with server(answers_per_connection=1) as (url, connections):
        client = ControlClient(url, timeout=5)
        for _ in range(4):
            assert client.request("POST", "/api/sync/token", body={"ttl_seconds": 300}).status \
                == 200
        assert len(connections) == 4  # each reused connection was dropped and replaced


def test_a_fresh_connection_dropped_is_still_no_answer() -> None:
    with server(answers_per_connection=0) as (url, _), \
            pytest.raises(ControlUnavailable, match="no answer"):
        ControlClient(url, timeout=5).request("POST", "/api/sync/token", body={})


def test_nothing_listening_is_no_answer() -> None:
    with pytest.raises(ControlUnavailable, match="no answer"):
        ControlClient(f"http://127.0.0.1:{free_port()}", timeout=2).request("GET", "/")


def test_ports_the_harness_picks_are_outside_the_kernels_ephemeral_range() -> None:
    low, high = ephemeral_range()
    for _ in range(50):
        assert not low <= free_port() <= high
