"""The one seam where a system under test plugs in: a `Target` of four sides, each optional.

Jepsen's `Client` is the model: the harness speaks only the contract's verbs, and each side of
a target translates them to one concrete system. The reference stubs are a target like any
user's, built from configuration by the same loader, so nothing above this layer can tell
which system it is judging, and nothing here knows where a side comes from.

- module: a published database's reducers and tables (M, P, R1/R3 when it resumes);
- client: a client that resumes streams from cursors and keeps a view of them (R1-R4);
- publisher: a runtime that journals events and delivers them to the module (E, B);
- control: a service that mints sync tokens on two routes (T).

A side that a target does not have is None, and each side declares its `Capability`s; a
scenario that needs one the target lacks is reported as not applicable, naming it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from harness.contract.events import ApplyEventArgs
from harness.contract.snapshot import Snapshot
from harness.contract.sync_tokens import ControlPolicy
from harness.env.stack import Database
from harness.targets.base import Reply
from harness.targets.capabilities import Capability
from harness.targets.control import ControlTarget
from harness.targets.module_mapping import ModuleMapping


class ModuleSession(Protocol):
    """One published database of the module under test, in the contract's verbs and names.

    Error texts come back in the contract's wording and snapshots in the contract's table
    and column names (G1), so the checkers compare any module with the oracle and with
    itself. `client` names a caller identity the session mints on first use, because M6
    and R1 are keyed by the caller."""

    @property
    def database(self) -> Database: ...

    def apply(self, args: ApplyEventArgs, caller: str | None = None) -> Reply: ...

    def replay(self, events: Sequence[ApplyEventArgs]) -> list[Reply]:
        """`apply` each event in order as the publisher, the answers in the same order; may
        pipeline the calls (a rebuild replays whole journals, and one round trip per event
        bounds how many events a night checks)."""
        ...

    def compact(self, stream_id: str, through_seq: int, caller: str | None = None) -> Reply: ...

    def resume(self, client: str, stream_id: str, after_seq: int, replay_budget: int) -> Reply: ...

    def ack(self, client: str, stream_id: str, last_applied_seq: int,
            named: str | None = None) -> Reply:
        """`client` acknowledges; an ack reducer that takes the client as an argument is
        given `named`'s identity where set (M6: it must refuse another's), else the
        caller's own."""
        ...

    def snapshot(self) -> Snapshot: ...

    def table_keys(self) -> Mapping[str, str | None]:
        """The primary key column of every table `snapshot` holds (None: a multiset)."""
        ...

    def client_identity(self, client: str) -> str:
        """The hex identity a client name stands for (what checkpoints are keyed by)."""
        ...

    def contract_error(self, text: str) -> str:
        """The module's own error text rewritten in the contract's words (unchanged when
        it matches no declared pattern, so a checker shows the raw text)."""
        ...


@dataclass(frozen=True)
class Prepared:
    """What a published module is, against its description: the description's mistakes
    (exit 2 before the suite) and the contract's tables and columns it lacks, as config
    keys (`module.tables.run_summary`): their clauses are not applicable, named."""

    problems: tuple[str, ...] = ()
    absent: frozenset[str] = frozenset()
    # the module's calls as its schema types them, for a publisher that renders them itself
    mapping: ModuleMapping | None = None


class ModuleSide(Protocol):
    """How to speak to a published module; the environment publishes, this side binds."""

    @property
    def capabilities(self) -> frozenset[Capability]: ...

    def bind(self, database: Database) -> ModuleSession: ...

    def prepare(self, database: Database) -> Prepared:
        """Read what the module is from one published database, before any scenario."""
        ...


@dataclass(frozen=True, slots=True)
class Resumed:
    """The answer to one resume (from the module's reducer, or computed by the client
    itself), in the contract's words: `error` is None when the cursor may resume."""

    cursor: int
    replay_budget: int
    error: str | None

    @property
    def stale(self) -> bool:
        return self.error is not None and self.error.split(" ", 1)[0] == "stale_cursor"


@dataclass(frozen=True, slots=True)
class SnapshotLoaded:
    """The client discarded its view and loaded a snapshot taken at `head_seq` (R4)."""

    head_seq: int


@dataclass(frozen=True, slots=True)
class Delivered:
    """The client handed event `seq` to its application (R2)."""

    seq: int


ClientStep = Resumed | SnapshotLoaded | Delivered


