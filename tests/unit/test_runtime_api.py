"""The runtime's HTTP API, served in-process: formats, routes and error answers."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from google.protobuf import json_format

from harness.contract.streams import stream_of
from harness.drivers import runtime_pb2 as harness_pb
from harness.drivers.runtime import (
    DeadLetter,
    FaultCounters,
    RuntimeClient,
    RuntimeProtocolError,
    RuntimeRefused,
)
from stub.proto import runtime_pb2 as pb
from stub.runtime.server import MAX_BODY_BYTES, running
from stub.runtime.service import RuntimeService
from tests.unit.test_runtime_support import (
    DATABASE,
    INGEST,
    INGEST_ARGS,
    INGEST_PERMANENT,
    NOTE,
    PUBLISHER_TOKEN,
    RUN,
    FakeSpacetime,
    Runtimes,
    fake_fixture,  # noqa: F401 - a fixture
    ingest_target,
    runtimes_fixture,  # noqa: F401 - a fixture
    wait_for,
)

PROTOBUF = "application/x-protobuf"
NOTE_BODY = {"topic": NOTE, "kind": "note", "payload_json": '{"text":"hi"}'}


@pytest.fixture
def service(runtimes: Runtimes) -> RuntimeService:
    return runtimes.start()


@pytest.fixture
def api(service: RuntimeService) -> Iterator[str]:
    with running(service) as base_url:
        yield base_url


def _error(response: requests.Response) -> dict[str, Any]:
    assert response.headers["Content-Type"] == "application/json"
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"code", "message"} and error["message"]
    return error


def test_append_in_json_answers_the_journaled_event(api: str) -> None:
    response = requests.post(f"{api}/v1/events", json=NOTE_BODY, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    event = response.json()["event"]
    assert {k: event[k] for k in ("topic", "seq", "kind", "payload_json", "stream_id")} == {
        "topic": NOTE,
        "seq": 1,
        "kind": "note",
        "payload_json": '{"text":"hi"}',
        "stream_id": stream_of(NOTE),
    }
    assert event["idempotency_key"] == f"topic:{NOTE}:seq:1"
    assert event["payload_hash"].startswith("sha256:")


def test_append_in_protobuf_answers_in_protobuf(api: str) -> None:
    request = pb.AppendRequest(
        topic=RUN, kind="run.step", payload_json='{"tokens": 2}', published_at_ms=1234
    )
    response = requests.post(
        f"{api}/v1/events",
        data=request.SerializeToString(),
        headers={"Content-Type": PROTOBUF},
        timeout=5,
    )
    assert (response.status_code, response.headers["Content-Type"]) == (200, PROTOBUF)
    answer = pb.AppendResponse.FromString(response.content)
    assert (answer.event.seq, answer.event.published_at_ms) == (1, 1234)
    assert answer.event.payload_json == '{"tokens":2}'


def test_accept_header_chooses_the_answer_format(api: str) -> None:
    response = requests.post(
        f"{api}/v1/events", json=NOTE_BODY, headers={"Accept": PROTOBUF}, timeout=5
    )
    assert pb.AppendResponse.FromString(response.content).event.topic == NOTE


def test_E2_append_carrying_a_seq_is_refused_in_json(api: str, service: RuntimeService) -> None:
    response = requests.post(f"{api}/v1/events", json={**NOTE_BODY, "seq": 7}, timeout=5)
    assert (response.status_code, _error(response)["code"]) == (400, "seq_not_allowed")
    assert service.read_journal(NOTE, 0, 10).head_seq == 0


def test_E2_append_carrying_a_seq_is_refused_in_protobuf(
    api: str, service: RuntimeService
) -> None:
    event = pb.Event(topic=NOTE, seq=7, kind="note", payload_json='{"text":"hi"}')
    response = requests.post(
        f"{api}/v1/events",
        data=event.SerializeToString(),
        headers={"Content-Type": PROTOBUF},
        timeout=5,
    )
    assert (response.status_code, _error(response)["code"]) == (400, "seq_not_allowed")
    assert service.read_journal(NOTE, 0, 10).head_seq == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**NOTE_BODY, "topic": "two words"}, "invalid_topic"),
        ({**NOTE_BODY, "kind": "run.step"}, "unknown_kind"),
        ({**NOTE_BODY, "payload_json": "{"}, "invalid_json"),
        ({**NOTE_BODY, "payload_json": "[]"}, "payload_not_object"),
        ({**NOTE_BODY, "payload_json": '{"text": 1}'}, "invalid_payload"),
        ({**NOTE_BODY, "payload_json": json.dumps({"text": "x" * 70_000})}, "payload_too_large"),
        ({**NOTE_BODY, "published_at_ms": 10**15}, "invalid_published_at"),
        ({**NOTE_BODY, "color": "red"}, "invalid_request"),
        ({**NOTE_BODY, "published_at_ms": -1}, "invalid_request"),
    ],
)
def test_E1_refusals_name_their_problem(
    api: str, service: RuntimeService, body: dict[str, Any], code: str
) -> None:
    response = requests.post(f"{api}/v1/events", json=body, timeout=5)
    assert (response.status_code, _error(response)["code"]) == (400, code)
    assert service.status().streams == ()


@pytest.mark.parametrize(
    ("data", "content_type"),
    [(b"{not json", "application/json"), (b"[1]", "application/json"), (b"\xff\xff", PROTOBUF)],
)
def test_malformed_bodies_are_invalid_requests(api: str, data: bytes, content_type: str) -> None:
    response = requests.post(
        f"{api}/v1/events", data=data, headers={"Content-Type": content_type}, timeout=5
    )
    assert (response.status_code, _error(response)["code"]) == (400, "invalid_request")


def test_unknown_route_and_wrong_method(api: str) -> None:
    missing = requests.get(f"{api}/v1/nothing", timeout=5)
    assert (missing.status_code, _error(missing)["code"]) == (404, "not_found")
    wrong = requests.get(f"{api}/v1/events", timeout=5)
    assert (wrong.status_code, _error(wrong)["code"]) == (405, "method_not_allowed")


def test_oversized_body_is_refused(api: str) -> None:
    response = requests.post(f"{api}/v1/events", data=b"x" * (MAX_BODY_BYTES + 1), timeout=5)
    assert (response.status_code, _error(response)["code"]) == (413, "request_too_large")


def test_E3_journal_route_pages_through_a_topic(api: str) -> None:
    appended = [
        requests.post(f"{api}/v1/events", json={**NOTE_BODY, "payload_json": f'{{"text":"{i}"}}'},
                      timeout=5).json()["event"]
        for i in range(3)
    ]  # fmt: skip
    page = requests.get(
        f"{api}/v1/journal", params={"topic": NOTE, "after_seq": "1", "limit": "1"}, timeout=5
    ).json()
    assert (page["topic"], page["stream_id"], page["head_seq"]) == (NOTE, stream_of(NOTE), 3)
    assert page["events"] == [appended[1]]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "invalid_request"),
        ({"topic": "a b"}, "invalid_topic"),
        ({"topic": NOTE, "after_seq": "-1"}, "invalid_request"),
        ({"topic": NOTE, "limit": "many"}, "invalid_request"),
        ({"topic": NOTE, "cursor": "1"}, "invalid_request"),
    ],
)
def test_bad_journal_queries_are_refused(api: str, params: dict[str, str], code: str) -> None:
    response = requests.get(f"{api}/v1/journal", params=params, timeout=5)
    assert (response.status_code, _error(response)["code"]) == (400, code)


def test_status_faults_and_wait(api: str) -> None:
    requests.post(f"{api}/v1/events", json=NOTE_BODY, timeout=5)
    stream_id = stream_of(NOTE)
    status = requests.post(
        f"{api}/v1/faults", json={"stream_id": stream_id, "pause": True, "duplicate_next": 2},
        timeout=5,
    ).json()  # fmt: skip
    [stream] = status["streams"]
    assert (stream["stream_id"], stream["paused"], stream["outbox_depth"]) == (stream_id, True, 1)
    assert status["pending_stream_faults"][stream_id]["duplicate_next"] == 2
    assert status["quiescent"] is True
    assert requests.get(f"{api}/v1/status", timeout=5).json() == status
    waited = requests.post(f"{api}/v1/wait", params={"timeout_s": "1"}, timeout=5).json()
    assert (waited["quiescent"], waited["status"]) == (True, status)
    requests.post(f"{api}/v1/faults", json={"resume": True}, timeout=5)
    # No target: the event cannot be delivered, so waiting times out and says so.
    waited = requests.post(f"{api}/v1/wait", params={"timeout_s": "0.05"}, timeout=5).json()
    assert waited["quiescent"] is False


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"stream_id": "not a stream"}, "invalid_stream_id"),
        ({"pause": True, "resume": True}, "invalid_request"),
        ({"crash_next": 1}, "invalid_request"),
    ],
)
def test_bad_fault_requests_are_refused(api: str, body: dict[str, Any], code: str) -> None:
    response = requests.post(f"{api}/v1/faults", json=body, timeout=5)
    assert (response.status_code, _error(response)["code"]) == (400, code)


def test_bad_wait_timeout_is_refused(api: str) -> None:
    response = requests.post(f"{api}/v1/wait", params={"timeout_s": "forever"}, timeout=5)
    assert (response.status_code, _error(response)["code"]) == (400, "invalid_request")


def test_target_route_sets_the_target_and_resets(api: str, fake: FakeSpacetime) -> None:
    requests.post(f"{api}/v1/events", json=NOTE_BODY, timeout=5)
    target = pb.TargetRequest(stdb_url=fake.url, database=DATABASE, token=PUBLISHER_TOKEN)
    response = requests.post(
        f"{api}/v1/target",
        data=target.SerializeToString(),
        headers={"Content-Type": PROTOBUF},
        timeout=5,
    )
    status = pb.PublisherStatus.FromString(response.content)
    assert (status.target_set, status.stdb_url, status.database) == (True, fake.url, DATABASE)
    assert list(status.streams) == []
    assert PUBLISHER_TOKEN.encode() not in response.content
    appended = requests.post(f"{api}/v1/events", json=NOTE_BODY, timeout=5).json()
    assert appended["event"]["seq"] == 1
    waited = requests.post(f"{api}/v1/wait", params={"timeout_s": "10"}, timeout=15).json()
    assert waited["quiescent"] is True
    assert waited["status"]["delivered_events"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"stdb_url": "ftp://host", "database": "d"},
        {"stdb_url": "http://host:3000"},
        {"database": "d"},
        {"stdb_url": "http://host:3000?x=1", "database": "d"},
        {"reducer": "ingest"},
        {"args_json": "[]"},
        {"permanent_errors": ["^E_"]},
        {"stdb_url": "http://host:3000", "database": "d", "reducer": "a/b"},
        {"stdb_url": "http://host:3000", "database": "d", "args_json": '{"seq": 1}'},
        {"stdb_url": "http://host:3000", "database": "d", "args_json": '["{sequence}"]'},
        {"stdb_url": "http://host:3000", "database": "d", "permanent_errors": ["(E_"]},
    ],
)
def test_bad_targets_are_refused(api: str, body: dict[str, Any]) -> None:
    response = requests.post(f"{api}/v1/target", json=body, timeout=5)
    assert (response.status_code, _error(response)["code"]) == (400, "invalid_target")


def test_healthz_answers_until_the_runtime_crashes(
    api: str, service: RuntimeService, fake: FakeSpacetime
) -> None:
    assert requests.get(f"{api}/healthz", timeout=5).json() == {"status": "ok"}
    service.set_target(fake.target)
    requests.post(f"{api}/v1/faults", json={"crash_before_send_next": 1}, timeout=5)
    requests.post(f"{api}/v1/events", json=NOTE_BODY, timeout=5)
    wait_for(lambda: service.crashed)
    response = requests.get(f"{api}/healthz", timeout=5)
    assert (response.status_code, _error(response)["code"]) == (503, "crashed")


def _ingest_request(fake: FakeSpacetime) -> pb.TargetRequest:
    ingest_target(fake)
    return pb.TargetRequest(
        stdb_url=fake.url,
        database=DATABASE,
        token=PUBLISHER_TOKEN,
        reducer=INGEST,
        args_json=json.dumps(list(INGEST_ARGS)),
        permanent_errors=list(INGEST_PERMANENT),
    )


@pytest.mark.parametrize("body_format", ["json", "protobuf"])
def test_target_route_takes_the_reducer_its_templates_and_permanent_errors(
    api: str, fake: FakeSpacetime, body_format: str
) -> None:
    request = _ingest_request(fake)
    if body_format == "json":
        response = requests.post(f"{api}/v1/target", json=json_format.MessageToDict(
            request, preserving_proto_field_name=True), timeout=5)  # fmt: skip
    else:
        response = requests.post(f"{api}/v1/target", data=request.SerializeToString(),
                                  headers={"Content-Type": PROTOBUF}, timeout=5)  # fmt: skip
    assert response.status_code == 200, response.text
    fake.override = lambda args: (530, "E_BAD_BODY: no text") if args.seq == 2 else None
    for _ in range(2):
        requests.post(f"{api}/v1/events", json=NOTE_BODY, timeout=5)
    waited = requests.post(f"{api}/v1/wait", params={"timeout_s": "10"}, timeout=15).json()
    assert waited["quiescent"] is True
    [stream] = waited["status"]["streams"]
    assert stream["dead_letter"] == {"seq": 2, "reason": "E_BAD_BODY: no text",
                                     "delivery": "primary"}  # fmt: skip
    assert [body[0] for body in fake.bodies] == [
        f"{stream_of(NOTE)}/1/note", f"{stream_of(NOTE)}/2/note"
    ]


def test_runtime_client_sends_the_wiring_and_omits_the_defaults(
    api: str, fake: FakeSpacetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = RuntimeClient(api)
    sent: list[object] = []
    real_call = client._call

    def spy(method: str, path: str, operation: str, **kwargs: Any) -> object:
        sent.append(kwargs.get("body"))
        return real_call(method, path, operation, **kwargs)

    monkeypatch.setattr(client, "_call", spy)
    client.set_target(fake.url, DATABASE, PUBLISHER_TOKEN)
    client.set_target(fake.url, DATABASE, PUBLISHER_TOKEN, permanent_errors=[])
    ingest_target(fake)
    status = client.set_target(fake.url, DATABASE, PUBLISHER_TOKEN, reducer=INGEST,
                               args=INGEST_ARGS, permanent_errors=INGEST_PERMANENT)  # fmt: skip
    assert sent[0] == {"stdb_url": fake.url, "database": DATABASE, "token": PUBLISHER_TOKEN}
    assert sent[1] == {**sent[0], "permanent_errors": ["(?!)"]}
    assert sent[2] == {**sent[0], "reducer": INGEST, "args_json": json.dumps(list(INGEST_ARGS)),
                       "permanent_errors": list(INGEST_PERMANENT)}  # fmt: skip
    assert status.target_set
    client.append(RUN, "run.created", {"owner": "ada"})
    assert client.wait(10).quiescent
    [body] = fake.bodies
    assert body[:3] == [f"{stream_of(RUN)}/1/run.created", stream_of(RUN), "run.created"]
    assert body[6:] == [1, True, 1]
    with pytest.raises(TypeError):
        client.set_target(fake.url, DATABASE, PUBLISHER_TOKEN, args="{seq}")
    with pytest.raises(RuntimeRefused) as refused:
        client.set_target(fake.url, DATABASE, PUBLISHER_TOKEN, args=["{sequence}"])
    assert refused.value.code == "invalid_target"
    client.close()


def _answering(monkeypatch: pytest.MonkeyPatch, client: RuntimeClient, body: bytes) -> None:
    """Make every request of `client` get a 200 answer with `body`, as a broken runtime would."""

    def request(*args: Any, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response._content = body
        return response

    monkeypatch.setattr(client._session, "request", request)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "answer is not JSON"),
        (b'"an event"', "answer is not a JSON object"),
        (b'[{"event": {}}]', "answer is not a JSON object"),
        (b'{"event": {"seq": -1}}', "stdb_harness.runtime.v1.AppendResponse"),
        (b'{"event": {"seq": "one"}}', "seq"),
        (b'{"event": {"topic": 7}}', "topic"),
        (b'{"event": "abc"}', "event"),
        (b'{"event": {"seq": 1, "color": "red"}}', "color"),
        (b"{}", "answer lacks 'event'"),
    ],
)
def test_a_malformed_answer_is_a_protocol_error(
    monkeypatch: pytest.MonkeyPatch, body: bytes, problem: str
) -> None:
    client = RuntimeClient("http://runtime.invalid")
    _answering(monkeypatch, client, body)
    with pytest.raises(RuntimeProtocolError) as raised:
        client.append(NOTE, "note", {"text": "hi"})
    assert raised.value.message.startswith("append: ")
    assert problem in raised.value.message


@pytest.mark.parametrize(
    "body",
    [
        b'{"status": {"paused_all": "yes"}}',
        b'{"status": {"streams": [{"dead_letter": {"seq": "x"}}]}}',
        b'{"status": {"pending_stream_faults": []}}',
        b'{"quiescent": true}',
    ],
)
def test_a_malformed_wait_answer_is_a_protocol_error(
    monkeypatch: pytest.MonkeyPatch, body: bytes
) -> None:
    client = RuntimeClient("http://runtime.invalid")
    _answering(monkeypatch, client, body)
    with pytest.raises(RuntimeProtocolError, match=r"^wait: "):
        client.wait(1)


def test_answers_follow_the_json_mapping_not_one_printer(monkeypatch: pytest.MonkeyPatch) -> None:
    """64-bit integers as strings, absent fields as defaults, camelCase names: all the JSON
    mapping allows, so a runtime printed by another protobuf library is read the same."""
    client = RuntimeClient("http://runtime.invalid")
    _answering(monkeypatch, client, json.dumps({"status": {
        "streams": [{"streamId": "s1", "journalHead": "3", "deliveredHead": 2,
                     "deadLetter": {"seq": "3", "reason": "invalid_event", "delivery": "primary"}},
                    {"stream_id": "s2"}],
        "pendingStreamFaults": {"s2": {"duplicate_next": 1}},
    }, "quiescent": True}).encode())  # fmt: skip
    waited = client.wait(1)
    assert waited.quiescent
    first, second = waited.status.streams
    assert (first.stream_id, first.journal_head, first.delivered_head) == ("s1", 3, 2)
    assert first.dead_letter == DeadLetter(3, "invalid_event", "primary")
    assert (second.stream_id, second.dead_letter, second.paused) == ("s2", None, False)
    assert waited.status.pending_faults == FaultCounters(0, 0, 0, 0)
    assert waited.status.pending_stream_faults == {"s2": FaultCounters(1, 0, 0, 0)}


def test_the_harness_reads_the_api_with_its_own_copy_of_the_same_schema() -> None:
    """harness/drivers/runtime_pb2.py is generated from stub/proto/runtime.proto like
    stub/proto/runtime_pb2.py (see stub/proto/README.md), and the driver never imports stub."""
    assert harness_pb.DESCRIPTOR.serialized_pb == pb.DESCRIPTOR.serialized_pb, (
        "the two generated copies of runtime.proto differ: regenerate both "
        "(stub/proto/README.md)")
    probe = ("import sys, harness.drivers.runtime; "
             "print(sorted(m for m in sys.modules if m == 'stub' or m.startswith('stub.')))")
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              check=True, timeout=60)
    assert imported.stdout.strip() == "[]", imported.stdout
