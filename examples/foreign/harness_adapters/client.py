"""A `ClientSide` for the foreign ledger module: the user's client logic, as an adapter.

The foreign module (examples/foreign/module) has no resume reducer, so its clients decide
for themselves whether a cursor can resume. Per stream this client:

1. reads the stream's `ledger_head` row by SQL (no row: an empty stream, head 0, floor 1)
   and works out CONTRACT R3 itself (`stale_reason`, `stale_cursor_error`);
2. if the cursor may resume, subscribes over the WebSocket to the stream's `ledger_event`
   rows with `offset` above the cursor and hands them to the application in offset order,
   each once, dropping anything at or below the cursor (R1, R2);
3. if it is stale, discards its view, loads a snapshot (reads `ledger_head` again), takes
   the snapshot's head as its cursor and resumes from there (R4).

Every answer, snapshot and delivery is recorded (`Resumed`, `SnapshotLoaded`, `Delivered`)
for the harness. One defect is planted on purpose (examples/foreign/README.md): the replay
budget check in `stale_reason` is off by one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from harness.spacetime.errors import WaitTimedOut
from harness.spacetime.http import SpacetimeHttp
from harness.spacetime.sats import Row
from harness.spacetime.schema import ModuleSchema
from harness.spacetime.ws import SpacetimeSubscriber
from harness.targets.capabilities import Capability
from harness.targets.sides import (
    ClientGaveUp,
    ClientRecord,
    ClientSession,
    ClientSide,
    ClientStep,
    Delivered,
    HeldRow,
    ModuleSession,
    Resumed,
    SnapshotLoaded,
)

HEAD_TABLE = "ledger_head"
EVENT_TABLE = "ledger_event"
# The event columns this client keeps, under the contract's names (CONTRACT.md §3); the
# `digest` is restated in the contract's hash form (`held_row`), the `key` is not kept.
HELD_COLUMNS = {"stream": "stream_id", "kind": "kind", "body": "payload_json",
                "committed_ms": "published_at_ms"}
CONTRACT_HASH_PREFIX = "sha256:"


def sql_text(value: str) -> str:
    """A SQL string literal: quoted, every `'` doubled."""
    return "'" + value.replace("'", "''") + "'"


def head_query(stream_id: str) -> str:
    return f"SELECT * FROM {HEAD_TABLE} WHERE stream = {sql_text(stream_id)}"


def events_query(stream_id: str, after: int) -> str:
    return (f"SELECT * FROM {EVENT_TABLE} WHERE stream = {sql_text(stream_id)}"
            f" AND offset > {after:d}")


@dataclass(frozen=True)
class Head:
    """A stream's `ledger_head` row; an empty stream has head 0 and floor 1."""

    head: int = 0
    floor: int = 1


def stale_reason(cursor: int, replay_budget: int, head: Head) -> list[str]:
    """R3's codes for resuming after `cursor`, in the contract's order; empty: resumable."""
    codes = []
    if cursor < head.floor - 1:
        codes.append("retention_floor_breach")
    # PLANTED DEFECT (breaks CONTRACT R3): `>=` where R3 says `head - cursor > budget`, so a
    # gap exactly as long as the budget is refused. It should read `> replay_budget`.
    if head.head - cursor >= replay_budget:
        codes.append("replay_budget_exceeded")
    if cursor > head.head:
        codes.append("cursor_ahead_of_head")
    return codes


def stale_cursor_error(stream_id: str, cursor: int, replay_budget: int, head: Head) -> str | None:
    """R3's `stale_cursor` text for this cursor, or None when it may resume."""
    codes = stale_reason(cursor, replay_budget, head)
    if not codes:
        return None
    return (f"stale_cursor reason={','.join(codes)} stream_id={stream_id} "
            f"requested_after_seq={cursor} oldest_available_cursor={head.floor - 1} "
            f"head_cursor={head.head} replay_budget={replay_budget}")


def held_row(row: Row) -> HeldRow:
    """A `ledger_event` row the application holds, told in the contract's names and forms
    (for the harness's R2/R4 comparison with the module's own rows)."""
    columns: dict[str, object] = {ours: row[theirs] for theirs, ours in HELD_COLUMNS.items()
                                  if theirs in row}
    if "digest" in row:
        columns["payload_hash"] = CONTRACT_HASH_PREFIX + str(row["digest"])
    return HeldRow(int(row["offset"]), columns)


@dataclass
class _Stream:
    """The application's view of one stream: a base cursor and the event rows since."""

    stream_id: str
    replay_budget: int
    base: int
    rows: list[Row] = field(default_factory=list)
    steps: list[ClientStep] = field(default_factory=list)
    subscriber: SpacetimeSubscriber | None = None

    @property
    def cursor(self) -> int:
        return int(self.rows[-1]["offset"]) if self.rows else self.base

    def drop_subscription(self) -> None:
        if self.subscriber is not None:
            self.subscriber.close()
            self.subscriber = None