@dataclass(frozen=True, slots=True)
class HeldRow:
    """One `sync_event` row as the client holds it, in the contract's column names and
    forms (CONTRACT.md §3): `seq`, and in `columns` whichever others the client keeps
    (stream_id, kind, payload_json, payload_hash, ...), mapped by its adapter from its own
    module's names. The checker compares each with the module's own row of that seq, so a
    client holding the right seqs with the wrong contents is seen (R2, R4)."""

    seq: int
    columns: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ClientRecord:
    """What a client did on one stream, in order, and where it ended: the final view alone
    cannot show a skip-ahead or a replay from a refused cursor (R4), and the steps alone
    cannot show a view whose rows are not the module's (`rows`: every event row the client
    holds above its base, as it holds them)."""

    steps: tuple[ClientStep, ...]
    cursor: int
    base_seq: int
    rows: tuple[HeldRow, ...]

    @property
    def events(self) -> tuple[int, ...]:
        """The seqs of the rows held, in the order held."""
        return tuple(row.seq for row in self.rows)


class ClientGaveUp(Exception):
    """The client under test could not get a gap-free view: its failure, not the harness's."""


class ClientSession(Protocol):
    """One named client identity of the client under test, on one database."""

    def resume(self, stream_id: str, cursor: int, replay_budget: int) -> Resumed: ...

    def pump(self, stream_id: str, until_seq: int, timeout_s: float) -> None:
        """Let live events arrive until the view reaches `until_seq` or time runs out."""
        ...

    def record(self, stream_id: str) -> ClientRecord: ...

    def close(self) -> None: ...


class ClientSide(Protocol):
    @property
    def capabilities(self) -> frozenset[Capability]: ...

    def connect(self, module: ModuleSession, name: str) -> ClientSession: ...


@dataclass(frozen=True)
class PublisherWiring:
    """How a publisher calls the module's apply reducer: its name, its argument templates
    (over the contract's event fields, see harness.targets.templates) and the regular
    expressions of its permanent errors (B3), which a publisher must not retry."""

    reducer: str
    args: tuple[object, ...]
    permanent_errors: tuple[str, ...]


class PublisherSide(Protocol):
    """A runtime that journals events and delivers them (E1-E6, B1-B6); `wiring` is how it
    must call this target's module."""

    @property
    def capabilities(self) -> frozenset[Capability]: ...

    @property
    def wiring(self) -> PublisherWiring: ...

    @property
    def service_env(self) -> Mapping[str, str]:
        """Settings the publisher's service starts with (a mutant's, for the stub runtime)."""
        ...


class ControlSide(Protocol):
    """A control service, reached (or started) on first use: module-only runs never pay for
    it. Its capabilities are known before it starts, from configuration."""

    @property
    def capabilities(self) -> frozenset[Capability]: ...

    @property
    def declared_policy(self) -> ControlPolicy:
        """What the service declares (alias retired? compatibility enforced?)."""
        ...

    def connect(self) -> ControlTarget: ...

    def connect_retired(self) -> ControlTarget:
        """A second instance of the service, started with its alias retired by its start-up
        configuration (T6 as a deployment retires it); only where the side has
        `Capability.CONTROL_RETIRED_AT_START`."""
        ...


@dataclass(frozen=True)
class Target:
    """The system under test: four sides, a name for reports, and what pins it.

    `pins` is what a report needs to say exactly which system was judged (the config file,
    adapter names, the module's wasm digest), so a repro can be checked against it."""

    name: str
    module: ModuleSide | None = None
    client: ClientSide | None = None
    publisher: PublisherSide | None = None
    control: ControlSide | None = None
    pins: Mapping[str, str] = field(default_factory=dict)
    # The rule families ("M") and single rules ("T6") whose absolute rules the target opts
    # into (CONTRACT.md §9); its relative rules are judged whatever this holds.
    absolute: frozenset[str] = frozenset()
    # The contract's tables and columns the module does not have, as the config keys that
    # say so (`module.tables.run_summary`, `module.tables.stream_head.oldest_seq`): the
    # clauses that need them are not applicable, named.
    absent: frozenset[str] = frozenset()

    @property
    def capabilities(self) -> frozenset[Capability]:
        found: set[Capability] = set()
        if self.module is not None:
            found |= self.module.capabilities
        if self.client is not None:
            found |= self.client.capabilities
        if self.publisher is not None:
            found |= self.publisher.capabilities
        if self.control is not None:
            found |= self.control.capabilities
        return frozenset(found)
