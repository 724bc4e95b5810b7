"""The clauses of CONTRACT.md's rules: the unit of coverage.

A rule such as M1 or R3 has several branches, and a run that exercised one of them says
nothing of the others: R3 judged only on `cursor_ahead_of_head` never saw a retention
floor. Each clause here is one branch a scenario can reach, with what the target needs
for it (else it is not applicable) and whether a relative check judges it (then it
applies to every target, whatever its contract profile; otherwise only where the target
opts into the rule's family). `harness.checks.coverage` finds the clauses a scenario
exercised; the run summary shows every clause as exercised, violated or not applicable.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from harness.checks import input_classes
from harness.targets.capabilities import Capability

APPLY = frozenset({Capability.MODULE_APPLY})
COMPACT = frozenset({Capability.MODULE_APPLY, Capability.MODULE_COMPACT})
ACK = frozenset({Capability.MODULE_APPLY, Capability.MODULE_ACK})
CRASH = frozenset({Capability.MODULE_APPLY, Capability.SERVER_CRASH})
CLIENT = frozenset({Capability.MODULE_APPLY, Capability.CLIENT})
PUBLISHER = frozenset({Capability.PUBLISHER})
CONTROL = frozenset({Capability.CONTROL})
V1 = frozenset({Capability.CONTROL, Capability.CONTROL_API_V1})
# An alias to hold to parity: one the service serves, or one a policy step can restore.
PARITY = frozenset({Capability.CONTROL_ALIAS_SERVED, Capability.CONTROL_POLICY_TOGGLE})
# A retirement to judge: declared by the service, made by its start-up configuration, or
# switched at run time by the scenario's policy step.
RETIREMENT = frozenset({Capability.CONTROL_RETIRED_DECLARED, Capability.CONTROL_RETIRED_AT_START,
                        Capability.CONTROL_POLICY_TOGGLE})


def _with(base: frozenset[Capability], *more: Capability) -> frozenset[Capability]:
    return base | frozenset(more)


@dataclass(frozen=True)
class Clause:
    """`needs`: every one of these capabilities; `needs_any`: at least one of these (when
    given); `tables`: the contract tables and columns (`stream_head.oldest_seq`) the
    clause's comparison reads, which a module may not have."""

    id: str
    title: str
    needs: frozenset[Capability]
    relative: bool = False
    tables: tuple[str, ...] = ()
    needs_any: frozenset[Capability] = frozenset()
    # a class of a field's values (harness.checks.input_classes), reached when it is sent
    input_class: bool = False

    @property
    def rule(self) -> str:
        return self.id.split(".", 1)[0]

    def lacks(self, has: Collection[Capability], absent: Collection[str]) -> list[str]:
        """What a target with capabilities `has`, lacking the tables and columns `absent`
        (as config keys: `module.tables.run_summary`), would need for this clause."""
        missing = sorted(c.value for c in self.needs - set(has))
        if self.needs_any and not self.needs_any & set(has):
            missing.append("one of " + ", ".join(sorted(c.value for c in self.needs_any)))
        for part in self.tables:
            key = f"module.tables.{part}"
            table = f"module.tables.{part.split('.', 1)[0]}"
            if key in absent or table in absent:
                missing.append(table if table in absent else key)
        return missing