class LedgerClient:
    """One client identity of the foreign client, on one database."""

    def __init__(self, url: str, database: str, token: str, *, timeout: float,
                 max_resumes: int) -> None:
        self._url, self._database, self._token = url, database, token
        self._timeout, self._max_resumes = timeout, max_resumes
        self._http = SpacetimeHttp(url, token, timeout)
        self._schema: ModuleSchema | None = None
        self._streams: dict[str, _Stream] = {}

    def resume(self, stream_id: str, cursor: int, replay_budget: int) -> Resumed:
        """Resume from `cursor` with a fresh view; the first answer (the one R3 judges)."""
        old = self._streams.get(stream_id)
        if old is not None:
            old.drop_subscription()
        stream = _Stream(stream_id, replay_budget, base=cursor)
        self._streams[stream_id] = stream
        return self._resume(stream)

    def pump(self, stream_id: str, until_seq: int, timeout_s: float) -> None:
        stream = self._streams.get(stream_id)
        if stream is None or stream.subscriber is None:
            raise ClientGaveUp(f"{stream_id}: not subscribed, nothing to pump")
        deadline = time.monotonic() + timeout_s
        while stream.cursor < until_seq and stream.subscriber is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                update = stream.subscriber.next_transaction(timeout=left)
            except WaitTimedOut:
                return
            if self._deliver(stream, update.inserts(EVENT_TABLE)) is not None:
                self._resume(stream)

    def record(self, stream_id: str) -> ClientRecord:
        stream = self._streams[stream_id]
        return ClientRecord(tuple(stream.steps), stream.cursor, stream.base,
                            tuple(held_row(row) for row in stream.rows))

    def close(self) -> None:
        for stream in self._streams.values():
            stream.drop_subscription()

    def _resume(self, stream: _Stream) -> Resumed:
        """Check the cursor (R3), recover if stale (R4), subscribe (R1); again while the
        subscription shows a hole, up to `max_resumes` times."""
        first: Resumed | None = None
        why = ""
        for _ in range(self._max_resumes):
            cursor = stream.cursor
            error = stale_cursor_error(stream.stream_id, cursor, stream.replay_budget,
                                       self._head(stream.stream_id))
            answer = Resumed(cursor, stream.replay_budget, error)
            stream.steps.append(answer)
            first = first or answer
            if error is not None:
                self._load_snapshot(stream)
                stream.steps.append(Resumed(stream.cursor, stream.replay_budget, None))
            beyond = self._subscribe(stream)
            if beyond is None:
                return first
            why = f"after cursor {stream.cursor} the subscription began at offset {beyond}"
        raise ClientGaveUp(f"{stream.stream_id}: no gap-free subscription after "
                           f"{self._max_resumes} resumes; last: {why}")

    def _head(self, stream_id: str) -> Head:
        rows = self._http.sql(self._database, head_query(stream_id))
        return Head(int(rows[0]["head"]), int(rows[0]["floor"])) if rows else Head()

    def _load_snapshot(self, stream: _Stream) -> None:
        """R4: forget the view and the subscription, start again at the stream's head."""
        stream.drop_subscription()
        stream.base = self._head(stream.stream_id).head
        stream.rows = []
        stream.steps.append(SnapshotLoaded(stream.base))

    def _subscribe(self, stream: _Stream) -> int | None:
        stream.drop_subscription()
        if self._schema is None:
            self._schema = self._http.schema(self._database)
        stream.subscriber = SpacetimeSubscriber.connect(
            self._url, self._database, self._token, self._timeout, self._schema)
        initial = stream.subscriber.subscribe([events_query(stream.stream_id, stream.cursor)],
                                              timeout=self._timeout)
        return self._deliver(stream, initial.get(EVENT_TABLE, []))

    def _deliver(self, stream: _Stream, rows: list[Row]) -> int | None:
        """Hand rows to the application in offset order, each once (R2); the offset found
        beyond a hole, if there is one (the caller must resume again)."""
        for row in sorted(rows, key=lambda row: int(row["offset"])):
            offset = int(row["offset"])
            if offset <= stream.cursor:
                continue
            if offset != stream.cursor + 1:
                return offset
            stream.rows.append(row)
            stream.steps.append(Delivered(offset))
        return None


@dataclass(frozen=True)
class LedgerClientSide:
    timeout: float = 10.0
    max_resumes: int = 5

    @property
    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.CLIENT})

    def connect(self, module: ModuleSession, name: str) -> ClientSession:
        """A new client identity (`name` only labels it) on the module's database."""
        database = module.database
        token = SpacetimeHttp(database.url, timeout=self.timeout).create_identity().token
        return LedgerClient(database.url, database.name, token, timeout=self.timeout,
                            max_resumes=self.max_resumes)


def client(**options: Any) -> ClientSide:
    """The factory the harness configuration names (`harness_adapters.client:client`).

    Options: `timeout` (seconds per server call, default 10) and `max_resumes` (how many
    times one resume may start over before the client gives up, default 5)."""
    unknown = sorted(set(options) - {"timeout", "max_resumes"})
    if unknown:
        raise ValueError(f"unknown options for the foreign client: {', '.join(unknown)}")
    return LedgerClientSide(float(options.get("timeout", 10.0)),
                            int(options.get("max_resumes", 5)))
