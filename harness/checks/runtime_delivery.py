"""Publisher delivery (B1-B5, E2): through faults, crashes and cuts, the module ends up
holding exactly what the publisher could deliver of the journal.

Judged from the history of a `ViaRuntime` scenario: each append got the seq E2 gives
it; each journaled event carries the stream id (S1), key (E6), canonical payload (E4) and
hash (E5) that the harness computes itself from the event's primary fields; every stream's
delivered head reached its journal head, unless the module refused one of its events for
good, which is then dead-lettered with that refusal's reason and holds the stream (B3):
an idempotency_conflict where the harness applied a forged event first (`Preempt`), a
sequence_conflict where the module's database was cleared under the publisher
(`ClearDatabase`); the publisher went quiescent (B5); and the module's snapshot equals the
oracle's projection of what was delivered, however often and in whatever order events
were re-sent (B1, B2).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.checks.expectations import PUBLISHER, preempting
from harness.checks.outcomes import snapshot_violations, streams_of_topic
from harness.checks.verdict import Violation
from harness.contract.events import Event as JournaledEvent
from harness.contract.snapshot import Snapshot
from harness.history import EntryType, History
from harness.model.module import ReferenceModel
from harness.scenario.model import Scenario
from harness.scenario.steps import ClearDatabase, Event, Preempt

DELIVERY_TABLES = frozenset({"sync_event", "stream_head"})
PROJECTION_TABLES = frozenset({"run_summary", "worker_status"})


def _seq_violations(scenario: Scenario, history: History) -> Iterator[Violation]:
    expected = iter(scenario.journal())
    for entry in history.completions():
        if entry.op != "append":
            continue
        event = next(expected)
        if entry.value.get("seq") != event.seq:
            # a departure: whatever the journal, the module and the publisher's report then
            # show of this stream follows from it
            yield Violation("E2", f"{event.topic}: the runtime assigned seq "
                            f"{entry.value.get('seq')}, expected {event.seq}", entry.index,
                            streams=frozenset({event.stream_id}), departure=True)


# The forms a runtime derives from an event's primary fields, and the rule each one follows.
DERIVED_FORMS = (("stream_id", "S1"), ("idempotency_key", "E6"), ("payload_json", "E4"),
                 ("payload_hash", "E5"))
PRIMARY_FIELDS = ("kind", "published_at_ms")


def journal_violations(scenario: Scenario,
                       journaled: Sequence[Mapping[str, Any]]) -> Iterator[Violation]:
    """Each event as the runtime journaled it (`GET /v1/journal`) against the contract's
    own computation of the same event: a runtime that agreed with itself on a wrong
    canonical form, hash, key or stream id is caught here, whether the module caught it."""
    expected: dict[tuple[object, object], JournaledEvent] = {
        (event.topic, event.seq): event for event in scenario.journal()}
    for item in journaled:
        event = expected.get((item.get("topic"), item.get("seq")))
        if event is None:
            yield Violation("E2", f"the journal holds {item.get('topic')!r} seq "
                            f"{item.get('seq')!r}, which no append of the scenario made",
                            streams=streams_of_topic(item.get("topic")))
            continue
        for name in PRIMARY_FIELDS:
            if item.get(name) != getattr(event, name):
                yield Violation("E3", f"{event.idempotency_key}: journaled {name} "
                                f"{item.get(name)!r}, appended {getattr(event, name)!r}",
                                streams=frozenset({event.stream_id}))
        for name, rule in DERIVED_FORMS:
            if item.get(name) != getattr(event, name):
                yield Violation(rule, f"{event.idempotency_key}: the runtime's {name} is "
                                f"{item.get(name)!r}, the contract's {getattr(event, name)!r}",
                                streams=frozenset({event.stream_id}))


@dataclass(frozen=True)
class Held:
    """A stream the publisher must hold: the seq the module refuses, and the refusal."""

    seq: int
    reason: str

    @property
    def error(self) -> str:
        """The refusal's name (`sequence_conflict`), which B3 asks the dead letter to give."""
        return error_name(self.reason)


def error_name(text: str) -> str:
    """The contract's error name: the first word of its text."""
    return text.split(" ", 1)[0]


def _second_writer_steps(history: History) -> dict[int, EntryType]:
    """How each step the harness performed on the module itself completed, by step number."""
    return {entry.value["step"]: entry.type for entry in history.completions()
            if entry.process == "harness" and isinstance(entry.value, dict)
            and "step" in entry.value}