_CLAUSES = (
    Clause("E2.assigned", "the runtime assigns each topic's next seq", PUBLISHER),
    Clause("E3.fixed", "a journaled event keeps every field", PUBLISHER),
    Clause("E4.canonical", "the journaled payload is canonical JSON", PUBLISHER),
    Clause("E5.form", "the journaled hash is sha256 of the canonical payload", PUBLISHER),
    Clause("E5.refused", "a wrong hash is refused", APPLY),
    Clause("E6.key", "the journaled key is the event's identity", PUBLISHER),
    Clause("E6.duplicate", "a redelivery succeeds and changes nothing", APPLY, True),
    Clause("E6.conflict", "a valid event with a stored key and other content is refused",
           APPLY, True),
    Clause("S1.mapping", "the journaled stream id is the topic's", PUBLISHER),
    Clause("M1.unauthorized", "an apply by another caller than the publisher is refused",
           APPLY),
    Clause("M1.sequence_conflict", "a seq past head+1 is refused with the expected seq",
           APPLY),
    Clause("M1.compacted", "a seq below the retention floor succeeds, no change", COMPACT,
           True),
    Clause("M1.insert", "the next seq is stored and folded", APPLY, True, ("sync_event",)),
    Clause("M2.refused", "a refused call changes nothing", APPLY, True),
    Clause("M2.crash", "a server crash loses no committed call", CRASH),
    Clause("M3.unique", "one row per (stream, seq), no gap", APPLY, True,
           ("sync_event", "stream_head")),
    Clause("M4.compact", "compaction drops the tail, keeps projections", COMPACT,
           tables=("sync_event", "stream_head.oldest_seq")),
    Clause("M4.beyond_head", "compaction past head is refused", COMPACT),
    Clause("M4.unauthorized", "a compaction by another caller than the publisher is refused",
           COMPACT),
    Clause("M5.interleavings", "replays in different interleavings agree", APPLY, True),
    Clause("M6.forward", "a checkpoint moves forward", ACK),
    Clause("M6.regression", "a checkpoint never moves back", ACK),
    Clause("M6.ahead", "a checkpoint never passes head", ACK),
    Clause("M6.per_caller", "a second caller's ack on the same stream leaves the first's",
           ACK, tables=("stream_checkpoint",)),
    Clause("P1.new_row", "a run's first event creates its row", APPLY, tables=("run_summary",)),
    Clause("P1.created_again", "run.created on an existing run is ignored",
           APPLY, tables=("run_summary",)),
    Clause("P1.step", "run.step counts steps and tokens", APPLY, tables=("run_summary",)),
    Clause("P1.completed", "run.completed sets the outcome", APPLY, tables=("run_summary",)),
    Clause("P1.cancelled", "run.cancelled ends the run", APPLY, tables=("run_summary",)),
    Clause("P1.after_end", "events after the end are only counted as ignored",
           APPLY, tables=("run_summary",)),
    Clause("P2.online", "an offline worker coming online opens a session",
           APPLY, tables=("worker_status",)),
    Clause("P2.online_again", "an online worker reporting again (another region)",
           APPLY, tables=("worker_status",)),
    Clause("P2.heartbeat", "a heartbeat while online is counted", APPLY, tables=("worker_status",)),
    Clause("P2.heartbeat_offline", "a heartbeat while offline is ignored",
           APPLY, tables=("worker_status",)),
    Clause("P2.offline", "worker.offline", APPLY, tables=("worker_status",)),
    Clause("P3.note", "a note on another stream folds into nothing", APPLY),
    Clause("P4.invalid_payload", "a payload missing a field or of a wrong type is refused",
           APPLY),
    Clause("B1.delivered", "every journaled event reaches the module", PUBLISHER, True),
    Clause("B2.order", "a stream's events are sent in seq order", PUBLISHER, True),
    Clause("B3.transient", "transient failures are retried, never dropped", PUBLISHER, True),
    Clause("B3.idempotency_conflict", "an idempotency_conflict dead-letters its stream",
           PUBLISHER, True),
    Clause("B3.sequence_conflict", "a sequence_conflict dead-letters its stream", PUBLISHER,
           True),
    Clause("B4.isolation", "a held stream does not delay the others", PUBLISHER, True),
    Clause("B5.crash", "delivery resumes after a runtime crash",
           _with(PUBLISHER, Capability.PUBLISHER_CRASH), True),
    Clause("B6.decoupled", "journaling succeeds while SpacetimeDB is unreachable",
           _with(PUBLISHER, Capability.NETWORK_CUT), True),
    Clause("R1.resume", "a cursor inside the window resumes", CLIENT),
    Clause("R2.gap", "the gap arrives exactly once, in order", CLIENT, True),
    Clause("R3.retention_floor_breach", "a cursor below the floor is stale",
           CLIENT | COMPACT),  # without compaction there is no floor to fall below
    Clause("R3.replay_budget_exceeded", "a gap over the budget is stale", CLIENT),
    Clause("R3.cursor_ahead_of_head", "a cursor past head is stale", CLIENT),
    Clause("R3.empty_stream", "a stream with no events", CLIENT),
    Clause("R4.recovery", "a stale client recovers by snapshot to the module's view", CLIENT,
           True),
    Clause("T1.api", "the /api routes", CONTROL),
    Clause("T1.api_v1", "the /api/v1 routes", V1),
    Clause("T1.client_build", "/api/v1 without the client build headers", V1),
    Clause("T2.session", "a session access token", CONTROL),
    Clause("T2.pat", "a personal access token", _with(CONTROL, Capability.CONTROL_PAT)),
    Clause("T2.authorization", "no, or a malformed, bearer header", CONTROL),
    Clause("T2.body", "a body that is not a JSON object", CONTROL),
    Clause("T3.scopes", "requested scopes", CONTROL),
    Clause("T3.topics", "requested topics and streams", CONTROL),
    Clause("T3.ttl", "ttl_seconds bounds", CONTROL),
    Clause("T3.revoked", "a revoked session or token",
           _with(CONTROL, Capability.CONTROL_REVOKE)),
    Clause("T3.device", "a device-bound session", _with(CONTROL, Capability.CONTROL_DEVICE)),
    Clause("T3.org_policy", "an org policy that denies",
           _with(CONTROL, Capability.CONTROL_ORG_POLICY)),
    Clause("T3.unavailable", "minting unavailable",
           _with(CONTROL, Capability.CONTROL_MINTING_TOGGLE)),
    Clause("T4.response", "a minted token and its fields", CONTROL),
    Clause("T5.api", "the /api alias answers as its canonical route", CONTROL, True,
           needs_any=PARITY),
    Clause("T5.api_v1", "the /api/v1 alias answers as its canonical route", V1, True,
           needs_any=PARITY),
    Clause("T6.api", "a retired /api alias answers 404", CONTROL, needs_any=RETIREMENT),
    Clause("T6.api_v1", "a retired /api/v1 alias answers 404", V1, needs_any=RETIREMENT),
    Clause("G1.golden", "a curated scenario equals its approved golden", APPLY),
    Clause("G2.rebuild", "drop and replay gives the same state", APPLY, True),
)

_INPUT_CLASSES = tuple(Clause(class_id, title, needs, input_class=True)
                       for class_id, title, needs in input_classes.declared())

CLAUSES: Mapping[str, Clause] = MappingProxyType(
    {c.id: c for c in (*_CLAUSES, *_INPUT_CLASSES)})


def clauses_of_rule(rule_id: str) -> tuple[Clause, ...]:
    return tuple(c for c in _CLAUSES if c.rule == rule_id)
