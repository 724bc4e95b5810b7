"""Frames of the ``v1.json.spacetimedb`` WebSocket protocol: encoding and decoding.

Two quirks of that protocol are handled here and nowhere else:

* reducer arguments travel as a *string* containing JSON (``"args": "[1, \\"a\\"]"``), both in
  ``CallReducer`` and in the ``reducer_call`` echoed back;
* every row in a table update is a string containing the row's JSON: an object keyed by
  column name in a subscription's initial rows, an array in column order in transaction
  deltas (both seen live on 1.2.0). Both are decoded with the table's ``RowType``.

Server messages are one-key objects naming the message type; their own fields are typed
SATS-JSON, so special types appear as objects (``{"__identity__": "0x..."}``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from harness.spacetime.errors import CallRejected, ProtocolError, ReducerFailed
from harness.spacetime.sats import JsonValue, Row, normalize_identity
from harness.spacetime.schema import ModuleSchema

TxStatus = Literal["committed", "failed", "out_of_energy"]

# The request id of an update that carries none: calls made over HTTP, scheduled reducers,
# and (a 1.2 quirk, seen live) *every* failed update, even the caller's own.
NO_REQUEST_ID = 0


@dataclass(frozen=True)
class TableDelta:
    """Rows of one table that a transaction inserted and deleted (for this subscriber)."""

    inserts: list[Row] = field(default_factory=list)
    deletes: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class TransactionUpdate:
    """One transaction as a subscriber sees it.

    ``tables`` holds only the tables this subscriber's queries matched (the caller of a
    reducer gets its own update even when that is empty). ``request_id`` is
    ``NO_REQUEST_ID`` when the update carries none (see there). Everything but
    ``status`` and ``tables`` is ``None`` for the light form (``TransactionUpdateLight``),
    which carries no reducer information.
    """

    status: TxStatus
    failure: str | None
    reducer: str | None
    request_id: int | None
    caller_identity: str | None
    caller_connection_id: str | None
    timestamp_micros: int | None
    energy_quanta: int | None
    execution_micros: int | None
    tables: Mapping[str, TableDelta]

    def inserts(self, table: str) -> list[Row]:
        """Rows inserted into ``table`` (empty if the update does not mention it)."""
        delta = self.tables.get(table)
        return delta.inserts if delta is not None else []

    def deletes(self, table: str) -> list[Row]:
        """Rows deleted from ``table`` (empty if the update does not mention it)."""
        delta = self.tables.get(table)
        return delta.deletes if delta is not None else []

    @property
    def rejected(self) -> bool:
        """True if the server refused to start the call (unknown reducer, bad arguments).

        Such a refusal and a reducer that ran and returned an error both arrive as
        ``Failed`` with no request id; only the refusal is built with zero energy and zero
        execution time (``MessageExecutionError::into_event`` in 1.2), while any reducer
        that ran has burnt energy.
        """
        return self.status == "failed" and self.energy_quanta == 0 and self.execution_micros == 0

    def raise_for_status(self) -> None:
        """Raise the error an HTTP call would have raised for the same outcome.

        ``CallRejected`` if the call never ran, ``ReducerFailed`` if it ran and failed or
        ran out of energy; nothing if it committed.
        """
        reducer = self.reducer or "<unknown>"
        if self.rejected:
            raise CallRejected(None, self.failure or "", f"call {reducer}")
        if self.status == "failed":
            raise ReducerFailed(reducer, self.failure or "")
        if self.status == "out_of_energy":
            raise ReducerFailed(reducer, "out of energy")


def encode_call_reducer(reducer: str, args: Sequence[JsonValue], request_id: int) -> str:
    """A ``CallReducer`` frame; flags 0 asks for the caller's own TransactionUpdate."""
    message = {
        "reducer": reducer,
        "args": json.dumps(list(args)),
        "request_id": request_id,
        "flags": 0,
    }
    return json.dumps({"CallReducer": message})


def encode_subscribe_multi(queries: Sequence[str], request_id: int, query_id: int) -> str:
    """A ``SubscribeMulti`` frame; its ``query_id`` must be unique on the connection."""
    message = {
        "query_strings": list(queries),
        "request_id": request_id,
        "query_id": {"id": query_id},
    }
    return json.dumps({"SubscribeMulti": message})


def parse_server_message(text: str) -> tuple[str, dict[str, JsonValue]]:
    """Split a server frame into its message type and body."""
    try:
        message = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"server frame is not JSON: {text[:200]!r}") from exc
    if not isinstance(message, dict) or len(message) != 1:
        raise ProtocolError(f"server frame is not a one-key object: {text[:200]!r}")
    ((kind, body),) = message.items()
    if not isinstance(body, dict):
        raise ProtocolError(f"{kind} body is not an object: {text[:200]!r}")
    return kind, body


