"""The WebSocket subscriber against a scripted local server speaking v1.json.spacetimedb."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

from harness.spacetime.errors import (
    CallRejected,
    ReducerFailed,
    SpacetimeUnavailable,
    SubscriptionRejected,
    WaitTimedOut,
)
from harness.spacetime.schema import ModuleSchema
from harness.spacetime.ws import SUBPROTOCOL, SpacetimeSubscriber

# Frames below were captured from a SpacetimeDB 1.2.0 standalone server running the
# reference module (the JWT is shortened); helpers only swap ids and rows.
OWN_IDENTITY = "c200539c09fb46ed481ca462ba85f65bc87515a55249666ddacdf57e03bd1127"
OWN_CONNECTION = 23479340722021863615621403976610147650  # shown by the server as 11a9f4df...
OTHER_IDENTITY = "c200" + "bb" * 30
OTHER_CONNECTION = 0x432E92412AC6A2EDF4E8CE28ECE40CAD
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.e30.sig"

REAL_IDENTITY_TOKEN = (
    '{"IdentityToken":{"identity":{"__identity__":"0xc200539c09fb46ed481ca462ba85f65bc87515a55249'
    '666ddacdf57e03bd1127"},"token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.e30.sig","connection_id"'
    ':{"__connection_id__":23479340722021863615621403976610147650}}}'
)
# Initial rows are objects keyed by column, special types inside them are objects too.
REAL_SUBSCRIBE_APPLIED = (
    '{"SubscribeMultiApplied":{"request_id":1,"total_host_execution_duration_micros":833,'
    '"query_id":{"id":1},"update":{"tables":[{"table_id":4097,"table_name":"module_publisher",'
    '"num_rows":1,"updates":[{"deletes":[],"inserts":["{\\"id\\":0,\\"publisher\\":{\\"__identity__'
    '\\":\\"0xc200539c09fb46ed481ca462ba85f65bc87515a55249666ddacdf57e03bd1127\\"}}"]}]}]}}}'
)
# Transaction deltas are arrays in column order.
REAL_OWN_COMMITTED = (
    '{"TransactionUpdate":{"status":{"Committed":{"tables":[{"table_id":4100,"table_name":'
    '"stream_head","num_rows":1,"updates":[{"deletes":[],"inserts":["[\\"runtime.run.r1.events\\",1,'
    '1]"]}]}]}},"timestamp":{"__timestamp_micros_since_unix_epoch__":1795347496898562},'
    '"caller_identity":{"__identity__":"0xc200539c09fb46ed481ca462ba85f65bc87515a55249666ddacdf57e03'
    'bd1127"},"caller_connection_id":{"__connection_id__":23479340722021863615621403976610147650},'
    '"reducer_call":{"reducer_name":"apply_event","reducer_id":1,"args":"[\\"runtime.run.r1.events'
    '\\", 1]","request_id":2},"energy_quanta_used":{"quanta":71083000},'
    '"total_host_execution_duration":{"__time_duration_micros__":143}}}'
)
# A reducer that ran and returned Err: 1.2 sends request_id 0, but energy was used.
REAL_OWN_FAILED = (
    '{"TransactionUpdate":{"status":{"Failed":"sequence_conflict expected_next_seq=2 '
    'actual_seq=7"},'
    '"timestamp":{"__timestamp_micros_since_unix_epoch__":1795347497117373},"caller_identity":'
    '{"__identity__":"0xc200539c09fb46ed481ca462ba85f65bc87515a55249666ddacdf57e03bd1127"},'
    '"caller_connection_id":{"__connection_id__":23479340722021863615621403976610147650},'
    '"reducer_call":{"reducer_name":"apply_event","reducer_id":1,"args":"[]","request_id":0},'
    '"energy_quanta_used":{"quanta":13081000},"total_host_execution_duration":'
    '{"__time_duration_micros__":17}}}'
)
# A call the server refused to start: zero energy, zero time, default args.
REAL_UNKNOWN_REDUCER = (
    '{"TransactionUpdate":{"status":{"Failed":"no such reducer"},"timestamp":'
    '{"__timestamp_micros_since_unix_epoch__":1795347497077828},"caller_identity":{"__identity__":'
    '"0xc200539c09fb46ed481ca462ba85f65bc87515a55249666ddacdf57e03bd1127"},"caller_connection_id":'
    '{"__connection_id__":23479340722021863615621403976610147650},"reducer_call":{"reducer_name":'
    '"nope","reducer_id":4294967295,"args":"[]","request_id":0},"energy_quanta_used":{"quanta":0},'
    '"total_host_execution_duration":{"__time_duration_micros__":0}}}'
)
REAL_SUBSCRIPTION_ERROR = (
    '{"SubscriptionError":{"total_host_execution_duration_micros":291,"request_id":{"some":6},'
    '"query_id":{"some":2},"table_id":{"none":[]},"error":"`nope` is not a valid table, '
    'executing: `SELECT * FROM nope`"}}'
)
REAL_DUPLICATE_QUERY_ID = (
    '{"TransactionUpdate":{"status":{"Failed":"Subscription with id QueryId { id: 1 } already '
    'exists for client"},"timestamp":{"__timestamp_micros_since_unix_epoch__":1795347497088756},'
    '"caller_identity":{"__identity__":"0xc200539c09fb46ed481ca462ba85f65bc87515a55249666ddacdf57e0'
    '3bd1127"},"caller_connection_id":{"__connection_id__":23479340722021863615621403976610147650},'
    '"reducer_call":{"reducer_name":"<none>","reducer_id":4294967295,"args":"[]","request_id":0},'
    '"energy_quanta_used":{"quanta":0},"total_host_execution_duration":'
    '{"__time_duration_micros__":0}}}'
)


def _column(name: str, ty: Any) -> dict[str, Any]:
    return {"name": {"some": name}, "algebraic_type": ty}


IDENTITY_TYPE = {"Product": {"elements": [_column("__identity__", {"U256": []})]}}
# The two tables' entries of the reference module's real `schema?version=9`.
SCHEMA = ModuleSchema.from_json(
    {
        "typespace": {
            "types": [
                {
                    "Product": {
                        "elements": [
                            _column("id", {"U32": []}),
                            _column("publisher", IDENTITY_TYPE),
                        ]
                    }
                },
                {
                    "Product": {
                        "elements": [
                            _column("stream_id", {"String": []}),
                            _column("head_seq", {"U64": []}),
                            _column("oldest_seq", {"U64": []}),
                        ]
                    }
                },
            ]
        },
        "tables": [
            {"name": "module_publisher", "product_type_ref": 0},
            {"name": "stream_head", "product_type_ref": 1},
        ],
    }
)

Responder = Callable[[dict[str, Any]], list[dict[str, Any]]]


def frame(text: str, **reducer_call: Any) -> dict[str, Any]:
    """A captured frame, with fields of ``reducer_call`` (e.g. request_id) replaced."""
    message: dict[str, Any] = json.loads(text)
    if reducer_call:
        message["TransactionUpdate"]["reducer_call"].update(reducer_call)
    return message


def as_other_caller(message: dict[str, Any], request_id: int) -> dict[str, Any]:
    """The same update as broadcast for another client's call."""
    update = message["TransactionUpdate"]
    update["caller_identity"] = {"__identity__": "0x" + OTHER_IDENTITY}
    update["caller_connection_id"] = {"__connection_id__": OTHER_CONNECTION}
    update["reducer_call"]["request_id"] = request_id
    return message


