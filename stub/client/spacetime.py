"""The client's own few calls to SpacetimeDB: HTTP for identities, reducer calls and SQL,
and one WebSocket subscriber speaking `v1.json.spacetimedb`.

Only what a resuming client needs, and nothing shared with the harness that judges it.
Rows come back as dicts keyed by column name, their values as the server writes them in
SATS-JSON: the tables the client reads (sync_event, stream_head, run_summary,
worker_status) hold only strings and unsigned integers, which are plain JSON there.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

Row = dict[str, Any]
Columns = Mapping[str, tuple[str, ...]]
"""Each table's column names, in declaration order (rows in deltas are bare arrays)."""

_REDUCER_ERROR_STATUS = 530
_PROTOCOL = Subprotocol("v1.json.spacetimedb")
_MAX_FRAME = 32 * 1024 * 1024


class SpacetimeError(RuntimeError):
    """The server refused a request, could not be reached, or said something unexpected."""


class ReducerFailedError(SpacetimeError):
    """The reducer ran and returned an error; `message` is its text, verbatim."""

    def __init__(self, reducer: str, message: str) -> None:
        super().__init__(f"{reducer} failed: {message}")
        self.message = message


class NothingArrivedError(SpacetimeError):
    """No transaction arrived before the deadline; the connection is still open."""


class DatabaseHttp:
    """One server's HTTP API, as the identity `token` proves (or none)."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 10.0) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = timeout
        self._session = requests.Session()
        self._session.trust_env = False  # a local server: no proxy from the environment
        if token is not None:
            self._session.headers["Authorization"] = f"Bearer {token}"

    def new_identity(self) -> str:
        """A fresh identity's token (`POST /v1/identity`)."""
        body = self._json(self._post("/v1/identity", b""))
        if not isinstance(body, dict) or not isinstance(body.get("token"), str):
            raise SpacetimeError(f"identity answer without a token: {body!r}")
        return str(body["token"])

    def call(self, database: str, reducer: str, args: Sequence[object]) -> None:
        """Run `reducer`; `ReducerFailedError` with its text when it returns an error."""
        response = self._post(f"/v1/database/{database}/call/{reducer}",
                              json.dumps(list(args)).encode("utf-8"),
                              {"Content-Type": "application/json"}, ok=False)
        if response.status_code == _REDUCER_ERROR_STATUS:
            raise ReducerFailedError(reducer, response.text)
        _check(response)

    def sql(self, database: str, query: str) -> list[Row]:
        """The rows one SQL statement returns, keyed by the column names it reports."""
        results = self._json(self._post(f"/v1/database/{database}/sql", query.encode("utf-8")))
        rows: list[Row] = []
        statements: list[Any] = results if isinstance(results, list) else [None]
        for result in statements:
            try:
                names = [element["name"]["some"] for element in result["schema"]["elements"]]
                rows.extend(dict(zip(names, row, strict=True)) for row in result["rows"])
            except (KeyError, TypeError, ValueError) as exc:
                raise SpacetimeError(f"unexpected SQL answer {results!r}") from exc
        return rows

    def columns(self, database: str) -> dict[str, tuple[str, ...]]:
        """Every table's column names, from the module's definition (schema version 9)."""
        response = self._send("GET", f"/v1/database/{database}/schema?version=9", None, {})
        module = self._json(_check(response))
        try:
            types = module["typespace"]["types"]
            return {
                table["name"]: tuple(element["name"]["some"] for element in
                                     types[table["product_type_ref"]]["Product"]["elements"])
                for table in module["tables"]
            }
        except (KeyError, TypeError, IndexError) as exc:
            raise SpacetimeError(f"unexpected module schema: {exc!r}") from exc

    def _post(self, path: str, data: bytes, headers: Mapping[str, str] | None = None,
              *, ok: bool = True) -> requests.Response:
        response = self._send("POST", path, data, headers or {})
        return _check(response) if ok else response

    def _send(self, method: str, path: str, data: bytes | None,
              headers: Mapping[str, str]) -> requests.Response:
        try:
            return self._session.request(method, self._base + path, data=data,
                                         headers=dict(headers), timeout=self._timeout)
        except requests.RequestException as exc:
            raise SpacetimeError(f"{method} {path}: no answer: {exc}") from exc

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise SpacetimeError(f"not JSON: {response.text[:200]!r}") from exc


def _check(response: requests.Response) -> requests.Response:
    if not 200 <= response.status_code < 300:
        raise SpacetimeError(f"HTTP {response.status_code}: {response.text[:500]}")
    return response