def simulate(scenario: Scenario, history: History) -> tuple[Snapshot, dict[str, Held]]:
    """The module's expected state and, per stream, the refusal the publisher must meet.

    Steps are replayed in order against the oracle: an appended event is delivered unless
    its stream is already held; the first delivery the module refuses holds the stream
    (a permanent error, B3). The runner settles before the harness writes to the module
    itself, so every earlier delivery has happened by then: a `Preempt` applies its forged
    event at its place, if the history says the module took it (it refuses one whose
    seq - 1 the publisher could not deliver yet), and a `ClearDatabase` starts the oracle
    afresh, the publisher's progress staying where it was."""
    model = ReferenceModel(PUBLISHER)
    held: dict[str, Held] = {}
    done = _second_writer_steps(history)
    journal = iter(scenario.journal())
    for number, step in enumerate(scenario.steps):
        match step:
            case Preempt() if done.get(number) is EntryType.OK:
                model.apply_event(PUBLISHER, preempting(scenario, step).reducer_args())
            case ClearDatabase():
                model = ReferenceModel(PUBLISHER)
            case Event():
                event = next(journal)
                if event.stream_id in held:
                    continue
                refused = model.apply_event(PUBLISHER, event.reducer_args()).error
                if refused is not None:
                    held[event.stream_id] = Held(event.seq, refused)
    return model.snapshot(), held


def _unsettled(scenario: Scenario, history: History) -> Iterator[Violation]:
    """A database cleared while the publisher still had events in flight (B5)."""
    for number, outcome in sorted(_second_writer_steps(history).items()):
        if isinstance(scenario.steps[number], ClearDatabase) and outcome is EntryType.INFO:
            yield Violation("B5", f"step {number}: the publisher had not delivered what it "
                            "could before the database was cleared", relative=True)


PERMANENT_ERRORS = frozenset({"sequence_conflict", "idempotency_conflict", "invalid_event",
                              "unauthorized"})
SEQUENCE_CONFLICT = re.compile(r"^sequence_conflict expected_next_seq=(\d+) actual_seq=(\d+)")


def _first_departures(scenario: Scenario, runtime: Mapping[str, Any],
                      reasons: Mapping[str, Any],
                      last_errors: Mapping[str, str]) -> Iterator[Violation]:
    """The publisher's own slip, read off the module's answer and the runtime's report
    alone (relative), before what it then did to delivery is judged: a stream held by a
    `sequence_conflict` the publisher provoked (it sent a seq before the one the module
    expects: sent early, B2, or recorded as delivered though the module never took it,
    B1), or a permanent refusal it keeps retrying (B3). A database cleared under it
    provokes the same answer without any slip, so such scenarios are not judged here."""
    cleared = bool(scenario.count(ClearDatabase))
    for stream in runtime.get("streams", []):
        stream_id = stream["stream_id"]
        departed = frozenset({stream_id})
        reason = str((reasons.get(stream_id) or stream.get("dead_letter") or {}).get("reason", ""))
        conflict = SEQUENCE_CONFLICT.match(reason) if stream.get("dead_letter") else None
        if conflict and not cleared and int(conflict[1]) < int(conflict[2]):
            expected, sent = int(conflict[1]), int(conflict[2])
            if stream["delivered_head"] >= expected:
                yield Violation("B1", f"{stream_id}: seq {expected} is recorded as delivered "
                                f"(head {stream['delivered_head']}), but the module never took "
                                f"it: it refused seq {sent} expecting {expected}",
                                relative=True, streams=departed, departure=True,
                                signature="an event recorded as delivered never reached the "
                                "module")
            else:
                yield Violation("B2", f"{stream_id}: seq {sent} was sent before seq {expected} "
                                f"was acknowledged (the module refused it: {reason})",
                                relative=True, streams=departed, departure=True,
                                signature="a seq sent before the one before it was "
                                "acknowledged")
        last_error = last_errors.get(stream_id, "")
        if (not stream.get("dead_letter") and error_name(last_error) in PERMANENT_ERRORS
                and stream["delivered_head"] < stream["journal_head"]):
            yield Violation("B3", f"{stream_id}: the module refused seq "
                            f"{stream['delivered_head'] + 1} for good ({last_error}); it is "
                            "retried instead of dead-lettered", relative=True,
                            streams=departed, departure=True,
                            signature="a permanent refusal retried, not dead-lettered")


