"""The step vocabulary: one frozen dataclass per op, which property may use it, and the JSON
boundary.

In the harness a step is a typed value (`Deliver("run:a:events", 2)`), matched by class. JSON
appears only where a scenario is read or written (curated files, scenario IDs, stored
artefacts): `step_from_json` checks one step strictly, naming the step and the field that is
wrong, and `step_to_json` writes it back. Each class carries its JSON name as `op`, so the JSON
form, and with it every scenario ID and curated file, is what it was when steps were dicts.

The journal is part of a scenario: `Event` steps append to it (seq = the topic's head + 1,
E2), and the other steps refer to journaled events by (topic, seq).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Final, TypeAlias, get_type_hints

from harness.errors import HarnessError

MODULE_PROPERTIES = ("idempotence", "rebuild", "stale_cursor")

SHAPE_HINT = ("a step is a JSON object with an op and that op's fields, each of its type "
              "(harness/scenario/steps.py lists them)")


class MalformedScenario(HarnessError):
    """A scenario (a file, an ID's data, a stored artefact) that cannot be run as written.

    `problems` lists each thing that is wrong, each naming its step and field."""

    def __init__(self, message: str, hint: str = SHAPE_HINT,
                 problems: Sequence[str] = ()) -> None:
        super().__init__(message, hint)
        self.problems: tuple[str, ...] = tuple(problems) or (message,)


class FaultKind(StrEnum):
    """A publisher fault the stub runtime can arm for its next deliveries (B1, B2, B5)."""

    DUPLICATE = "duplicate"                    # each delivery is sent twice
    REORDER = "reorder"                        # two deliveries of a stream swap places
    CRASH_AFTER_COMMIT = "crash_after_commit"  # the process dies after the reducer committed
    CRASH_BEFORE_SEND = "crash_before_send"    # the process dies before sending

    @property
    def crashes(self) -> bool:
        """Whether the fault kills the runtime's process (a supervisor must restart it)."""
        return self in (FaultKind.CRASH_AFTER_COMMIT, FaultKind.CRASH_BEFORE_SEND)


# Mapping fields hold JSON objects (an event's payload, a request body). They take no part
# in a step's hash, as in harness.contract.events.Event, so every step stays hashable.

@dataclass(frozen=True)
class Event:
    """Journal a new event of `kind` with `payload` on `topic`; its seq is the topic's head
    + 1 (E2) and its published_at is fixed by its place in the scenario (E3)."""

    op: ClassVar[str] = "event"
    topic: str
    kind: str
    payload: Mapping[str, Any] = field(hash=False)


@dataclass(frozen=True)
class Deliver:
    """The publisher applies journaled event (topic, seq) to the module (M1)."""

    op: ClassVar[str] = "deliver"
    topic: str
    seq: int


@dataclass(frozen=True)
class Conflict:
    """The publisher applies (topic, seq) with other content, `payload`: a conflict (E6)."""

    op: ClassVar[str] = "conflict"
    topic: str
    seq: int
    payload: Mapping[str, Any] = field(hash=False)


@dataclass(frozen=True)
class BadHash:
    """The publisher applies (topic, seq) with a payload_hash that is not its content's (E5)."""

    op: ClassVar[str] = "bad_hash"
    topic: str
    seq: int


@dataclass(frozen=True)
class Intrude:
    """Client `client`, not the publisher, applies the journaled (topic, seq): refused as
    `unauthorized` before anything else is checked (M1.1)."""

    op: ClassVar[str] = "intrude"
    client: str
    topic: str
    seq: int


@dataclass(frozen=True)
class Ack:
    """Client `client` acknowledges `seq` of the stream of `topic` (M6)."""

    op: ClassVar[str] = "ack"
    client: str
    topic: str
    seq: int


@dataclass(frozen=True)
class AckAs:
    """Client `client` acknowledges `seq` of the stream of `topic` naming `named`'s identity
    as the client: refused as `unauthorized`, moving no checkpoint (M6: one caller can never
    move another's). Only for a module whose ack takes the client as an argument."""

    op: ClassVar[str] = "ack_as"
    client: str
    named: str
    topic: str
    seq: int


@dataclass(frozen=True)
class Compact:
    """The publisher compacts the stream of `topic` through seq `through` (M4)."""

    op: ClassVar[str] = "compact"
    topic: str
    through: int


@dataclass(frozen=True)
class CompactAs:
    """Client `client`, not the publisher, compacts the stream of `topic` through seq
    `through`: refused as `unauthorized`, changing nothing (M4: only the publisher may)."""

    op: ClassVar[str] = "compact_as"
    client: str
    topic: str
    through: int


@dataclass(frozen=True)
class ViaRuntime:
    """From here on `Event` steps are journaled by the stub runtime, whose publisher delivers
    them (B1-B6); the harness no longer delivers by itself."""

    op: ClassVar[str] = "via_runtime"


@dataclass(frozen=True)
class Fault:
    """Arm a publisher fault of `kind` for the runtime's next `count` deliveries."""

    op: ClassVar[str] = "fault"
    kind: FaultKind
    count: int


@dataclass(frozen=True)
class CrashRuntime:
    """The runtime container is killed with SIGKILL and started again (B5)."""

    op: ClassVar[str] = "crash_runtime"


@dataclass(frozen=True)
class CutNetwork:
    """The runtime is cut off the network from SpacetimeDB (B3, B6); `HealNetwork` or the
    end of the scenario reconnects it."""

    op: ClassVar[str] = "cut_network"


@dataclass(frozen=True)
class HealNetwork:
    """The runtime is reconnected to SpacetimeDB after a `CutNetwork` (B6)."""

    op: ClassVar[str] = "heal_network"


@dataclass(frozen=True)
class Settle:
    """Wait until the publisher has delivered everything it can."""

    op: ClassVar[str] = "settle"


@dataclass(frozen=True)
class Hold:
    """Let `ms` milliseconds pass (an outage that outlasts the publisher's quick retries)."""

    op: ClassVar[str] = "hold"
    ms: int


@dataclass(frozen=True)
class Preempt:
    """After settling, the harness applies (topic, seq) itself with the extra payload field
    `forged`: when the runtime then delivers the real event it is a permanent conflict
    (B3: dead letter, stream paused; B4: the other streams go on)."""

    op: ClassVar[str] = "preempt"
    topic: str
    seq: int
    forged: int


@dataclass(frozen=True)
class ClearDatabase:
    """After settling, the module's database is cleared and its module started again under
    the same name and owner, as a database restored from an empty backup. The runtime's
    delivered heads are then ahead of the module's, so its next delivery on a stream it had
    delivered to is a permanent `sequence_conflict` (B3: dead-lettered with that reason,
    the stream paused; B4: streams new to the module go on)."""

    op: ClassVar[str] = "clear_database"


@dataclass(frozen=True)
class CrashSpacetimeDB:
    """SpacetimeDB is killed with SIGKILL once its commitlog is durable, then restarted."""

    op: ClassVar[str] = "crash_stdb"


@dataclass(frozen=True)
class Rebuild:
    """A fresh database replays the journal in the interleaving chosen by `seed`, then the
    same compactions; its snapshot must equal the original's (G2)."""

    op: ClassVar[str] = "rebuild"
    seed: int


@dataclass(frozen=True)
class Resume:
    """Client `client` resumes the stream of `topic` from `cursor` with replay budget
    `budget` (R1-R4), then listens for live deliveries."""

    op: ClassVar[str] = "resume"
    client: str
    topic: str
    cursor: int
    budget: int


@dataclass(frozen=True)
class Policy:
    """The control service's declared policy for the scenario's token steps (T1, T6)."""

    op: ClassVar[str] = "policy"
    alias_retired: bool
    compat_enforced: bool


@dataclass(frozen=True)
class RetiredAtStart:
    """The token steps go to a second instance of the control service, started with its
    alias retired by its start-up configuration, as a deployment retires it (T6): before
    anything is set up, every alias route already answers 404 to every method and the
    OpenAPI document leaves it out; then each case runs there as usual."""

    op: ClassVar[str] = "retired_at_start"


@dataclass(frozen=True)
class Token:
    """One request of the token matrix, the case with id `case`, sent to both routes (T1-T6)."""

    op: ClassVar[str] = "token"
    case: str


@dataclass(frozen=True)
class TokenBody:
    """A generated request body, sent to both /api routes (T2-T5)."""

    op: ClassVar[str] = "token_body"
    body: Mapping[str, Any] = field(hash=False)


Step: TypeAlias = (Event | Deliver | Conflict | BadHash | Intrude | Ack | AckAs | Compact
                   | CompactAs
                   | ViaRuntime | Fault
                   | CrashRuntime | CutNetwork | HealNetwork | Settle | Hold | Preempt
                   | ClearDatabase | CrashSpacetimeDB | Rebuild | Resume | Policy
                   | RetiredAtStart | Token | TokenBody)

# Which property may use each step (checked when a scenario is read).
PROPERTIES_USING: Final[Mapping[type[Step], tuple[str, ...]]] = {
    Event: MODULE_PROPERTIES,
    Deliver: MODULE_PROPERTIES,
    Conflict: MODULE_PROPERTIES,
    BadHash: MODULE_PROPERTIES,
    Intrude: MODULE_PROPERTIES,
    Ack: ("stale_cursor",),
    AckAs: ("stale_cursor",),
    Compact: MODULE_PROPERTIES,
    CompactAs: MODULE_PROPERTIES,
    ViaRuntime: ("idempotence",),
    Fault: ("idempotence",),
    CrashRuntime: ("idempotence",),
    CutNetwork: ("idempotence",),
    HealNetwork: ("idempotence",),
    Settle: ("idempotence",),
    Hold: ("idempotence",),
    Preempt: ("idempotence",),
    ClearDatabase: ("idempotence",),
    CrashSpacetimeDB: MODULE_PROPERTIES,
    Rebuild: ("rebuild",),
    Resume: ("stale_cursor",),
    Policy: ("token_parity",),
    RetiredAtStart: ("token_parity",),
    Token: ("token_parity",),
    TokenBody: ("token_parity",),
}

BY_OP: Final[Mapping[str, type[Step]]] = {kind.op: kind for kind in PROPERTIES_USING}


def _json_type(hint: Any) -> type:
    """The runtime type a field's JSON value must have: str, int, bool, Mapping (a JSON
    object) or a StrEnum (one of its values)."""
    origin = getattr(hint, "__origin__", hint)
    if not isinstance(origin, type):
        raise TypeError(f"a step field of type {hint!r} has no JSON form")
    return Mapping if issubclass(origin, Mapping) else origin


# Each step class's fields in order, with the type its JSON value must have.
_FIELDS: Final[Mapping[type[Step], tuple[tuple[str, type], ...]]] = {
    kind: tuple((f.name, _json_type(get_type_hints(kind)[f.name]))
                for f in dataclasses.fields(kind))
    for kind in PROPERTIES_USING
}
_TYPE_NAMES: Final[Mapping[type, str]] = {str: "str", int: "int", bool: "bool",
                                          Mapping: "dict"}


def _type_name(kind: type) -> str:
    if issubclass(kind, StrEnum):
        return "one of " + ", ".join(repr(member.value) for member in kind)
    return _TYPE_NAMES[kind]


def _fits(value: object, kind: type) -> bool:
    """Whether a JSON value is of a field's type (a bool is no int, as before)."""
    if issubclass(kind, StrEnum):
        return isinstance(value, str) and value in {member.value for member in kind}
    if kind is Mapping:
        return isinstance(value, dict)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _from_json_value(value: Any, kind: type) -> Any:
    if issubclass(kind, StrEnum):
        return kind(value)
    return dict(value) if isinstance(value, dict) else value


def _to_json_value(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    return dict(value) if isinstance(value, Mapping) else value


def _where(number: int | None, op: str | None = None) -> str:
    step = "step" if number is None else f"step {number}"
    return f"{step} ({op})" if op else step


def step_problems(data: object, number: int | None = None) -> list[str]:
    """Everything wrong with one step's JSON form (empty when it is well formed)."""
    if not isinstance(data, dict):
        return [f"{_where(number)}: must be a JSON object with an op, got {data!r}"]
    op = data.get("op")
    kind = BY_OP.get(op) if isinstance(op, str) else None
    if kind is None:
        return [f"{_where(number)}: unknown op {op!r} (the ops: {', '.join(sorted(BY_OP))})"]
    where = _where(number, kind.op)
    fields = _FIELDS[kind]
    found: list[str] = []
    for name, expected in fields:
        if name not in data:
            found.append(f"{where}: field {name!r} is missing (it must be "
                         f"{_type_name(expected)})")
        elif not _fits(data[name], expected):
            found.append(f"{where}: field {name!r} must be {_type_name(expected)}, "
                         f"got {data[name]!r}")
    known = {name for name, _ in fields}
    for name in sorted(set(data) - known - {"op"}, key=str):
        allowed = ", ".join(repr(n) for n, _ in fields) or "none"
        found.append(f"{where}: unknown field {name!r} (its fields: {allowed})")
    return found


def step_from_json(data: object, number: int | None = None) -> Step:
    """The step a JSON object describes; MalformedScenario names the step (by `number`, its
    index in the scenario) and every field that is missing, unknown or of the wrong type."""
    found = step_problems(data, number)
    if found:
        raise MalformedScenario("; ".join(found), problems=found)
    assert isinstance(data, dict)
    kind = BY_OP[data["op"]]
    return kind(**{name: _from_json_value(data[name], expected)
                   for name, expected in _FIELDS[kind]})


def step_fields(step: Step) -> dict[str, Any]:
    """A step's fields as JSON values, without its op (what a history entry records)."""
    return {f.name: _to_json_value(getattr(step, f.name)) for f in dataclasses.fields(step)}


def step_to_json(step: Step) -> dict[str, Any]:
    """The JSON form of a step: `{"op": ..., <its fields>}`; `step_from_json` reads it back."""
    return {"op": step.op, **step_fields(step)}


def usage_problem(property_name: str, step: Step, number: int | None = None) -> str | None:
    """Why a scenario of `property_name` may not use `step` (None when it may)."""
    if property_name in PROPERTIES_USING[type(step)]:
        return None
    return f"{_where(number, step.op)}: op {step.op!r} is not used by {property_name}"
