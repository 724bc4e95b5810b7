"""The publisher's reducer calls reuse one kept-alive connection, and survive its loss."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stub.runtime.spacetime_client import ReducerConnection
from stub.runtime.target import Target


@contextmanager
def _server(*, drop_after_answer: bool) -> Iterator[tuple[str, list[int]]]:
    """A server answering every POST with 200, listing the client port of each call; with
    `drop_after_answer` it closes the connection after each answer without saying so, as a
    server does with a connection that sat idle too long."""
    ports: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            ports.append(self.client_address[1])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.close_connection = drop_after_answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", ports
    finally:
        server.shutdown()
        server.server_close()


def test_calls_reuse_one_connection() -> None:
    with _server(drop_after_answer=False) as (url, ports):
        connection = ReducerConnection(Target(url, "db", "token"), 5.0)
        answers = [connection.call([seq]) for seq in range(3)]
        connection.close()
    assert [answer.status for answer in answers] == [200, 200, 200]
    assert len(ports) == 3 and len(set(ports)) == 1


def test_a_connection_the_server_dropped_is_replaced_and_the_call_answered() -> None:
    with _server(drop_after_answer=True) as (url, ports):
        connection = ReducerConnection(Target(url, "db", "token"), 5.0)
        answers = [connection.call([seq]) for seq in range(3)]
        connection.close()
    assert [answer.status for answer in answers] == [200, 200, 200]
    assert len(set(ports)) == 3


def test_no_server_is_no_answer() -> None:
    with _server(drop_after_answer=False) as (url, _):
        pass
    answer = ReducerConnection(Target(url, "db", "token"), 5.0).call([1])
    assert answer.status is None and answer.text


def test_a_name_that_no_longer_resolves_fails_the_call_and_the_next_one_reconnects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As when the server is partitioned away under its alias: the kept-alive connection
    is not trusted to reach it (it would hang until the timeout); the call fails now."""
    with _server(drop_after_answer=False) as (url, ports):
        connection = ReducerConnection(Target(url, "db", "token"), 5.0)
        first = connection.call([1])
        resolve = socket.getaddrinfo

        def unresolvable(*args: object, **kwargs: object) -> object:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

        monkeypatch.setattr(socket, "getaddrinfo", unresolvable)
        cut = connection.call([2])
        monkeypatch.setattr(socket, "getaddrinfo", resolve)
        healed = connection.call([3])
        connection.close()
    assert (first.status, cut.status, healed.status) == (200, None, 200)
    assert "gaierror" in cut.text
    assert len(ports) == 2 and len(set(ports)) == 2
