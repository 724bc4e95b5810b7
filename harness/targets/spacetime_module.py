"""A SpacetimeDB module as a target, with a name mapping for modules that are not ours.

The reference module uses the contract's names. A user's module may call its reducer
`ingest` and its table `events`, and phrase errors differently; `ModuleNames` maps
each contract name to theirs and each contract error prefix to their text, so the
same checkers judge both. The publisher is the identity that published the database
(the reference module records it at init); clients get identities of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.contract.events import ApplyEventArgs
from harness.contract.schema import PRIMARY_KEYS, REFERENCE_TABLES
from harness.contract.snapshot import Snapshot, canonical_snapshot
from harness.env.stack import Database
from harness.spacetime.errors import ReducerFailed, SpacetimeUnavailable
from harness.spacetime.http import Identity, SpacetimeHttp
from harness.targets.base import OK, Reply, ReplyStatus


@dataclass(frozen=True)
class ModuleNames:
    """Contract name → the module's name, for reducers, tables, columns and errors.

    Anything not listed keeps the contract's name. `errors` maps a contract error
    prefix (e.g. `sequence_conflict`) to the module's prefix for the same error.
    `volatile` lists, per contract table, columns that hold a time of application
    (M5) and are masked in every snapshot.
    """

    reducers: Mapping[str, str] = field(default_factory=dict)
    tables: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    volatile: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def reducer(self, name: str) -> str:
        return self.reducers.get(name, name)

    def table(self, name: str) -> str:
        return self.tables.get(name, name)

    def contract_error(self, text: str) -> str:
        """Rewrite the module's error text into the contract's wording."""
        for ours, theirs in self.errors.items():
            if text.startswith(theirs):
                return ours + text[len(theirs):]
        return text


REFERENCE_NAMES = ModuleNames()


class SpacetimeModuleTarget:
    """Calls a published module over HTTP and reads its tables back with SQL."""

    def __init__(self, database: Database, names: ModuleNames = REFERENCE_NAMES) -> None:
        self.database = database
        self.names = names
        self._publisher = database.http()
        self._clients: dict[str, tuple[Identity, SpacetimeHttp]] = {}

    def _client(self, client: str) -> tuple[Identity, SpacetimeHttp]:
        """A named client's identity and driver, minting the identity on first use."""
        if client not in self._clients:
            anonymous = SpacetimeHttp(self.database.url)
            identity = anonymous.create_identity()
            self._clients[client] = (identity, anonymous.with_token(identity.token))
        return self._clients[client]

    def client_http(self, client: str) -> SpacetimeHttp:
        """The driver for a named client, creating its identity on first use."""
        return self._client(client)[1]

    def client_identity(self, client: str) -> str:
        """The named client's identity (hex): what M6 keys its checkpoints by, and what
        the oracle needs as the caller to predict them."""
        return self._client(client)[0].identity

    def _call(self, http: SpacetimeHttp, operation: str, args: list[Any]) -> Reply:
        try:
            http.call(self.database.name, self.names.reducer(operation), args)
        except ReducerFailed as exc:
            return Reply(ReplyStatus.FAIL, self.names.contract_error(exc.message))
        except SpacetimeUnavailable as exc:
            if exc.outcome_unknown:
                return Reply(ReplyStatus.INFO, str(exc))
            return Reply(ReplyStatus.FAIL, f"unavailable: {exc}")
        return OK

    def apply(self, args: ApplyEventArgs) -> Reply:
        return self._call(self._publisher, "apply_event", list(args))

    def compact(self, stream_id: str, through_seq: int) -> Reply:
        return self._call(self._publisher, "compact_stream", [stream_id, through_seq])

    def resume(self, client: str, stream_id: str, after_seq: int, replay_budget: int) -> Reply:
        return self._call(self.client_http(client), "resume_stream",
                          [stream_id, after_seq, replay_budget])

    def ack(self, client: str, stream_id: str, last_applied_seq: int) -> Reply:
        return self._call(self.client_http(client), "ack_checkpoint",
                          [stream_id, last_applied_seq])

    def call_as(self, client: str, operation: str, args: list[object]) -> Reply:
        """Any operation as a chosen client: how `unauthorized` (M1.1, M4) is exercised."""
        return self._call(self.client_http(client), operation, list(args))

    def snapshot(self) -> Snapshot:
        """Every contract table read with SQL, renamed to contract names, then G1."""
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in REFERENCE_TABLES:
            renames = {theirs: ours for ours, theirs in self.names.columns.get(table, {}).items()}
            query = f"SELECT * FROM {self.names.table(table)}"
            rows = self._publisher.sql(self.database.name, query)
            tables[table] = [{renames.get(k, k): v for k, v in row.items()} for row in rows]
        return canonical_snapshot(tables, PRIMARY_KEYS, self.names.volatile)
