"""A SpacetimeDB module described by a `ModuleMapping`, spoken to over its real APIs.

`DeclaredModule` translates in both directions: contract calls into the module's calls
(harness.targets.module_mapping), the module's answers and rows back into the contract's
words; once the module is published its schema says which of the mapped tables and
columns it really has and which tables are its own (harness.targets.module_shape).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.contract.events import ApplyEventArgs
from harness.contract.schema import PRIMARY_KEYS, SYNC_EVENT
from harness.contract.snapshot import Snapshot, canonical_snapshot
from harness.env.stack import Database
from harness.spacetime.errors import ReducerFailed, SpacetimeUnavailable
from harness.spacetime.http import Identity, SpacetimeHttp
from harness.spacetime.messages import TransactionUpdate
from harness.spacetime.sats import normalize_identity
from harness.spacetime.schema import ModuleSchema
from harness.spacetime.ws import SpacetimeSubscriber
from harness.targets.base import OK, Reply, ReplyStatus
from harness.targets.capabilities import Capability
from harness.targets.module_mapping import (
    ModuleMapping,
    ReducerCall,
    absent_parts,
    contract_event_row,
    module_fields,
    topic_or_empty,
)
from harness.targets.module_shape import Shape, own_tables, shape
from harness.targets.sides import Prepared
from harness.targets.templates import field_names, render
from harness.targets.typed_args import typed_mapping


class DeclaredModule:
    """The module side of a target, from a `ModuleMapping`: once prepared on a published
    database, its reducer templates are in the forms the module's parameters declare."""

    def __init__(self, mapping: ModuleMapping | None = None) -> None:
        self.mapping = mapping or ModuleMapping()
        # Module digest -> its schema, read once: every database of a run holds the same
        # module, and a replay's WebSocket needs the column types.
        self._schemas: dict[str, ModuleSchema] = {}

    @property
    def capabilities(self) -> frozenset[Capability]:
        found = {Capability.MODULE_APPLY}
        if self.mapping.compact is not None:
            found.add(Capability.MODULE_COMPACT)
        if self.mapping.resume is not None:
            found.add(Capability.MODULE_RESUME)
        if self.mapping.ack is not None:
            found.add(Capability.MODULE_ACK)
            if "client_identity" in field_names(self.mapping.ack.args):
                found.add(Capability.MODULE_ACK_NAMES_CLIENT)
        return frozenset(found)

    def bind(self, database: Database) -> DeclaredModuleSession:
        return DeclaredModuleSession(database, self.mapping, self._schemas)

    def prepare(self, database: Database) -> Prepared:
        """What the published module is, against its mapping: the configuration's mistakes
        (a table or column the module does not have) and the contract's tables and
        columns it lacks, both known before any scenario runs."""
        session = self.bind(database)
        shaped = session.shape()
        typed, wrong = typed_mapping(self.mapping, session.schema())
        self.mapping = typed
        return Prepared((*shaped.problems, *wrong), absent_parts(shaped.mapping), typed)


