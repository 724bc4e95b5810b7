"""Stale-cursor handling (R1-R4): every resume gets exactly its gap, or exactly stale_cursor.

For each client and stream, the client recorded what it did after its last resume: the
answer (from the module, or computed by the client itself), any snapshot it loaded, and
each seq it handed to the application. Two judgements, kept apart (CONTRACT.md §9):
- absolute: the answer must be the oracle's, to the letter (R3);
- relative, whatever the answer was: a resumable cursor c must deliver exactly (c, head],
  once each, in order (R2); a stale cursor must be followed by a snapshot before any
  delivery, then exactly (snapshot head, head]; replaying from the refused cursor or
  skipping ahead without a snapshot breaks R4, and so does a final cursor that is not the
  module's head. Judging these against the target's own answer keeps a wrong stale
  decision (R3) from being reported again as a delivery bug.
- relative, once the seqs are right: the rows the client holds must be the module's own
  rows of the stream above the client's base, column for column (R2 after a plain
  resume, R4 after a recovery by snapshot): right seqs with the wrong contents are a
  view that does not match the module. Judged only where the seqs passed, so a delivery
  bug is reported once, and once per client and stream, however many rows it spoils.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from harness.checks import compaction
from harness.checks.expectations import expect
from harness.checks.idempotence import redelivery_violations
from harness.checks.outcomes import outcome_violations, snapshot_violations
from harness.checks.verdict import Verdict, Violation, in_history_order, verdict
from harness.contract.snapshot import VOLATILE
from harness.contract.streams import stream_of
from harness.history import History
from harness.model.outcome import Outcome
from harness.scenario.model import Scenario
from harness.scenario.steps import Resume

PROPERTY = "stale_cursor"
RULES = ("R1", "R2", "R3", "R4", "M4")


def _last_resumes(scenario: Scenario) -> dict[tuple[str, str], tuple[int, Resume]]:
    last: dict[tuple[str, str], tuple[int, Resume]] = {}
    for number, step in enumerate(scenario.steps):
        if isinstance(step, Resume):
            last[(step.client, stream_of(step.topic))] = (number, step)
    return last


def _answer(record: Mapping[str, Any], expected: Outcome) -> str | None:
    """What the target answered the client's first resume (the oracle's answer when the
    client recorded none)."""
    for step in record["steps"]:
        if step["kind"] == "Resumed":
            error: str | None = step.get("error")
            return error
    return expected.error


@dataclass(frozen=True)
class _ModuleStream:
    """One stream as the module's final snapshot has it: head, oldest seq, event rows."""

    head: int
    oldest: int
    rows: Mapping[int, Mapping[str, Any]]

    @classmethod
    def of(cls, final: Mapping[str, Any], stream_id: str) -> _ModuleStream:
        heads = [row for row in final.get("stream_head", []) if row["stream_id"] == stream_id]
        return cls(
            head=heads[0]["head_seq"] if heads else 0,
            # a module without compaction may lack the column: it keeps all its rows
            oldest=heads[0].get("oldest_seq", 1) if heads else 1,
            rows={row["seq"]: row for row in final.get("sync_event", [])
                  if row.get("stream_id") == stream_id})


# a held value shown in a finding is cut to this many characters
_SHOWN = 60


def _judge_client(who: str, step: Resume, expected: Outcome, record: Mapping[str, Any],
                  stream: _ModuleStream) -> Iterator[Violation]:
    found = list(_client_violations(who, step, expected, record, stream.head))
    if not found:
        view = _view_violation(who, record, stream)
        found = [view] if view is not None else []
    for violation in found:
        yield replace(violation, relative=True, streams=frozenset({stream_of(step.topic)}))


def _view_violation(who: str, record: Mapping[str, Any],
                    stream: _ModuleStream) -> Violation | None:
    """Whether the rows the client holds are exactly the module's rows in (base, head]:
    none missing, none extra (at or below the base, beyond the head, twice), each column
    the client keeps equal to the module's (volatile ones aside). Rows the module has
    compacted since the client received them cannot be compared and are let be. None when
    the client records no rows (a history from before records held them) or is not
    subscribed at the end (a refusal, judged above)."""
    held: list[Mapping[str, Any]] | None = record.get("rows")
    answers = [s for s in record["steps"] if s["kind"] == "Resumed"]
    if held is None or not answers or answers[-1].get("error") is not None:
        return None
    base = record["base_seq"]
    findings: list[tuple[int, str]] = []
    seen: set[int] = set()
    for row in held:
        seq = row["seq"]
        if seq in seen:
            findings.append((seq, f"seq {seq} is held twice"))
        elif seq <= base:
            findings.append((seq, f"seq {seq} is held though it is at or below its base "
                             f"{base}"))
        elif seq > stream.head:
            findings.append((seq, f"seq {seq} is held beyond the module's head {stream.head}"))
        elif seq in stream.rows:
            differing = _differing(row, stream.rows[seq])
            if differing:
                findings.append((seq, f"seq {seq} differs in {differing}"))
        elif seq >= stream.oldest:
            findings.append((seq, f"seq {seq} is held but the module has no such row"))
        seen.add(seq)
    findings += [(seq, f"seq {seq} is the module's but not held")
                 for seq in stream.rows if base < seq <= stream.head and seq not in seen]
    if not findings:
        return None
    recovered = any(s["kind"] == "SnapshotLoaded" for s in record["steps"])
    first = min(findings)[1]
    more = f" ({len(findings) - 1} more rows disagree)" if len(findings) > 1 else ""
    after = "after recovering by snapshot" if recovered else "after resuming"
    return Violation("R4" if recovered else "R2",
                     f"{who}: {after}, its view is not the module's: {first}{more}",
                     signature="the rows the client holds are not the module's")