def decode_database_update(update: JsonValue, schema: ModuleSchema) -> dict[str, TableDelta]:
    """Decode a ``DatabaseUpdate`` into inserted and deleted rows per table name.

    A table may carry several query updates (one per subscribed query that touched it);
    their rows are concatenated.
    """
    deltas: dict[str, TableDelta] = {}
    for table in _list(_get(update, "tables"), "tables"):
        name = _str(_get(table, "table_name"), "table_name")
        row_type = schema.row_type(name)
        delta = deltas.setdefault(name, TableDelta())
        for query_update in _list(_get(table, "updates"), "updates"):
            for key, rows in (("inserts", delta.inserts), ("deletes", delta.deletes)):
                for encoded in _list(_get(query_update, key), key):
                    rows.append(row_type.decode(_row_json(encoded)))
    return deltas


def decode_transaction_update(body: JsonValue, schema: ModuleSchema) -> TransactionUpdate:
    """Decode the body of a ``TransactionUpdate`` message."""
    status_kind, status_body = _one_key(_get(body, "status"), "status")
    call = _get(body, "reducer_call")
    tables: dict[str, TableDelta] = {}
    failure: str | None = None
    status: TxStatus
    if status_kind == "Committed":
        status = "committed"
        tables = decode_database_update(status_body, schema)
    elif status_kind == "Failed":
        status, failure = "failed", _str(status_body, "failure message")
    elif status_kind == "OutOfEnergy":
        status = "out_of_energy"
    else:
        raise ProtocolError(f"unknown transaction status {status_kind!r}")
    return TransactionUpdate(
        status=status,
        failure=failure,
        reducer=_str(_get(call, "reducer_name"), "reducer_name"),
        request_id=_int(_get(call, "request_id"), "request_id"),
        caller_identity=normalize_identity(
            _str(_special(body, "caller_identity", "__identity__"), "caller_identity")
        ),
        caller_connection_id=_connection_id_hex(
            _special(body, "caller_connection_id", "__connection_id__")
        ),
        timestamp_micros=_int(
            _special(body, "timestamp", "__timestamp_micros_since_unix_epoch__"), "timestamp"
        ),
        energy_quanta=_int(_get(_get(body, "energy_quanta_used"), "quanta"), "energy"),
        execution_micros=_int(
            _special(body, "total_host_execution_duration", "__time_duration_micros__"),
            "execution duration",
        ),
        tables=tables,
    )


def decode_light_update(body: JsonValue, schema: ModuleSchema) -> TransactionUpdate:
    """Decode a ``TransactionUpdateLight`` body (committed rows only, no reducer info)."""
    return TransactionUpdate(
        status="committed",
        failure=None,
        reducer=None,
        request_id=None,
        caller_identity=None,
        caller_connection_id=None,
        timestamp_micros=None,
        energy_quanta=None,
        execution_micros=None,
        tables=decode_database_update(_get(body, "update"), schema),
    )


def decode_identity_token(body: JsonValue) -> tuple[str, str, str]:
    """The (identity hex, token, connection id hex) of an ``IdentityToken`` body."""
    return (
        normalize_identity(_str(_special(body, "identity", "__identity__"), "identity")),
        _str(_get(body, "token"), "token"),
        _connection_id_hex(_special(body, "connection_id", "__connection_id__")),
    )


def _connection_id_hex(value: JsonValue) -> str:
    """A connection id (a u128 JSON number) as the 32 hex digits the server prints."""
    number = _int(value, "connection id")
    return f"{number:032x}"


def _row_json(encoded: JsonValue) -> JsonValue:
    """Undo the protocol's JSON-in-a-string row encoding."""
    text = _str(encoded, "row")
    try:
        row: JsonValue = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"row is not JSON: {text[:200]!r}") from exc
    return row


def _special(body: JsonValue, name: str, tag: str) -> JsonValue:
    """The scalar inside a special product field such as ``{"__identity__": "0x..."}``."""
    value = _get(body, name)
    if isinstance(value, dict) and tag in value:
        return value[tag]
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    raise ProtocolError(f"{name} is not a {tag} value: {value!r}")


def _one_key(value: JsonValue, what: str) -> tuple[str, JsonValue]:
    if not isinstance(value, dict) or len(value) != 1:
        raise ProtocolError(f"{what} is not a one-key object: {value!r}")
    ((key, inner),) = value.items()
    return key, inner


def _get(value: JsonValue, name: str) -> JsonValue:
    if not isinstance(value, dict) or name not in value:
        raise ProtocolError(f"expected an object with {name!r}: {str(value)[:200]}")
    return value[name]


def _list(value: JsonValue, what: str) -> list[JsonValue]:
    if not isinstance(value, list):
        raise ProtocolError(f"{what} is not a list: {value!r}")
    return value


def _str(value: JsonValue, what: str) -> str:
    if not isinstance(value, str):
        raise ProtocolError(f"{what} is not a string: {value!r}")
    return value


def _int(value: JsonValue, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProtocolError(f"{what} is not an integer: {value!r}")
    return value
