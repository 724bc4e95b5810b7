"""What each stream's lane of a timeline ended with, beside what was expected.

After the last step: how far the runtime's publisher got (B1, B3), which events and head
the module holds (M3), and what each client that resumed the stream did and where it ended
(R2, R4). Expected values are the checkers' own: the oracle's snapshot, or the projection
of the whole journal for a publisher run, and the client's duty after its last resume.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from harness.checks.expectations import expect
from harness.checks.runtime_delivery import Held, simulate
from harness.contract.snapshot import Snapshot
from harness.contract.streams import stream_of
from harness.history import History
from harness.model.outcome import Outcome
from harness.scenario.model import Scenario
from harness.scenario.steps import Resume, ViaRuntime

Cell = dict[str, Any]


def seqs_text(seqs: Sequence[int]) -> str:
    """Seqs as a person reads them: `1-4` when contiguous, else listed; `none` when empty."""
    if not seqs:
        return "none"
    if list(seqs) == list(range(seqs[0], seqs[0] + len(seqs))) and len(seqs) > 2:
        return f"{seqs[0]}-{seqs[-1]}"
    return ", ".join(str(s) for s in seqs)


def _heads(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    return {row["stream_id"]: row for row in snapshot.get("stream_head", [])}


def _applied(snapshot: Snapshot, stream_id: str) -> list[int]:
    return sorted(int(row["seq"]) for row in snapshot.get("sync_event", [])
                  if row.get("stream_id") == stream_id and "seq" in row)


def _module_cell(stream_id: str, expected: Snapshot, observed: Snapshot) -> Cell:
    """What the module holds for a stream at the end: its events and head (M3), where it
    has the contract's tables; a module of its own tables is shown by its table diffs."""
    if not {"sync_event", "stream_head"} & set(observed):
        return {"phase": "observed", "text": "module: no event or head table of the "
                "contract's (its own tables are in the snapshot differences)", "answer": "",
                "expected": "", "bad": False}
    observed_head = _heads(observed).get(stream_id)
    # a module without an oldest_seq column (module.tables.stream_head.oldest_seq = false)
    has_oldest = observed_head is None or "oldest_seq" in observed_head

    def text(snapshot: Snapshot) -> str:
        head = _heads(snapshot).get(stream_id)
        oldest = f", oldest {head.get('oldest_seq')}" if head and has_oldest else ""
        where = f"head {head.get('head_seq')}{oldest}" if head else "no head row"
        return f"holds seqs {seqs_text(_applied(snapshot, stream_id))} ({where})"
    seen, want = text(observed), text(expected)
    return {"phase": "observed", "text": "module " + seen, "answer": "",
            "expected": want if seen != want else "", "bad": seen != want}


def _publisher_cell(stream: Mapping[str, Any], stop: Held | None) -> Cell:
    """How far the runtime's publisher got on a stream (B1, B3)."""
    letter = stream.get("dead_letter")
    held = stop.seq if stop is not None else None
    seen = f"delivered {stream.get('delivered_head')} of {stream.get('journal_head')}"
    if letter:
        seen += f"; dead letter at seq {letter.get('seq')}: {letter.get('reason')}"
    want = (f"delivered {held - 1}; dead letter at seq {held}: {stop.error}"
            if stop is not None and held is not None
            else f"delivered {stream.get('journal_head')} of {stream.get('journal_head')}")
    bad = (held is None and (bool(letter) or stream.get("delivered_head")
                             != stream.get("journal_head"))) or (
        held is not None and (not letter or letter.get("seq") != held))
    return {"phase": "delivered", "text": "publisher " + seen, "answer": "",
            "expected": want if bad else "", "bad": bad}


def _client_steps(record: Mapping[str, Any]) -> Iterator[str]:
    """A client's recorded steps in words, consecutive deliveries as one."""
    delivered: list[int] = []
    for step in [*record.get("steps", []), {"kind": "end"}]:
        if step.get("kind") == "Delivered":
            delivered.append(int(step["seq"]))
            continue
        if delivered:
            yield f"deliver {seqs_text(delivered)}"
            delivered = []
        if step.get("kind") == "Resumed":
            error = str(step.get("error") or "")  # its code and reason: the rest is above
            answer = " ".join(error.split()[:2]) if error else "accepted"
            yield f"resume after {step.get('cursor')}: {answer}"
        elif step.get("kind") == "SnapshotLoaded":
            yield f"load a snapshot at {step.get('head_seq')}"


def _client_expected(resume: Resume, record: Mapping[str, Any], outcome: Outcome,
                     head: int) -> str:
    """What the client must do after its last resume (R2, R4), as the checker judges it:
    by the answer the target gave (the oracle's only where the client recorded none), so a
    wrong stale decision is R3's alone."""
    answered = [s for s in record.get("steps", []) if s.get("kind") == "Resumed"]
    error = answered[0].get("error") if answered else outcome.error
    if error is None:
        return (f"deliver {seqs_text(list(range(resume.cursor + 1, head + 1)))}, "
                f"end at cursor {head}")
    if str(error).startswith("stale_cursor"):
        return (f"load a snapshot first, resume from its head (never again from "
                f"{resume.cursor}), deliver up to {head}, end at cursor {head}")
    return "deliver nothing: the resume is refused"


def _client_cells(name: str, record: Mapping[str, Any], expected: str,
                  flagged: bool) -> Iterator[Cell]:
    """What a resumed client did, in order, and where it ended beside where it had to."""
    for text in _client_steps(record):
        yield {"phase": "observed", "text": f"client {name}: {text}", "answer": "",
               "expected": "", "bad": False}
    end = f"client {name}: ends at cursor {record.get('cursor')}"
    if record.get("failure"):
        end += f", gave up: {record['failure']}"
    yield {"phase": "observed", "text": end, "answer": "",
           "expected": expected if flagged else "", "bad": flagged}


def end_cells(scenario: Scenario, history: History, topics: Sequence[str],
              violations: Sequence[Mapping[str, Any]]) -> dict[str, list[Cell]]:
    """Per topic: how far the runtime's publisher got, what the module holds, and what each
    client that resumed the stream did, each beside what was expected."""
    final = history.snapshots.get("final")
    end: dict[str, list[Cell]] = {topic: [] for topic in topics}
    if final is None:
        return end
    runtime = scenario.count(ViaRuntime) > 0
    oracle = expect(scenario, history)
    expected, held = simulate(scenario, history) if runtime else (oracle.final, {})
    resumes = {(step.client, stream_of(step.topic)): (number, step)
               for number, step in enumerate(scenario.steps) if isinstance(step, Resume)}
    streams = {s.get("stream_id"): s
               for s in history.snapshots.get("runtime", {}).get("streams", [])}
    # the stale-cursor checker names a client's violations "client <name> on <stream>"
    messages = " ".join(str(v.get("message", "")) for v in violations)
    for topic in topics:
        stream_id = stream_of(topic)
        if stream_id in streams:
            end[topic].append(_publisher_cell(streams[stream_id], held.get(stream_id)))
        end[topic].append(_module_cell(stream_id, expected, final))
        head = int(_heads(final).get(stream_id, {}).get("head_seq", 0))
        for (name, resumed), (number, step) in sorted(resumes.items()):
            record = history.snapshots.get(f"client:{name}:{resumed}")
            if resumed == stream_id and isinstance(record, dict):
                want = _client_expected(step, record, oracle.outcomes[number], head)
                flagged = f"client {name} on {stream_id}" in messages
                end[topic].extend(_client_cells(name, record, want, flagged))
    return end
