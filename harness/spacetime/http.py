"""Blocking HTTP client for the SpacetimeDB standalone server's ``/v1`` routes.

Every request has a timeout, and every failure surfaces as one of the typed errors of
``harness.spacetime.errors``, so the history recorder can file each call as ok, fail or
"outcome unknown" without inspecting transport exceptions itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from harness.spacetime.errors import (
    CallRejected,
    ProtocolError,
    ReducerFailed,
    SpacetimeUnavailable,
)
from harness.spacetime.program_hash import parse_program_hash
from harness.spacetime.sats import JsonValue, Row, RowType, normalize_identity
from harness.spacetime.schema import ModuleSchema

# A reducer that returned Err or panicked; the body is its error text.
_REDUCER_FAILED = 530
_NOT_FOUND = 404
# Compiling and initialising a module takes far longer than a reducer call.
_PUBLISH_TIMEOUT = 120.0


@dataclass(frozen=True)
class Identity:
    """A server-minted identity (64 lowercase hex digits) and the JWT that proves it."""

    identity: str
    token: str


@dataclass(frozen=True)
class PublishResult:
    """What ``PUT /v1/database/<name>`` reports: the database's identity and what it did."""

    database_identity: str
    domain: str | None
    op: str  # "created" or "updated"


@dataclass(frozen=True)
class DatabaseInfo:
    """What ``GET /v1/database/<name>`` reports about a database.

    ``program_hash`` is the server's ``initial_program`` as 64 hex digits (see
    ``harness.spacetime.program_hash``), or None where the server reports none. 1.2 sets
    it when the database is created and keeps it when the module is updated.
    """

    database_identity: str
    owner_identity: str
    program_hash: str | None


@dataclass(frozen=True)
class CallReceipt:
    """Timing of a successful reducer call.

    ``elapsed_seconds`` is the client-observed round trip; ``execution_micros`` is the
    server's own measurement (header ``spacetime-execution-duration-micros``), if sent.
    """

    elapsed_seconds: float
    execution_micros: int | None


