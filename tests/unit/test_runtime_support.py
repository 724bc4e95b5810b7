"""Shared helpers for the stub runtime's tests; holds no tests itself.

Named `test_runtime_*` because that is the family of test files the runtime owns. The
runtime runs in-process against `FakeSpacetime`, a standard-library HTTP server on
127.0.0.1 that answers `apply_event` calls the way SpacetimeDB does (200, or 530 with the
reducer's error text) by asking the oracle (`harness.model`). Tests can make it fail,
stall or vanish per stream, and it records every call it answered, in order.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

import pytest

from harness.contract.events import ApplyEventArgs, Event, idempotency_key
from harness.contract.snapshot import Snapshot
from harness.contract.streams import topic_of
from harness.model.module import ReferenceModel
from harness.model.project import project
from stub.runtime import event as stub_event
from stub.runtime.service import RuntimeService
from stub.runtime.settings import PublisherSettings
from stub.runtime.target import Target

DATABASE: Final = "testdb"
PUBLISHER_TOKEN: Final = "publisher-token"
PUBLISHER: Final = "publisher"
FAST: Final = PublisherSettings(backoff_initial_s=0.002, backoff_max_s=0.02, call_timeout_s=5.0)
WAIT_S: Final = 10.0

RUN: Final = "run:r1:events"
WORKER: Final = "worker:w1:lifecycle"
NOTE: Final = "fleet:user:u1:workers"

# An answer the fake gives instead of the oracle's: (HTTP status, body text).
Answer = tuple[int, str]
# Decides, per call, whether to answer something else than the oracle would.
Override = Callable[[ApplyEventArgs], Answer | None]
# Turns a call's JSON arguments into the reference's, for the oracle; ValueError, TypeError
# or KeyError when they are not the module's arguments (answered 400, as SpacetimeDB does).
Decode = Callable[[list[Any]], ApplyEventArgs]


def reference_args(values: list[Any]) -> ApplyEventArgs:
    """The reference module's `apply_event` arguments."""
    return ApplyEventArgs(*values)


@dataclass(frozen=True)
class Call:
    """One `apply_event` call the fake answered, with its arguments and answer."""

    args: ApplyEventArgs
    status: int
    text: str
    started: float
    ended: float


