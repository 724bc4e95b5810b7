"""Publisher delivery (B1-B5, E2): through faults, crashes and cuts, the module ends up
holding exactly the projection of the whole journal.

Judged from the history of a `ViaRuntime` scenario: each append got the seq E2 gives
it; each journaled event carries the stream id (S1), key (E6), canonical payload (E4) and
hash (E5) that the harness computes itself from the event's primary fields; every stream's
delivered head reached its journal head with no dead letter (a valid journal has nothing
permanent to refuse, B3); the publisher went quiet (B5); and the module's snapshot equals
the oracle's projection of the journal, however often and in whatever order events were
re-sent (B1, B2).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from harness.checks.expectations import PUBLISHER, preempting
from harness.checks.outcomes import snapshot_violations
from harness.checks.verdict import Violation
from harness.contract.events import Event as JournaledEvent
from harness.contract.snapshot import Snapshot
from harness.history import History
from harness.model.module import ReferenceModel
from harness.scenario.model import Scenario
from harness.scenario.steps import Event, Preempt

DELIVERY_TABLES = frozenset({"sync_event", "stream_head"})
PROJECTION_TABLES = frozenset({"run_summary", "worker_status"})


def _seq_violations(scenario: Scenario, history: History) -> Iterator[Violation]:
    expected = iter(scenario.journal())
    for entry in history.completions():
        if entry.op != "append":
            continue
        event = next(expected)
        if entry.value.get("seq") != event.seq:
            yield Violation("E2", f"{event.topic}: the runtime assigned seq "
                            f"{entry.value.get('seq')}, expected {event.seq}", entry.index)


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
                            f"{item.get('seq')!r}, which no append of the scenario made")
            continue
        for name in PRIMARY_FIELDS:
            if item.get(name) != getattr(event, name):
                yield Violation("E3", f"{event.idempotency_key}: journaled {name} "
                                f"{item.get(name)!r}, appended {getattr(event, name)!r}")
        for name, rule in DERIVED_FORMS:
            if item.get(name) != getattr(event, name):
                yield Violation(rule, f"{event.idempotency_key}: the runtime's {name} is "
                                f"{item.get(name)!r}, the contract's {getattr(event, name)!r}")


def simulate(scenario: Scenario) -> tuple[Snapshot, dict[str, int]]:
    """The module's expected state and, per stream, the seq the publisher must dead-letter.

    Steps are replayed in order against the oracle: an appended event is delivered unless
    its stream is already held; the first delivery the module refuses holds the stream
    (a permanent error, B3). A `Preempt` is applied by the harness itself at its place;
    the runner settles first, so every earlier delivery has happened by then."""
    model = ReferenceModel(PUBLISHER)
    held: dict[str, int] = {}
    journal = iter(scenario.journal())
    for step in scenario.steps:
        if isinstance(step, Preempt):
            model.apply_event(PUBLISHER, preempting(scenario, step).reducer_args())
        elif isinstance(step, Event):
            event = next(journal)
            if event.stream_id in held:
                continue
            if model.apply_event(PUBLISHER, event.reducer_args()).error is not None:
                held[event.stream_id] = event.seq
    return model.snapshot(), held


def _stream_violations(held: Mapping[str, int],
                       runtime: Mapping[str, Any]) -> Iterator[Violation]:
    """The publisher's own behaviour (B1-B5): relative, whatever the module's folds."""
    for found in _publisher_violations(held, runtime):
        yield Violation(found.rule, found.message, relative=True)


def _publisher_violations(held: Mapping[str, int],
                          runtime: Mapping[str, Any]) -> Iterator[Violation]:
    for stream in runtime.get("streams", []):
        letter, stop = stream.get("dead_letter"), held.get(stream["stream_id"])
        if stop is not None:
            if not letter or letter["seq"] != stop or not str(letter["reason"]).startswith(
                    "idempotency_conflict"):
                yield Violation("B3", f"{stream['stream_id']}: seq {stop} met a permanent "
                                f"idempotency_conflict and must be dead-lettered with that "
                                f"reason; the runtime reports {letter}")
            if stream["delivered_head"] > stop - 1:
                yield Violation("B3", f"{stream['stream_id']}: delivered past the dead letter "
                                f"(head {stream['delivered_head']}, conflict at {stop})")
        elif letter:
            yield Violation("B3", f"{stream['stream_id']}: seq {letter['seq']} of a valid "
                            f"journal was dead-lettered: {letter['reason']}")
        elif stream["delivered_head"] < stream["journal_head"]:
            rule = "B4" if held else "B1"
            yield Violation(rule, f"{stream['stream_id']}: delivered up to "
                            f"{stream['delivered_head']} of {stream['journal_head']}"
                            + (" while another stream was held" if held else ""))
    if not runtime.get("quiescent", True):
        yield Violation("B5", "the publisher did not finish delivering within the time allowed")


def violations(scenario: Scenario, history: History) -> list[Violation]:
    found = list(_seq_violations(scenario, history))
    found += journal_violations(scenario, history.snapshots.get("journal", []))
    expected, held = simulate(scenario)
    found += _stream_violations(held, history.snapshots.get("runtime", {}))
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