class DeclaredModuleSession:
    """Calls a published module over HTTP (a batch of publisher applies pipelined over a
    WebSocket) and reads its tables back with SQL."""

    def __init__(self, database: Database, mapping: ModuleMapping,
                 schemas: dict[str, ModuleSchema] | None = None) -> None:
        self._database = database
        self.mapping = mapping
        self._schemas = {} if schemas is None else schemas
        self._publisher = database.http()
        self._clients: dict[str, tuple[Identity, SpacetimeHttp]] = {}

    @property
    def database(self) -> Database:
        return self._database

    def _client(self, client: str) -> tuple[Identity, SpacetimeHttp]:
        if client not in self._clients:
            anonymous = SpacetimeHttp(self._database.url)
            identity = anonymous.create_identity()
            self._clients[client] = (identity, anonymous.with_token(identity.token))
        return self._clients[client]

    def client_token(self, client: str) -> str:
        """The named client's token, for a client that should act as that identity."""
        return self._client(client)[0].token

    def client_identity(self, client: str) -> str:
        return self._client(client)[0].identity

    def contract_error(self, text: str) -> str:
        return self.mapping.contract_error(text)

    def _caller(self, caller: str | None) -> SpacetimeHttp:
        return self._publisher if caller is None else self._client(caller)[1]

    def _call(self, http: SpacetimeHttp, reducer: str, args: list[Any]) -> Reply:
        try:
            http.call(self._database.name, reducer, args)
        except ReducerFailed as exc:
            return Reply(ReplyStatus.FAIL, self.contract_error(exc.message))
        except SpacetimeUnavailable as exc:
            if exc.outcome_unknown:
                return Reply(ReplyStatus.INFO, str(exc))
            return Reply(ReplyStatus.FAIL, f"unavailable: {exc}")
        return OK

    def apply(self, args: ApplyEventArgs, caller: str | None = None) -> Reply:
        call = self.mapping.apply
        return self._call(self._caller(caller), call.name,
                          render(call.args, module_fields(args, self.mapping)))

    def replay(self, events: Sequence[ApplyEventArgs]) -> list[Reply]:
        """Pipelined over one WebSocket as the publisher. If the socket fails, no call of
        the batch has a known answer: all are INFO (outcome unknown) once any was sent, and
        FAIL "unavailable" when none could be, as `_call` answers one call."""
        if not events:
            return []
        call = self.mapping.apply
        calls = [(call.name, render(call.args, module_fields(args, self.mapping)))
                 for args in events]
        try:
            with SpacetimeSubscriber.connect(self._database.url, self._database.name,
                                             self._database.owner.token,
                                             schema=self._schema()) as socket:
                updates = socket.call_reducers_in_order(calls)
        except SpacetimeUnavailable as exc:
            if exc.outcome_unknown:
                return [Reply(ReplyStatus.INFO, str(exc))] * len(calls)
            return [Reply(ReplyStatus.FAIL, f"unavailable: {exc}")] * len(calls)
        return [self._reply(update) for update in updates]

    def shape(self) -> Shape:
        """The mapping as this module has it (its schema read once per module digest)."""
        return shape(self.mapping, self._schema())

    def table_keys(self) -> dict[str, str | None]:
        """The primary key of every table the snapshots hold (None: a multiset)."""
        schema, shaped = self._schema(), self.shape()
        keys: dict[str, str | None] = {name: PRIMARY_KEYS[name] for name in shaped.mapping.tables}
        keys |= {name: schema.primary_keys.get(name)
                 for name in own_tables(shaped.mapping, schema)}
        return keys

    def schema(self) -> ModuleSchema:
        """The published module's schema (read once per module digest)."""
        return self._schema()

    def _schema(self) -> ModuleSchema:
        digest = self._database.module_sha256
        if digest not in self._schemas:
            self._schemas[digest] = self._publisher.schema(self._database.name)
        return self._schemas[digest]

    def _reply(self, update: TransactionUpdate) -> Reply:
        """As `_call` answers: a refused call (bad arguments) raises, as over HTTP."""
        try:
            update.raise_for_status()
        except ReducerFailed as exc:
            return Reply(ReplyStatus.FAIL, self.contract_error(exc.message))
        return OK

    def compact(self, stream_id: str, through_seq: int, caller: str | None = None) -> Reply:
        call = _present(self.mapping.compact, "compact")
        fields = {"topic": topic_or_empty(stream_id), "stream_id": stream_id,
                  "through_seq": through_seq}
        return self._call(self._caller(caller), call.name, render(call.args, fields))

    def resume(self, client: str, stream_id: str, after_seq: int, replay_budget: int) -> Reply:
        call = _present(self.mapping.resume, "resume")
        fields = {"topic": topic_or_empty(stream_id), "stream_id": stream_id,
                  "after_seq": after_seq, "replay_budget": replay_budget,
                  "client_identity": self.client_identity(client)}
        return self._call(self._client(client)[1], call.name, render(call.args, fields))

    def ack(self, client: str, stream_id: str, last_applied_seq: int,
            named: str | None = None) -> Reply:
        call = _present(self.mapping.ack, "ack")
        fields = {"topic": topic_or_empty(stream_id), "stream_id": stream_id,
                  "last_applied_seq": last_applied_seq,
                  "client_identity": self.client_identity(named or client)}
        return self._call(self._client(client)[1], call.name, render(call.args, fields))

    def snapshot(self) -> Snapshot:
        """Every table of the module read with SQL, then G1: the mapped ones under contract
        names and in contract forms, the module's own under their own names, the
        identities of this database's publisher and clients written as who they are (they
        differ between two databases given the same calls)."""
        shaped, schema = self.shape(), self._schema()
        tables: dict[str, list[dict[str, Any]]] = {}
        volatile: dict[str, frozenset[str]] = {}
        for table, mapped in shaped.mapping.tables.items():
            renames = {theirs: ours for ours, theirs in mapped.columns.items()}
            rows = self._publisher.sql(self._database.name, f"SELECT * FROM {mapped.name}")
            tables[table] = [{renames.get(k, k): v for k, v in row.items()} for row in rows]
            if table == SYNC_EVENT.name:
                tables[table] = [contract_event_row(row, self.mapping) for row in tables[table]]
            # declared under the contract's name or the module's own, columns likewise
            declared = {*self.mapping.volatile.get(table, ()),
                        *self.mapping.volatile.get(mapped.name, ())}
            volatile[table] = frozenset(renames.get(c, c) for c in declared)
        who = self._who()
        for table in own_tables(shaped.mapping, schema):
            rows = self._publisher.sql(self._database.name, f"SELECT * FROM {table}")
            tables[table] = [{k: who.get(v, v) if isinstance(v, str) else v
                              for k, v in row.items()} for row in rows]
            volatile[table] = frozenset(self.mapping.volatile.get(table, ()))
        return canonical_snapshot(tables, self.table_keys(), volatile)

    def _who(self) -> dict[str, str]:
        """This database's identities by role: its publisher (the owner) and each named
        client the session minted."""
        found = {normalize_identity(self._database.owner.identity): "<publisher>"}
        for name, (identity, _) in self._clients.items():
            found[normalize_identity(identity.identity)] = f"<client {name}>"
        return found


def _present(call: ReducerCall | None, operation: str) -> ReducerCall:
    """A reducer the module declared; runners check capabilities first, so None is a bug."""
    if call is None:
        raise RuntimeError(f"the module declares no {operation} reducer; the runner should "
                           f"have reported this scenario as not applicable")
    return call