@dataclass(frozen=True, slots=True)
class Transaction:
    """The rows one committed transaction inserted into the tables the subscriber watches."""

    inserted: Mapping[str, list[Row]] = field(default_factory=dict)

    def inserts(self, table: str) -> list[Row]:
        return list(self.inserted.get(table, []))


class Subscriber:
    """One WebSocket to one database: subscribe once, then read transactions in order."""

    def __init__(self, connection: ClientConnection, columns: Columns) -> None:
        self._connection = connection
        self._columns = columns
        self._unread: deque[tuple[str, Any]] = deque()

    @classmethod
    def connect(cls, base_url: str, database: str, token: str, timeout: float,
                columns: Columns) -> Subscriber:
        """Open the socket and read the server's greeting (`IdentityToken`)."""
        scheme, rest = base_url.rstrip("/").split("://", 1)
        url = f"{'wss' if scheme == 'https' else 'ws'}://{rest}/v1/database/{database}" \
              "/subscribe?compression=None"
        try:
            connection = connect(url, subprotocols=[_PROTOCOL], open_timeout=timeout,
                                 close_timeout=timeout, max_size=_MAX_FRAME, compression=None,
                                 additional_headers={"Authorization": f"Bearer {token}"},
                                 proxy=None).__enter__()
        except (OSError, WebSocketException) as exc:
            raise SpacetimeError(f"cannot subscribe to {database}: {exc}") from exc
        subscriber = cls(connection, columns)
        try:
            kind, _ = subscriber._read(time.monotonic() + timeout)
            if kind != "IdentityToken":
                raise SpacetimeError(f"the server greeted with {kind}, not IdentityToken")
        except BaseException:
            connection.close()
            raise
        return subscriber

    def subscribe(self, queries: Sequence[str], timeout: float) -> dict[str, list[Row]]:
        """Subscribe to `queries` and return their current rows by table."""
        frame = {"SubscribeMulti": {"query_strings": list(queries), "request_id": 1,
                                    "query_id": {"id": 1}}}
        try:
            self._connection.send(json.dumps(frame))
        except ConnectionClosed as exc:
            raise SpacetimeError(f"connection closed: {exc}") from exc
        deadline = time.monotonic() + timeout
        while True:
            kind, body = self._read(deadline)
            if kind == "SubscribeMultiApplied":
                return self._inserted(body["update"])
            if kind == "SubscriptionError":
                raise SpacetimeError(f"subscription {list(queries)} refused: {body.get('error')}")
            self._unread.append((kind, body))

    def next_transaction(self, timeout: float) -> Transaction:
        """The next committed transaction that touched the subscription, in server order."""
        deadline = time.monotonic() + timeout
        while True:
            kind, body = self._unread.popleft() if self._unread else self._read(deadline)
            if kind == "TransactionUpdateLight":
                return Transaction(self._inserted(body["update"]))
            if kind == "TransactionUpdate":
                status = body["status"]
                if isinstance(status, dict) and "Committed" in status:
                    return Transaction(self._inserted(status["Committed"]))
            elif kind == "SubscriptionError":
                raise SpacetimeError(f"subscription dropped: {body.get('error')}")

    def close(self) -> None:
        self._connection.close()

    def _read(self, deadline: float) -> tuple[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise NothingArrivedError("deadline passed")
        try:
            frame = self._connection.recv(timeout=remaining)
        except TimeoutError as exc:
            raise NothingArrivedError(f"nothing within {remaining:.3f}s") from exc
        except ConnectionClosed as exc:
            raise SpacetimeError(f"connection closed: {exc}") from exc
        message = json.loads(frame)
        if not isinstance(message, dict) or len(message) != 1:
            raise SpacetimeError(f"unexpected frame {str(frame)[:200]!r}")
        ((kind, body),) = message.items()
        return kind, body

    def _inserted(self, update: Any) -> dict[str, list[Row]]:
        """Inserted rows by table, each row a JSON string: an object in initial rows, an
        array in column order in transactions."""
        tables: dict[str, list[Row]] = {}
        for table in update["tables"]:
            name = table["table_name"]
            rows = tables.setdefault(name, [])
            for query_update in table["updates"]:
                for text in query_update["inserts"]:
                    row = json.loads(text)
                    rows.append(row if isinstance(row, dict)
                                else dict(zip(self._columns[name], row, strict=True)))
        return tables
