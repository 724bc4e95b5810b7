"""The catalogue of deliberately broken implementations (mutants) and how to select each.

A mutant is a target like any other: the same suite and the same checkers run against it,
with no special case anywhere. Module mutants are Cargo features of the reference crate
(projectors/reference/Cargo.toml); control mutants are alias variants of the stub control
service (stub/control/mutants.py); client mutants are variants of the reference resuming
client (stub/client/mutants.py), which the stale-cursor property judges.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import HarnessError


@dataclass(frozen=True)
class Mutant:
    name: str
    layer: str  # module | control | publisher | client
    defect: str
    rules: tuple[str, ...]

    @property
    def module_feature(self) -> str | None:
        return f"mutant-{self.name}" if self.layer == "module" else None

    @property
    def control_mutant(self) -> str | None:
        return self.name if self.layer == "control" else None

    @property
    def runtime_mutant(self) -> str | None:
        return self.name if self.layer == "publisher" else None

    @property
    def client_mutant(self) -> str | None:
        return self.name if self.layer == "client" else None


MUTANTS: tuple[Mutant, ...] = (
    Mutant("fold-counts-duplicate", "module", "a redelivered duplicate is folded again",
           ("M1", "E6", "B1")),
    Mutant("skip-hash-check", "module", "the payload hash is never recomputed", ("E5", "M1")),
    Mutant("timestamp-projection", "module", "a projection reads the reducer's clock",
           ("M5", "G2")),
    Mutant("gap-allowed", "module", "the sequence check lets a gap through", ("M1", "M3")),
    Mutant("compact-touches-projections", "module", "compaction deletes projection rows",
           ("M4",)),
    Mutant("checkpoint-backwards", "module", "a checkpoint can move backwards", ("M6",)),
    Mutant("conflict-overwrites", "module", "a conflicting event overwrites the stored one",
           ("E6",)),
    Mutant("stale-budget-off-by-one", "module", "the replay budget allows one event too many",
           ("R3",)),
    Mutant("permanent-retried-forever", "publisher",
           "a permanent reducer error is retried forever", ("B3",)),
    Mutant("dropped-after-retries", "publisher", "an event is dropped after its retries",
           ("B1",)),
    Mutant("reordered-stream", "publisher", "two events of a stream are sent reordered",
           ("B2",)),
    Mutant("dead-letter-pauses-all", "publisher", "one stream's dead letter pauses all streams",
           ("B4",)),
    Mutant("alias-ignores-ttl", "control", "the alias ignores ttl_seconds", ("T5",)),
    Mutant("alias-other-error-code", "control", "the alias answers another error code",
           ("T5",)),
    Mutant("alias-drops-claim", "control", "a claim is missing from the alias's JWT", ("T5",)),
    Mutant("skip-ahead-on-stale", "client",
           "on stale_cursor the client jumps to the head without loading a snapshot", ("R4",)),
    Mutant("gap-edge-off-by-one", "client",
           "the client subscribes to seq > cursor + 1, missing the gap's first event", ("R2",)),
    Mutant("resume-ahead-of-head", "client",
           "a cursor ahead of the head is subscribed from instead of recovered", ("R3", "R4")),
)


def mutant(name: str) -> Mutant:
    for candidate in MUTANTS:
        if candidate.name == name:
            return candidate
    raise HarnessError(f"unknown mutant {name!r}",
                       f"known mutants: {', '.join(m.name for m in MUTANTS)}")