@dataclass
class Fake:
    """Records what the client sent and answers each client message via ``respond``."""

    respond: Responder
    received: list[dict[str, Any]] = field(default_factory=list)
    path: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    subprotocol: str | None = None

    def handler(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        self.path = connection.request.path
        self.headers = dict(connection.request.headers.raw_items())
        self.subprotocol = connection.subprotocol
        connection.send(REAL_IDENTITY_TOKEN)
        for text in connection:
            message = json.loads(text)
            self.received.append(message)
            for reply in self.respond(message):
                connection.send(json.dumps(reply))


@contextmanager
def serving(
    respond: Responder,
    process_request: Callable[[ServerConnection, Request], Response | None] | None = None,
) -> Iterator[tuple[Fake, str]]:
    fake = Fake(respond)
    server = serve(
        fake.handler,
        "127.0.0.1",
        0,
        subprotocols=[SUBPROTOCOL],
        compression=None,
        process_request=process_request,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.socket.getsockname()[1]}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def silent(_: dict[str, Any]) -> list[dict[str, Any]]:
    return []


def test_connect_sends_protocol_auth_and_reads_identity() -> None:
    with (
        serving(silent) as (fake, url),
        SpacetimeSubscriber.connect(url, "ref", TOKEN, timeout=5, schema=SCHEMA) as sub,
    ):
        assert sub.identity == OWN_IDENTITY
        assert sub.connection_id == f"{OWN_CONNECTION:032x}"
    assert fake.path == "/v1/database/ref/subscribe?compression=None"
    assert fake.headers["Authorization"] == f"Bearer {TOKEN}"
    assert fake.subprotocol == "v1.json.spacetimedb"


def test_subscribe_decodes_object_rows_of_the_initial_update() -> None:
    def respond(message: dict[str, Any]) -> list[dict[str, Any]]:
        reply = frame(REAL_SUBSCRIBE_APPLIED)
        reply["SubscribeMultiApplied"]["query_id"] = message["SubscribeMulti"]["query_id"]
        return [reply]

    with (
        serving(respond) as (fake, url),
        SpacetimeSubscriber.connect(url, "ref", TOKEN, timeout=5, schema=SCHEMA) as sub,
    ):
        rows = sub.subscribe(["SELECT * FROM module_publisher"], timeout=5)

    assert fake.received[0]["SubscribeMulti"]["query_strings"] == ["SELECT * FROM module_publisher"]
    assert fake.received[0]["SubscribeMulti"]["query_id"] == {"id": 1}
    assert rows == {"module_publisher": [{"id": 0, "publisher": OWN_IDENTITY}]}


def test_subscription_errors_are_rejected() -> None:
    def respond(message: dict[str, Any]) -> list[dict[str, Any]]:
        query_id = message["SubscribeMulti"]["query_id"]["id"]
        if query_id == 1:  # an unknown table
            reply = frame(REAL_SUBSCRIPTION_ERROR)
            reply["SubscriptionError"]["query_id"] = {"some": query_id}
            return [reply]
        return [frame(REAL_DUPLICATE_QUERY_ID)]  # a failure outside the query compiler

    with (
        serving(respond) as (_, url),
        SpacetimeSubscriber.connect(url, "ref", TOKEN, timeout=5, schema=SCHEMA) as sub,
    ):
        with pytest.raises(SubscriptionRejected, match="not a valid table"):
            sub.subscribe(["SELECT * FROM nope"], timeout=5)
        with pytest.raises(SubscriptionRejected, match="already exists"):
            sub.subscribe(["SELECT * FROM stream_head"], timeout=5)


def test_call_reducer_returns_its_own_update_and_keeps_broadcasts_in_order() -> None:
    def respond(message: dict[str, Any]) -> list[dict[str, Any]]:
        request_id = message["CallReducer"]["request_id"]
        # Other callers' updates arrive first: one with the same request id number, one
        # from an HTTP call (request id 0).
        return [
            as_other_caller(frame(REAL_OWN_COMMITTED), request_id),
            as_other_caller(frame(REAL_OWN_COMMITTED), 0),
            frame(REAL_OWN_COMMITTED, request_id=request_id),
        ]

    with (
        serving(respond) as (fake, url),
        SpacetimeSubscriber.connect(url, "ref", TOKEN, timeout=5, schema=SCHEMA) as sub,
    ):
        own = sub.call_reducer("apply_event", ["runtime.run.r1.events", 1, {"some": "x"}], 5)
        first, second = sub.next_transaction(timeout=5), sub.next_transaction(timeout=5)

    call = fake.received[0]["CallReducer"]
    assert isinstance(call["args"], str)  # JSON inside a string
    assert json.loads(call["args"]) == ["runtime.run.r1.events", 1, {"some": "x"}]
    assert call["flags"] == 0
    assert own.status == "committed"
    assert own.caller_identity == OWN_IDENTITY
    assert own.caller_connection_id == "11a9f4df9d8f4acf95387bc7fb78ed42"
    assert own.request_id == call["request_id"]
    assert own.inserts("stream_head") == [
        {"stream_id": "runtime.run.r1.events", "head_seq": 1, "oldest_seq": 1}
    ]
    assert own.deletes("stream_head") == []
    assert own.timestamp_micros == 1795347496898562
    assert [first.caller_identity, second.caller_identity] == [OTHER_IDENTITY, OTHER_IDENTITY]
    assert [first.request_id, second.request_id] == [call["request_id"], 0]


def test_failed_and_rejected_calls_map_to_the_http_errors() -> None:
    def respond(message: dict[str, Any]) -> list[dict[str, Any]]:
        if message["CallReducer"]["reducer"] == "apply_event":
            return [frame(REAL_OWN_FAILED)]  # request id 0 although the call had one
        return [frame(REAL_UNKNOWN_REDUCER)]

    with (
        serving(respond) as (_, url),
        SpacetimeSubscriber.connect(url, "ref", TOKEN, timeout=5, schema=SCHEMA) as sub,
    ):
        failed = sub.call_reducer("apply_event", [], timeout=5)
        rejected = sub.call_reducer("nope", [], timeout=5)

    assert failed.status == "failed"
    assert not failed.rejected
    with pytest.raises(ReducerFailed) as caught:
        failed.raise_for_status()
    assert caught.value.message.startswith("sequence_conflict")
    assert rejected.rejected
    with pytest.raises(CallRejected, match="no such reducer"):
        rejected.raise_for_status()


def test_light_updates_are_buffered_for_next_transaction() -> None:
    def respond(message: dict[str, Any]) -> list[dict[str, Any]]:
        committed = frame(REAL_OWN_COMMITTED)["TransactionUpdate"]["status"]["Committed"]
        light = {"TransactionUpdateLight": {"request_id": 7, "update": committed}}
        own = frame(REAL_OWN_COMMITTED, request_id=message["CallReducer"]["request_id"])
        own["TransactionUpdate"]["status"] = {"Committed": {"tables": []}}
        return [light, own]

    with (
        serving(respond) as (_, url),
        SpacetimeSubscriber.connect(url, "ref", TOKEN, timeout=5, schema=SCHEMA) as sub,
    ):
        own = sub.call_reducer("apply_event", [], timeout=5)
        update = sub.next_transaction(timeout=5)

    assert own.tables == {}
    assert update.reducer is None
    assert update.inserts("stream_head")[0]["stream_id"] == "runtime.run.r1.events"


def test_waiting_never_blocks_forever() -> None:
    with (
        serving(silent) as (_, url),
        SpacetimeSubscriber.connect(url, "ref", TOKEN, timeout=5, schema=SCHEMA) as sub,
    ):
        started = time.monotonic()
        with pytest.raises(WaitTimedOut):
            sub.next_transaction(timeout=0.2)
        with pytest.raises(SpacetimeUnavailable) as caught:
            sub.call_reducer("apply_event", [], timeout=0.2)
        assert time.monotonic() - started < 2

    assert caught.value.outcome_unknown is True  # the call was sent


def test_server_closing_the_connection_is_unavailable() -> None:
    def close_after_identity(connection: ServerConnection) -> None:
        connection.send(REAL_IDENTITY_TOKEN)
        connection.close()

    server = serve(close_after_identity, "127.0.0.1", 0, subprotocols=[SUBPROTOCOL])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.socket.getsockname()[1]}"
    try:
        with (
            SpacetimeSubscriber.connect(url, "ref", TOKEN, timeout=5, schema=SCHEMA) as sub,
            pytest.raises(SpacetimeUnavailable, match="closed"),
        ):
            sub.next_transaction(timeout=5)
    finally:
        server.shutdown()


def test_refused_upgrade_is_a_rejection_with_the_status() -> None:
    def refuse(connection: ServerConnection, _: Request) -> Response:
        return connection.respond(401, "token not signed by this instance")

    with (
        serving(silent, process_request=refuse) as (_, url),
        pytest.raises(CallRejected) as caught,
    ):
        SpacetimeSubscriber.connect(url, "ref", TOKEN, timeout=5, schema=SCHEMA)

    assert caught.value.status == 401
    assert "not signed" in caught.value.body


def test_connection_refused_is_unavailable_and_not_sent() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(SpacetimeUnavailable) as caught:
        SpacetimeSubscriber.connect(f"http://127.0.0.1:{port}", "ref", TOKEN, 2, SCHEMA)

    assert caught.value.outcome_unknown is False
