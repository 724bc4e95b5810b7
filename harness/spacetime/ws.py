"""A synchronous WebSocket subscriber speaking ``v1.json.spacetimedb``.

The harness observes what a client sees: the initial rows of a subscription and then one
``TransactionUpdate`` per transaction that touched them, in server order. It can also call
reducers over the same socket and wait for its own result. Every wait has a deadline.

Messages are read one at a time on the caller's thread. A wait for one particular reply
(``subscribe``, ``call_reducer``) leaves every other message it reads in a buffer, so
``next_transaction`` still sees all broadcasts in the order the server sent them. One
subscriber is meant for one thread.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self, TypeAlias

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from harness.spacetime.errors import (
    CallRejected,
    ProtocolError,
    SpacetimeUnavailable,
    SubscriptionRejected,
    WaitTimedOut,
)
from harness.spacetime.http import SpacetimeHttp
from harness.spacetime.messages import (
    NO_REQUEST_ID,
    TransactionUpdate,
    decode_database_update,
    decode_identity_token,
    decode_light_update,
    decode_transaction_update,
    encode_call_reducer,
    encode_subscribe_multi,
    parse_server_message,
)
from harness.spacetime.sats import JsonValue, Row
from harness.spacetime.schema import ModuleSchema

SUBPROTOCOL = Subprotocol("v1.json.spacetimedb")
# The server's own limit on a message (0x2000000): a large initial subscription must fit.
_MAX_MESSAGE_BYTES = 32 * 1024 * 1024

# A buffered server message: its type and either its raw body or, for transaction
# updates, the decoded update (decoded once, on arrival).
_Message: TypeAlias = "tuple[str, JsonValue | TransactionUpdate]"


class SpacetimeSubscriber:
    """One WebSocket connection to one database, as one identity."""

    def __init__(
        self,
        connection: ClientConnection,
        schema: ModuleSchema,
        identity: str,
        connection_id: str,
    ) -> None:
        self._connection = connection
        self._schema = schema
        self.identity = identity
        self.connection_id = connection_id
        self._pending: deque[_Message] = deque()
        self._request_ids = itertools.count(1)  # 0 is NO_REQUEST_ID
        self._query_ids = itertools.count(1)

    @classmethod
    def connect(
        cls,
        base_url: str,
        db: str,
        token: str,
        timeout: float = 10.0,
        schema: ModuleSchema | None = None,
    ) -> SpacetimeSubscriber:
        """Open a subscriber and read the server's ``IdentityToken`` greeting.

        ``schema`` gives the tables' column names and types; without it, it is fetched
        once over HTTP. A refused upgrade (bad token, unknown database, a
        ``client_connected`` reducer that rejects) is a ``CallRejected``.
        """
        if schema is None:
            schema = SpacetimeHttp(base_url, token, timeout).schema(db)
        url = _ws_base(base_url) + f"/v1/database/{db}/subscribe?compression=None"
        try:
            # Entered at once: websockets 17 warns about a connection used outside a
            # with-block. The subscriber owns it from here and closes it in close().
            connection = connect(
                url,
                subprotocols=[SUBPROTOCOL],
                additional_headers={"Authorization": f"Bearer {token}"},
                open_timeout=timeout,
                close_timeout=timeout,
                max_size=_MAX_MESSAGE_BYTES,
                compression=None,
                proxy=None,
            ).__enter__()
        except InvalidStatus as exc:
            body = exc.response.body.decode(errors="replace") if exc.response.body else ""
            raise CallRejected(exc.response.status_code, body, f"subscribe to {db}") from exc
        except (OSError, InvalidHandshake) as exc:  # refused, timed out, not a websocket
            raise SpacetimeUnavailable(
                f"subscribe to {db}: cannot connect: {exc}", outcome_unknown=False
            ) from exc
        subscriber = cls(connection, schema, identity="", connection_id="")
        try:
            kind, greeting = subscriber._receive(time.monotonic() + timeout)
            if kind != "IdentityToken" or isinstance(greeting, TransactionUpdate):
                raise ProtocolError(f"expected IdentityToken first, got {kind}")
            subscriber.identity, _, subscriber.connection_id = decode_identity_token(greeting)
        except BaseException:
            connection.close()
            raise
        return subscriber

    def subscribe(self, queries: Sequence[str], timeout: float = 10.0) -> dict[str, list[Row]]:
        """Subscribe to ``queries`` and return their current rows, by table name.

        Tables without matching rows are absent from the result (the server omits them).
        A query the server refuses raises ``SubscriptionRejected``.
        """
        request_id, query_id = next(self._request_ids), next(self._query_ids)
        self._send(encode_subscribe_multi(queries, request_id, query_id), "subscribe")

        def is_reply(message: _Message) -> bool:
            kind, body = message
            if kind == "SubscribeMultiApplied":
                return isinstance(body, dict) and body.get("query_id") == {"id": query_id}
            if kind == "SubscriptionError":
                return isinstance(body, dict) and body.get("query_id") == {"some": query_id}
            # Errors outside the query compiler (e.g. a duplicate query id) come back as
            # a failed transaction named "<none>" with the rejection request id.
            return (
                isinstance(body, TransactionUpdate)
                and body.rejected
                and body.reducer == "<none>"
                and body.caller_connection_id == self.connection_id
            )

        kind, body = self._take(is_reply, time.monotonic() + timeout)
        if isinstance(body, TransactionUpdate):
            raise SubscriptionRejected(f"{list(queries)}: {body.failure}")
        if kind == "SubscriptionError":
            raise SubscriptionRejected(f"{list(queries)}: {_error_text(body)}")
        update = body.get("update") if isinstance(body, dict) else None
        deltas = decode_database_update(update, self._schema)
        return {table: delta.inserts for table, delta in deltas.items()}

    def next_transaction(self, timeout: float = 10.0) -> TransactionUpdate:
        """The next transaction update the server sent, in order.

        Raises ``WaitTimedOut`` if none arrives in time, and ``SubscriptionRejected`` if the
        server dropped a subscription instead. Stale replies to earlier requests that timed
        out are skipped.
        """
        deadline = time.monotonic() + timeout
        while True:
            kind, body = self._take(lambda _: True, deadline)
            if isinstance(body, TransactionUpdate):
                return body
            if kind == "SubscriptionError":
                raise SubscriptionRejected(f"subscription dropped: {_error_text(body)}")

    def call_reducer(
        self, reducer: str, args: Sequence[JsonValue], timeout: float = 10.0
    ) -> TransactionUpdate:
        """Call ``reducer`` over the socket and return this connection's own update for it.

        The result may be committed, failed (the reducer returned an error) or a rejection
        (``TransactionUpdate.rejected``: unknown reducer, bad arguments); call
        ``raise_for_status`` to turn failures into the same errors HTTP calls raise. If no
        answer arrives in time or the connection drops after sending, the call's outcome
        is unknown: ``SpacetimeUnavailable(outcome_unknown=True)``.
        """
        request_id = next(self._request_ids)
        self._send(encode_call_reducer(reducer, args, request_id), f"call {reducer}")

        def is_own(message: _Message) -> bool:
            _, update = message
            if not isinstance(update, TransactionUpdate):
                return False
            if update.caller_connection_id != self.connection_id:
                return False
            # A 1.2 server drops the request id from every failed update, so a failure is
            # recognised by connection and reducer name: with one call in flight per
            # connection, it can only be this call's (or a timed-out earlier call's).
            return update.request_id == request_id or (
                update.status == "failed"
                and update.request_id == NO_REQUEST_ID
                and update.reducer == reducer
            )

        try:
            _, update = self._take(is_own, time.monotonic() + timeout)
        except (WaitTimedOut, SpacetimeUnavailable) as exc:
            raise SpacetimeUnavailable(
                f"call {reducer}: sent, but no answer: {exc}", outcome_unknown=True
            ) from exc
        assert isinstance(update, TransactionUpdate)  # guaranteed by is_own
        return update

    def call_reducers_in_order(
        self, calls: Sequence[tuple[str, Sequence[JsonValue]]], timeout: float = 10.0,
        window: int = 64,
    ) -> list[TransactionUpdate]:
        """Call reducers pipelined, up to `window` in flight, and return their own updates
        in call order: one round trip per window instead of one per call.

        The server runs one connection's calls in the order they arrive and answers each,
        so the n-th update of this connection for the n-th call's reducer is that call's
        (a 1.2 server drops request ids from failed updates, so ids cannot pair them). Only
        for calls whose order is theirs alone to fix, as a replay's are."""
        updates: list[TransactionUpdate] = []
        sent = 0
        while len(updates) < len(calls):
            while sent < len(calls) and sent - len(updates) < window:
                reducer, args = calls[sent]
                self._send(encode_call_reducer(reducer, args, next(self._request_ids)),
                           f"call {reducer}")
                sent += 1
            reducer = calls[len(updates)][0]

            def is_next(message: _Message, reducer: str = reducer) -> bool:
                _, update = message
                return (isinstance(update, TransactionUpdate)
                        and update.caller_connection_id == self.connection_id
                        and update.reducer == reducer)

            try:
                _, update = self._take(is_next, time.monotonic() + timeout)
            except (WaitTimedOut, SpacetimeUnavailable) as exc:
                raise SpacetimeUnavailable(
                    f"call {reducer}: {sent - len(updates)} sent, but no answer: {exc}",
                    outcome_unknown=True) from exc
            assert isinstance(update, TransactionUpdate)  # guaranteed by is_next
            updates.append(update)
        return updates

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _send(self, frame: str, operation: str) -> None:
        try:
            self._connection.send(frame)
        except ConnectionClosed as exc:
            raise SpacetimeUnavailable(
                f"{operation}: connection closed before sending: {exc}", outcome_unknown=False
            ) from exc

    def _take(self, wanted: Callable[[_Message], bool], deadline: float) -> _Message:
        """Remove and return the first buffered or newly read message that is ``wanted``."""
        for index, message in enumerate(self._pending):
            if wanted(message):
                del self._pending[index]
                return message
        while True:
            message = self._receive(deadline)
            if wanted(message):
                return message
            self._pending.append(message)

    def _receive(self, deadline: float) -> _Message:
        """Read one server message, decoding transaction updates on arrival."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimedOut("no matching message before the deadline")
        try:
            frame = self._connection.recv(timeout=remaining)
        except TimeoutError as exc:
            raise WaitTimedOut(f"no matching message within {remaining:.3f}s") from exc
        except ConnectionClosed as exc:
            raise SpacetimeUnavailable(f"connection closed: {exc}", outcome_unknown=False) from exc
        if not isinstance(frame, str):
            raise ProtocolError("binary frame on the JSON protocol")
        kind, body = parse_server_message(frame)
        if kind == "TransactionUpdate":
            return kind, decode_transaction_update(body, self._schema)
        if kind == "TransactionUpdateLight":
            return kind, decode_light_update(body, self._schema)
        return kind, body


def _ws_base(base_url: str) -> str:
    """``http://host:port`` → ``ws://host:port`` (and https → wss)."""
    base = base_url.rstrip("/")
    for http, ws in (("https://", "wss://"), ("http://", "ws://")):
        if base.startswith(http):
            return ws + base[len(http) :]
    raise ValueError(f"base URL must start with http:// or https://: {base_url!r}")


def _error_text(body: JsonValue | TransactionUpdate) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) else repr(body)