@dataclass
class FakeSpacetime:
    """A SpacetimeDB standalone stand-in serving one database whose module is the oracle.

    The module's apply reducer is `reducer`, its arguments read by `decode`; `bodies` holds
    every call's JSON arguments as received, in order."""

    model: ReferenceModel = field(default_factory=lambda: ReferenceModel(PUBLISHER))
    calls: list[Call] = field(default_factory=list)
    bodies: list[list[Any]] = field(default_factory=list)
    override: Override | None = None
    reducer: str = "apply_event"
    decode: Decode = reference_args
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def target(self) -> Target:
        return Target(self.url, DATABASE, PUBLISHER_TOKEN)

    def up(self) -> None:
        """Listen (again, on the same port after `down`)."""
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening: calls now fail to connect, as when SpacetimeDB is down."""
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def snapshot(self) -> Snapshot:
        with self.lock:
            return self.model.snapshot()

    def calls_for(self, stream_id: str) -> list[Call]:
        with self.lock:
            return [call for call in self.calls if call.args.stream_id == stream_id]

    def answer(self, caller: str, args: ApplyEventArgs) -> Answer:
        override = self.override
        forced = None if override is None else override(args)
        if forced is not None:
            return forced
        with self.lock:
            outcome = self.model.apply_event(caller, args)
        return (200, "") if outcome.error is None else (530, outcome.error)

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)


def _handler_for(fake: FakeSpacetime) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            started = time.monotonic()
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != f"/v1/database/{DATABASE}/call/{fake.reducer}":
                self._reply(404, "No such database.")
                return
            if self.headers.get("Content-Type") != "application/json":
                self._reply(415, "Expected request with `Content-Type: application/json`")
                return
            bearer = self.headers.get("Authorization", "")
            caller = PUBLISHER if bearer == f"Bearer {PUBLISHER_TOKEN}" else "stranger"
            values = json.loads(body)
            with fake.lock:
                fake.bodies.append(values)
            try:
                args = fake.decode(values)
            except (ValueError, TypeError, KeyError) as exc:
                self._reply(400, f"invalid arguments for reducer {fake.reducer}: {exc}")
                return
            status, text = fake.answer(caller, args)
            fake.record(Call(args, status, text, started, time.monotonic()))
            self._reply(status, text)

        def _reply(self, status: int, text: str) -> None:
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    return Handler


# A module that is not the reference: `ingest(key, stream, kind, body, digest, committed_ms,
# offset, durable, expected_next)`, keyed `{stream_id}/{seq}/{kind}`, its hash without the
# `sha256:` prefix, and refusals phrased its own way ("E_KEY_REUSED: ...", "E_BUSY: ...").
INGEST: Final = "ingest"
INGEST_ARGS: Final[tuple[object, ...]] = (
    "{stream_id}/{seq}/{kind}", "{stream_id}", "{kind}", "{payload_json}", "{payload_hash_hex}",
    "{published_at_ms}", "{seq}", True, "{seq}",
)  # fmt: skip
INGEST_PERMANENT: Final = (r"^E_KEY_REUSED\b", r"^E_(BAD|FORBIDDEN)_")


def ingest_args(values: list[Any]) -> ApplyEventArgs:
    """`ingest`'s arguments as the reference's, for the oracle; ValueError unless they are
    exactly what that module takes."""
    key, stream, kind, body, digest, committed_ms, offset, durable, expected_next = values
    if not (isinstance(offset, int) and isinstance(committed_ms, int)):
        raise ValueError(f"offset and committed_ms must be integers: {values!r}")
    if key != f"{stream}/{offset}/{kind}" or durable is not True or expected_next != offset:
        raise ValueError(f"not ingest's arguments: {values!r}")
    if not isinstance(digest, str) or len(digest) != 64 or digest.startswith("sha256:"):
        raise ValueError(f"digest {digest!r} is not a bare hex SHA-256")
    topic = topic_of(stream)
    return ApplyEventArgs(
        stream, offset, idempotency_key(topic, offset), kind, body, "sha256:" + digest,
        committed_ms,
    )  # fmt: skip


def ingest_target(fake: FakeSpacetime) -> Target:
    """Make `fake` serve the `ingest` module, and the target that calls it."""
    fake.reducer, fake.decode = INGEST, ingest_args
    return Target(fake.url, DATABASE, PUBLISHER_TOKEN, INGEST, INGEST_ARGS, INGEST_PERMANENT)


@contextmanager
def fake_spacetime() -> Iterator[FakeSpacetime]:
    fake = FakeSpacetime()
    fake.up()
    try:
        yield fake
    finally:
        fake.down()


class Runtimes:
    """Starts runtimes on one data directory and stops them all at the end of a test."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._started: list[RuntimeService] = []

    def start(self, target: Target | None = None, **kwargs: Any) -> RuntimeService:
        kwargs.setdefault("settings", FAST)
        service = RuntimeService(self.data_dir, target, **kwargs)
        service.start()
        self._started.append(service)
        return service

    def restart(self, service: RuntimeService, target: Target | None = None) -> RuntimeService:
        """Stop `service` and start a new one on the same data directory."""
        service.stop()
        return self.start(target)

    def stop_all(self) -> None:
        for service in self._started:
            service.stop()


def journal_of(service: RuntimeService, topics: list[str]) -> list[stub_event.Event]:
    """Every journaled event of `topics`, as the runtime reads them back."""
    return [event for topic in topics for event in service.read_journal(topic, 0, 10_000).events]


def as_contract(event: stub_event.Event) -> Event:
    """The runtime's event rebuilt by the contract from its primary fields only, so that its
    derived forms are the oracle's (E4-E6, S1), never the runtime's claims."""
    return Event(event.topic, event.seq, event.kind, dict(event.payload), event.published_at_ms)


def projection_of(service: RuntimeService, topics: list[str]) -> Snapshot:
    """What the module must hold once it has applied the whole journal (B5, G2)."""
    return project([as_contract(event) for event in journal_of(service, topics)])


def note(service: RuntimeService, topic: str, text: str) -> stub_event.Event:
    return service.append(topic, "note", json.dumps({"text": text}))


def run_step(service: RuntimeService, tokens: int, topic: str = RUN) -> stub_event.Event:
    return service.append(topic, "run.step", json.dumps({"tokens": tokens}))


def wait_for(condition: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    """Poll `condition` until it holds; AssertionError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


@pytest.fixture(name="fake")
def fake_fixture() -> Iterator[FakeSpacetime]:
    """A running fake SpacetimeDB (import `fake_fixture` into a test module to use it)."""
    with fake_spacetime() as server:
        yield server


@pytest.fixture(name="runtimes")
def runtimes_fixture(tmp_path: Path) -> Iterator[Runtimes]:
    """Runtimes on a fresh data directory, stopped when the test ends."""
    started = Runtimes(tmp_path / "data")
    yield started
    started.stop_all()