def _stream_violations(held: Mapping[str, Held], runtime: Mapping[str, Any],
                       reasons: Mapping[str, Any]) -> Iterator[Violation]:
    """The publisher's behaviour (B1-B5) judged twice: against its own report and the
    module's answers (relative: a dead letter holds its stream, every other stream is
    delivered to its head), and against the reference's refusals (absolute: which seq of
    which stream the contract refuses, and for what)."""
    streams = runtime.get("streams", [])
    lettered = any(stream.get("dead_letter") for stream in streams)
    for stream in streams:
        stream_id, letter = stream["stream_id"], stream.get("dead_letter")
        if letter and stream["delivered_head"] == letter["seq"]:
            # the refused event itself counted as delivered: progress that is no delivery
            yield Violation("B1", f"{stream_id}: seq {letter['seq']} is recorded delivered, "
                            f"yet the module refused it ({letter.get('reason', '')})",
                            relative=True, streams=frozenset({stream_id}))
        elif letter and stream["delivered_head"] > letter["seq"]:
            yield Violation("B3", f"{stream_id}: delivered past its dead letter (head "
                            f"{stream['delivered_head']}, dead-lettered at {letter['seq']})",
                            relative=True, streams=frozenset({stream_id}))
        elif not letter and stream["delivered_head"] < stream["journal_head"]:
            yield Violation("B4" if lettered else "B1",
                            f"{stream_id}: delivered up to {stream['delivered_head']} of "
                            f"{stream['journal_head']}"
                            + (" while another stream was held" if lettered else ""),
                            relative=True, streams=frozenset({stream_id}))
        yield from _against_the_reference(stream, held.get(stream_id), reasons)
    if not runtime.get("quiescent", True):
        yield Violation("B5", "the publisher did not finish delivering within the time allowed",
                        relative=True)


def _against_the_reference(stream: Mapping[str, Any], stop: Held | None,
                           reasons: Mapping[str, Any]) -> Iterator[Violation]:
    stream_id, letter = stream["stream_id"], stream.get("dead_letter")
    if stop is None:
        if letter:
            yield Violation("B3", f"{stream_id}: seq {letter['seq']} was dead-lettered "
                            f"though the contract's module takes it: {letter['reason']}",
                            streams=frozenset({stream_id}))
        return
    # The reason in the contract's words where the runner recorded it (a module with its
    # own error texts), else as the runtime reported it.
    reason = (reasons.get(stream_id) or letter or {}).get("reason", "")
    if not letter or letter["seq"] != stop.seq or error_name(reason) != stop.error:
        yield Violation("B3", f"{stream_id}: seq {stop.seq} met a permanent {stop.reason!r} "
                        f"and must be dead-lettered with that reason; the runtime reports "
                        f"{letter}" + (f", and delivered up to {stream['delivered_head']}"
                                       if stream["delivered_head"] >= stop.seq else ""),
                        streams=frozenset({stream_id}))


def _down(history: History) -> Violation | None:
    """A runtime that would not start again after a restart (B5), with its last words: all
    it delivered before is in the module, nothing after can be judged, so this is the one
    violation of the scenario (the module lacking the rest is its consequence)."""
    last_words = history.snapshots.get("runtime", {}).get("down")
    if last_words is None:
        return None
    crashes = [entry.value.get("step") for entry in history.entries
               if entry.op == "crash_runtime" and entry.type is EntryType.INVOKE]
    after = f" after the restart at step {crashes[-1]}" if crashes else ""
    return Violation("B5", f"the publisher did not come back up{after}: {last_words}",
                     relative=True)


def violations(scenario: Scenario, history: History) -> list[Violation]:
    found = list(_seq_violations(scenario, history))
    down = _down(history)
    if down is not None:
        return [*found, down]
    found += journal_violations(scenario, history.snapshots.get("journal", []))
    found += _unsettled(scenario, history)
    expected, held = simulate(scenario, history)
    found += _first_departures(scenario, history.snapshots.get("runtime", {}),
                               history.snapshots.get("dead_letters", {}),
                               history.snapshots.get("last_errors", {}))
    found += _stream_violations(held, history.snapshots.get("runtime", {}),
                                history.snapshots.get("dead_letters", {}))
    if "final" in history.snapshots:
        final = history.snapshots["final"]
        # Attributed by layer: events missing from the module's own record of what it was
        # given are the publisher's (B1); wrong projection rows over a complete record are
        # the module's folds (P1, P2), whoever delivered the events.
        for tables, rule in ((DELIVERY_TABLES, "B1"), (PROJECTION_TABLES, None)):
            want = {t: rows for t, rows in expected.items() if t in tables}
            seen = {t: rows for t, rows in final.items() if t in tables}
            found += snapshot_violations("module vs the projection of the journal", want, seen,
                                         rule=rule)
    return found