def _differing(held: Mapping[str, Any], stored: Mapping[str, Any]) -> str:
    """The columns a held row and the module's row disagree on, each with both values."""
    return "; ".join(
        f"{column} (client {_shown(value)}, module {_shown(stored[column])})"
        for column, value in sorted(held.items())
        if column in stored and stored[column] != VOLATILE and stored[column] != value)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN - 3] + "..."


def _client_violations(who: str, step: Resume, expected: Outcome,
                       record: Mapping[str, Any], head: int) -> Iterator[Violation]:
    cursor = step.cursor
    if record.get("failure"):
        yield Violation("R2", f"{who} resumed at {cursor} and gave up: {record['failure']}")
        return
    steps = record["steps"]
    delivered = [s["seq"] for s in steps if s["kind"] == "Delivered"]
    answer = _answer(record, expected)
    if answer is None and any(s["kind"] == "SnapshotLoaded" for s in steps):
        yield from _recovered_after_reconnect(who, cursor, steps, head, record["cursor"])
        return
    if answer is None:
        want = list(range(cursor + 1, head + 1))
        if delivered != want:
            yield Violation("R2", f"{who} resumed at {cursor}: delivered {delivered}, "
                            f"expected exactly {want} (the gap, then live events)")
        return
    if not answer.startswith("stale_cursor"):
        if delivered:
            yield Violation("R1", f"{who}: resume was refused ({answer}) but the client "
                            f"delivered {delivered}")
        return
    kinds = [s["kind"] for s in steps]
    snapshots = [s for s in steps if s["kind"] == "SnapshotLoaded"]
    if not snapshots or ("Delivered" in kinds and kinds.index("Delivered") <
                         kinds.index("SnapshotLoaded")):
        yield Violation("R4", f"{who}: cursor {cursor} was stale but the client delivered "
                        f"{delivered} without first loading a snapshot")
        return
    if _replayed_refused_cursor(steps, cursor):
        yield Violation("R4", f"{who}: resumed again from the refused cursor {cursor}")
    snapshot_head = snapshots[-1]["head_seq"]
    want = list(range(snapshot_head + 1, head + 1))
    if delivered != want:
        yield Violation("R2", f"{who}: after the snapshot at {snapshot_head} delivered "
                        f"{delivered}, expected {want}")
    if record["cursor"] != head:
        yield Violation("R4", f"{who}: ended at cursor {record['cursor']}, module head {head}")


def _recovered_after_reconnect(who: str, cursor: int, steps: list[dict[str, Any]], head: int,
                               final_cursor: int) -> Iterator[Violation]:
    """A resumable cursor whose connection was lost later (a server restart): the client
    resumed from its own cursor, and where that had gone stale in the meantime (the stream
    outran the budget) it loaded a snapshot (R4). Each stretch of deliveries continues
    exactly where the cursor or the snapshot left off, and the last reaches the head."""
    expected_next, stale, delivered = cursor + 1, False, []
    for step in steps[1:]:
        if step["kind"] == "Resumed":
            stale = (step.get("error") or "").startswith("stale_cursor")
        elif step["kind"] == "SnapshotLoaded":
            if not stale:
                yield Violation("R4", f"{who}: loaded a snapshot at {step['head_seq']} "
                                "though no resume was answered stale_cursor")
                return
            expected_next = step["head_seq"] + 1
        elif step["kind"] == "Delivered":
            delivered.append(step["seq"])
            if step["seq"] != expected_next:
                yield Violation("R2", f"{who} resumed at {cursor}, reconnected and "
                                f"recovered: delivered {delivered}, seq {step['seq']} where "
                                f"{expected_next} was next")
                return
            expected_next += 1
    if expected_next != head + 1 or final_cursor != head:
        yield Violation("R2", f"{who} resumed at {cursor}, reconnected and recovered: ended "
                        f"at cursor {final_cursor} having delivered {delivered}, module head "
                        f"{head}")


def _replayed_refused_cursor(steps: list[dict[str, Any]], cursor: int) -> bool:
    """Whether a later resume reused the refused cursor other than as the head of the
    snapshot just loaded (R4's own instruction, when the snapshot's head is that cursor)."""
    loaded: int | None = None
    for step in steps[1:]:
        if step["kind"] == "SnapshotLoaded":
            loaded = step["head_seq"]
        elif step["kind"] == "Resumed" and step["cursor"] == cursor != loaded:
            return True
    return False


def check(scenario: Scenario, history: History) -> Verdict:
    expected = expect(scenario, history)
    violations = [*in_history_order(outcome_violations(history, expected.outcomes),
                                    compaction.violations(scenario, history)),
                  *redelivery_violations(scenario, history)]
    if "final" in history.snapshots:  # the module's own state must be right as well
        violations += snapshot_violations("final snapshot vs oracle",
                                          *expected.comparable(history.snapshots["final"]))
    final = history.snapshots.get("final", {})
    for (client, stream_id), (number, step) in _last_resumes(scenario).items():
        record = history.snapshots.get(f"client:{client}:{stream_id}")
        outcome = expected.outcomes.get(number)
        if record is None or outcome is None:  # no record, or a stream the oracle lost
            continue
        violations += _judge_client(f"client {client} on {stream_id}", step, outcome,
                                    record, _ModuleStream.of(final, stream_id))
    return verdict(PROPERTY, RULES, violations)
