"""The HTTP driver against a scripted local server that answers like SpacetimeDB 1.2."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.spacetime.errors import CallRejected, ReducerFailed, SpacetimeUnavailable
from harness.spacetime.http import SpacetimeHttp
from harness.spacetime.sats import JsonValue

IDENTITY_HEX = "c200" + "1f" * 30
TOKEN = "eyJhbGciOiJFUzI1NiJ9.e30.sig"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FakeServer:
    """Answers each (method, path-with-query) with a scripted reply and records requests."""

    def __init__(self) -> None:
        self.replies: dict[tuple[str, str], Reply] = {}
        self.seen: list[Seen] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                fake.seen.append(Seen(self.command, self.path, dict(self.headers), body))
                reply = fake.replies.get((self.command, self.path), Reply(404, b"no route"))
                time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client already gave up (the timeout test)

            def log_message(self, format: str, *args: object) -> None:
                pass

        for verb in ("GET", "POST", "PUT", "DELETE"):
            setattr(Handler, f"do_{verb}", Handler._handle)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def reply(self, method: str, path: str, reply: Reply) -> None:
        self.replies[(method, path)] = reply


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    thread = threading.Thread(target=fake.server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


def test_create_identity_posts_without_auth_and_normalizes(server: FakeServer) -> None:
    server.reply(
        "POST",
        "/v1/identity",
        Reply(body=_json({"identity": IDENTITY_HEX.upper(), "token": TOKEN})),
    )

    identity = SpacetimeHttp(server.url).create_identity()

    assert identity.identity == IDENTITY_HEX
    assert identity.token == TOKEN
    assert "Authorization" not in server.seen[0].headers


def test_publish_puts_raw_wasm_with_bearer_and_clear(server: FakeServer) -> None:
    # As a 1.2 server answers: plain serde JSON, the identity as bare hex.
    success = (
        b'{"Success":{"domain":"ref","database_identity":'
        b'"c200254f0bedc12b50a8887de78cd86465dbb052d67b0f173f817096550d2623","op":"created"}}'
    )
    server.reply("PUT", "/v1/database/ref?clear=true", Reply(body=success))
    wasm = b"\x00asm\x01\x00\x00\x00"

    result = SpacetimeHttp(server.url).with_token(TOKEN).publish("ref", wasm, clear=True)

    assert result.database_identity.startswith("c200254f0bedc12b")
    assert (result.domain, result.op) == ("ref", "created")
    assert server.seen[0].body == wasm
    assert server.seen[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_publish_of_a_broken_module_carries_the_server_text(server: FakeServer) -> None:
    # 1.2 answers a module that is not WebAssembly with a 500.
    text = b"failed to parse WebAssembly module: magic header not detected: bad magic number"
    server.reply("PUT", "/v1/database/ref", Reply(500, text))

    with pytest.raises(CallRejected) as caught:
        SpacetimeHttp(server.url, TOKEN).publish("ref", b"junk")

    assert caught.value.status == 500
    assert "magic header not detected" in caught.value.body
    assert "publish ref" in str(caught.value)


def test_call_sends_a_json_array_and_reports_timing(server: FakeServer) -> None:
    path = "/v1/database/ref/call/apply_event"
    server.reply("POST", path, Reply(headers={"spacetime-execution-duration-micros": "321"}))
    args: list[JsonValue] = ["s-1", 1, "k-1", {"some": "x"}]

    receipt = SpacetimeHttp(server.url, TOKEN).call("ref", "apply_event", args)

    seen = server.seen[0]
    assert json.loads(seen.body) == args
    assert seen.headers["Content-Type"] == "application/json"
    assert receipt.execution_micros == 321
    assert receipt.elapsed_seconds > 0


def test_call_530_is_reducer_failed_with_the_module_text(server: FakeServer) -> None:
    path = "/v1/database/ref/call/apply_event"
    server.reply("POST", path, Reply(530, b"sequence_conflict expected_next_seq=2 actual_seq=7"))

    with pytest.raises(ReducerFailed) as caught:
        SpacetimeHttp(server.url, TOKEN).call("ref", "apply_event", [])

    assert caught.value.reducer == "apply_event"
    assert caught.value.message.startswith("sequence_conflict")


@pytest.mark.parametrize(
    ("status", "text"),
    [  # as a 1.2 server answers
        (400, "invalid arguments for reducer apply_event: [0]: invalid type: integer `1`"),
        (404, "no such reducer"),
        (401, "TokenError(Error(InvalidToken))"),
        (415, "Expected request with `Content-Type: application/json`"),
    ],
)
def test_call_other_errors_are_rejections(server: FakeServer, status: int, text: str) -> None:
    server.reply("POST", "/v1/database/ref/call/nope", Reply(status, text.encode()))

    with pytest.raises(CallRejected) as caught:
        SpacetimeHttp(server.url, TOKEN).call("ref", "nope", [])

    assert caught.value.status == status
    assert caught.value.body == text


def test_sql_decodes_rows_by_the_response_schema(server: FakeServer) -> None:
    # Captured from a 1.2 server (a second row with a short identity added).
    body = (
        b'[{"schema":{"elements":[{"name":{"some":"id"},"algebraic_type":{"U32":[]}},'
        b'{"name":{"some":"publisher"},"algebraic_type":{"Product":{"elements":[{"name":'
        b'{"some":"__identity__"},"algebraic_type":{"U256":[]}}]}}}]},"rows":[[0,["0xc200539c09'
        b'fb46ed481ca462ba85f65bc87515a55249666ddacdf57e03bd1127"]],[1,["0x5"]]],'
        b'"total_duration_micros":292,"stats":{"rows_inserted":0,"rows_deleted":0,'
        b'"rows_updated":0}}]'
    )
    server.reply("POST", "/v1/database/ref/sql", Reply(body=body))

    rows = SpacetimeHttp(server.url, TOKEN).sql("ref", "SELECT * FROM module_publisher")

    assert server.seen[0].body == b"SELECT * FROM module_publisher"
    assert rows == [
        {"id": 0, "publisher": "c200539c09fb46ed481ca462ba85f65bc87515a55249666ddacdf57e03bd1127"},
        {"id": 1, "publisher": "0" * 63 + "5"},
    ]


def test_sql_error_is_a_rejection(server: FakeServer) -> None:
    server.reply("POST", "/v1/database/ref/sql", Reply(400, b"no such table: `nope`"))

    with pytest.raises(CallRejected, match="no such table"):
        SpacetimeHttp(server.url, TOKEN).sql("ref", "SELECT * FROM nope")


def test_schema_and_logs(server: FakeServer) -> None:
    schema = {
        "typespace": {
            "types": [
                {"Product": {"elements": [{"name": {"some": "id"}, "algebraic_type": {"U32": []}}]}}
            ]
        },
        "tables": [{"name": "run_summary", "product_type_ref": 0}],
    }
    server.reply("GET", "/v1/database/ref/schema?version=9", Reply(body=_json(schema)))
    log_lines = (  # as a 1.2 server writes them
        b'{"level":"Error","ts":1795347497091187,"target":"apply_event",'
        b'"message":"invalid_event idempotency_key"}\n\n'
        b'{"level":"Error","ts":1795347497092688,"filename":"external",'
        b'"message":"External attempt to call nonexistent reducer \\"nope\\" failed."}\n'
    )
    server.reply("GET", "/v1/database/ref/logs?num_lines=5", Reply(body=log_lines))
    client = SpacetimeHttp(server.url, TOKEN)

    assert client.schema("ref").row_type("run_summary").columns == ("id",)
    logs = client.logs("ref", 5)
    assert len(logs) == 2
    assert logs[0]["message"] == "invalid_event idempotency_key"
    assert logs[1]["message"].startswith('External attempt to call nonexistent reducer "nope"')


def test_delete_is_idempotent_but_reports_other_errors(server: FakeServer) -> None:
    server.reply("DELETE", "/v1/database/gone", Reply(404))  # 1.2: no such database
    server.reply("DELETE", "/v1/database/theirs", Reply(500, b"Permission denied"))
    client = SpacetimeHttp(server.url, TOKEN)

    client.delete_database("gone")
    with pytest.raises(CallRejected, match="Permission denied"):
        client.delete_database("theirs")
    assert [seen.method for seen in server.seen] == ["DELETE", "DELETE"]


def test_refused_connection_is_unavailable_and_surely_not_sent() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on `port` any more.

    with pytest.raises(SpacetimeUnavailable) as caught:
        SpacetimeHttp(f"http://127.0.0.1:{port}", timeout=2).call("ref", "apply_event", [])

    assert caught.value.outcome_unknown is False


def test_timeout_after_sending_is_outcome_unknown(server: FakeServer) -> None:
    server.reply("POST", "/v1/database/ref/call/slow", Reply(delay=1.0))

    with pytest.raises(SpacetimeUnavailable) as caught:
        SpacetimeHttp(server.url, TOKEN, timeout=0.2).call("ref", "slow", [])

    assert caught.value.outcome_unknown is True
    assert server.seen[0].path == "/v1/database/ref/call/slow"


def test_ping(server: FakeServer) -> None:
    server.reply("GET", "/v1/ping", Reply())
    SpacetimeHttp(server.url).ping()
    assert server.seen[0].path == "/v1/ping"