class SpacetimeHttp:
    """One server's HTTP API, optionally authenticated with a bearer token.

    Instances for different identities share one ``requests.Session`` (see ``with_token``),
    so connection reuse survives switching callers.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        if session is None:
            session = requests.Session()
            # The server is a local test instance: a proxy from the environment must not
            # intercept (or time out) the traffic to it.
            session.trust_env = False
        self._session = session

    def with_token(self, token: str) -> SpacetimeHttp:
        """The same server and session, acting as another identity."""
        return SpacetimeHttp(self.base_url, token, self.timeout, self._session)

    def ping(self) -> None:
        """Succeed if the server answers ``GET /v1/ping``; used to wait for startup."""
        _expect_ok(self._request("GET", "/v1/ping", "ping"), "ping")

    def create_identity(self) -> Identity:
        """Mint a fresh identity and token (``POST /v1/identity``, no auth needed)."""
        response = _expect_ok(
            self._request("POST", "/v1/identity", "create identity"), "create identity"
        )
        body = _json_object(response, "create identity")
        identity, token = body.get("identity"), body.get("token")
        if not isinstance(identity, str) or not isinstance(token, str):
            raise ProtocolError(f"identity response lacks identity/token: {body!r}")
        return Identity(normalize_identity(identity), token)

    def publish(self, name: str, wasm: bytes, clear: bool = False) -> PublishResult:
        """Create or update database ``name`` with a module's raw wasm bytes.

        A module the server cannot load or initialise is a ``CallRejected`` carrying the
        server's explanation. ``clear`` deletes the database's data first (1.2 semantics).
        """
        operation = f"publish {name}"
        response = _expect_ok(
            self._request(
                "PUT",
                f"/v1/database/{name}",
                operation,
                params={"clear": "true"} if clear else None,
                data=wasm,
                timeout=max(self.timeout, _PUBLISH_TIMEOUT),
            ),
            operation,
        )
        success = _json_object(response, operation).get("Success")
        if not isinstance(success, dict):
            raise ProtocolError(f"{operation}: unexpected answer {response.text!r}")
        database_identity, domain, op = (
            success.get("database_identity"),
            success.get("domain"),
            success.get("op"),
        )
        if not isinstance(database_identity, str) or not isinstance(op, str):
            raise ProtocolError(f"{operation}: unexpected answer {response.text!r}")
        return PublishResult(
            database_identity=normalize_identity(database_identity),
            domain=domain if isinstance(domain, str) else None,
            op=op,
        )

    def database_info(self, name: str) -> DatabaseInfo:
        """Describe database ``name`` (``GET /v1/database/<name>``, no auth needed)."""
        operation = f"database info {name}"
        body = _json_object(
            _expect_ok(self._request("GET", f"/v1/database/{name}", operation), operation),
            operation,
        )
        identity = _identity_field(body.get("database_identity"))
        owner = _identity_field(body.get("owner_identity"))
        if identity is None or owner is None:
            raise ProtocolError(f"{operation}: unexpected answer {body!r}")
        program = body.get("initial_program")
        return DatabaseInfo(
            database_identity=identity,
            owner_identity=owner,
            program_hash=None if program is None else parse_program_hash(program),
        )

    def delete_database(self, name: str) -> None:
        """Delete database ``name`` (``DELETE /v1/database/<name>``); idempotent.

        Cleanup must not fail on a database that is already gone: 1.2 answers 404 there
        (seen live), 2.x answers 200.
        """
        operation = f"delete {name}"
        response = self._request("DELETE", f"/v1/database/{name}", operation)
        if response.status_code != _NOT_FOUND:
            _expect_ok(response, operation)

    def call(self, db: str, reducer: str, args: Sequence[JsonValue]) -> CallReceipt:
        """Run ``reducer`` with positional SATS-JSON ``args``.

        Raises ``ReducerFailed`` if the reducer ran and failed (HTTP 530), ``CallRejected``
        if the server refused the call, ``SpacetimeUnavailable`` if there was no answer.
        """
        operation = f"call {reducer}"
        started = time.perf_counter()
        response = self._request(
            "POST",
            f"/v1/database/{db}/call/{reducer}",
            operation,
            data=json.dumps(list(args)).encode(),
            headers={"Content-Type": "application/json"},
        )
        elapsed = time.perf_counter() - started
        if response.status_code == _REDUCER_FAILED:
            raise ReducerFailed(reducer, response.text)
        _expect_ok(response, operation)
        micros = response.headers.get("spacetime-execution-duration-micros")
        return CallReceipt(elapsed, int(micros) if micros and micros.isdigit() else None)

    def sql(self, db: str, query: str) -> list[Row]:
        """Run one SQL statement; rows come back as dicts decoded by the response schema."""
        operation = f"sql {query!r}"
        response = _expect_ok(
            self._request("POST", f"/v1/database/{db}/sql", operation, data=query.encode()),
            operation,
        )
        results = _json(response, operation)
        if not isinstance(results, list):
            raise ProtocolError(f"{operation}: expected a list of results: {response.text!r}")
        rows: list[Row] = []
        for result in results:
            raw_rows = result.get("rows") if isinstance(result, dict) else None
            if not isinstance(result, dict) or not isinstance(raw_rows, list):
                raise ProtocolError(f"{operation}: malformed statement result {result!r}")
            row_type = RowType.from_product(result.get("schema"))
            rows.extend(row_type.decode(raw) for raw in raw_rows)
        return rows

    def schema(self, db: str) -> ModuleSchema:
        """The module's table row types (``GET /v1/database/<db>/schema?version=9``)."""
        operation = f"schema {db}"
        response = _expect_ok(
            self._request("GET", f"/v1/database/{db}/schema", operation, params={"version": "9"}),
            operation,
        )
        return ModuleSchema.from_json(_json(response, operation))

    def logs(self, db: str, num_lines: int) -> list[dict[str, Any]]:
        """The last ``num_lines`` module log records (owner only; newline-delimited JSON)."""
        operation = f"logs {db}"
        response = _expect_ok(
            self._request(
                "GET", f"/v1/database/{db}/logs", operation, params={"num_lines": str(num_lines)}
            ),
            operation,
        )
        records: list[dict[str, Any]] = []
        for line in response.text.splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ProtocolError(f"{operation}: bad log line {line!r}") from exc
            if not isinstance(record, dict):
                raise ProtocolError(f"{operation}: log line is not an object: {line!r}")
            records.append(record)
        return records

    def _request(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        params: dict[str, str] | None = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> requests.Response:
        """Send one request; transport failures become ``SpacetimeUnavailable``."""
        all_headers = dict(headers or {})
        if self.token is not None:
            all_headers["Authorization"] = f"Bearer {self.token}"
        try:
            return self._session.request(
                method,
                self.base_url + path,
                params=params,
                data=data,
                headers=all_headers,
                timeout=timeout if timeout is not None else self.timeout,
            )
        except requests.RequestException as exc:
            refused = _never_sent(exc)
            state = "not sent" if refused else "outcome unknown"
            raise SpacetimeUnavailable(
                f"{operation}: {state}: {exc}", outcome_unknown=not refused
            ) from exc


def _expect_ok(response: requests.Response, operation: str) -> requests.Response:
    """Pass a 2xx response through; anything else is the server refusing the operation."""
    if response.status_code // 100 != 2:
        raise CallRejected(response.status_code, response.text, operation)
    return response


def _never_sent(exc: requests.RequestException) -> bool:
    """True if the request surely never reached the server (no connection was made).

    urllib3 reports a refused, unresolvable or slow-to-accept connection as a
    ``ConnectTimeoutError`` (``NewConnectionError`` is a subclass); anything later, such as
    a read timeout or a reset mid-response, may have happened after the server acted.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, ConnectTimeoutError)


def _identity_field(value: JsonValue) -> str | None:
    """An identity as SATS-JSON writes it in a response: ``{"__identity__": "0x..."}``,
    or plain hex as serde writes it; None if it is neither."""
    if isinstance(value, dict):
        value = value.get("__identity__")
    return normalize_identity(value) if isinstance(value, str | int) else None


def _json(response: requests.Response, operation: str) -> JsonValue:
    try:
        value: JsonValue = response.json()
    except ValueError as exc:
        raise ProtocolError(f"{operation}: response is not JSON: {response.text!r}") from exc
    return value


def _json_object(response: requests.Response, operation: str) -> dict[str, JsonValue]:
    value = _json(response, operation)
    if not isinstance(value, dict):
        raise ProtocolError(f"{operation}: expected a JSON object: {response.text!r}")
    return value
