"""Readiness of a server given by URL (`--stdb-url`): testcontainers' HttpWaitStrategy, aimed
at an address instead of a container. Containers use the same strategy (the container tier)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.env.services import READY_POLL_S, wait_until_ready
from harness.errors import EnvironmentFailed


class _Warming:
    """Answers 503 to the first `cold` requests, then 200."""

    def __init__(self, cold: int) -> None:
        self.cold = cold
        self.paths: list[str] = []


@pytest.fixture
def serving(request: pytest.FixtureRequest) -> Iterator[tuple[str, _Warming]]:
    warming = _Warming(request.param)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            warming.paths.append(self.path)
            ready = len(warming.paths) > warming.cold
            self.send_response(200 if ready else 503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", warming
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("serving", [3], indirect=True)
def test_waits_through_non_200_answers_until_ready(serving: tuple[str, _Warming]) -> None:
    url, warming = serving
    took = wait_until_ready(url + "/v1/ping", timeout_s=10)
    assert warming.paths == ["/v1/ping"] * 4
    assert 3 * READY_POLL_S <= took < 5


@pytest.mark.parametrize("serving", [10**6], indirect=True)
def test_never_ready_is_environment_failed_naming_the_url(serving: tuple[str, _Warming]) -> None:
    url, _ = serving
    with pytest.raises(EnvironmentFailed) as failed:
        wait_until_ready(url + "/healthz", timeout_s=1)
    assert failed.value.message.startswith(f"{url}/healthz was not ready after 1s (")
    assert "docker logs" in failed.value.hint


def test_nothing_listening_is_environment_failed() -> None:
    with pytest.raises(EnvironmentFailed, match=r"was not ready after 1s"):
        wait_until_ready("http://127.0.0.1:9/v1/ping", timeout_s=1)
