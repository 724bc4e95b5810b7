"""A violation's run as lanes, one per stream, in the order things happened (Jepsen's
timeline, Knossos's order view): what was journaled, sent, acknowledged or refused, and
at the end what the module and its clients held, each beside what was expected.

Lanes are the scenario's topics (a stream is its topic, S3); the token routes are lanes of
their own (canonical, alias), and faults, crashes and rebuilds go in the lane of the process
that performed them. Rows are step numbers, as in the step table, so the two read together.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from harness.checks.expectations import expect
from harness.checks.runtime_delivery import simulate
from harness.contract.snapshot import Snapshot
from harness.contract.streams import stream_of
from harness.history import Entry, EntryType, History
from harness.model.outcome import Outcome
from harness.reports.answers import Answer, completions_by_step, exchange_text
from harness.reports.step_table import step_of
from harness.scenario.model import Scenario
from harness.scenario.steps import (
    Ack,
    BadHash,
    Compact,
    Conflict,
    CrashRuntime,
    CrashSpacetimeDB,
    CutNetwork,
    Deliver,
    Event,
    Fault,
    HealNetwork,
    Hold,
    Policy,
    Preempt,
    Rebuild,
    Resume,
    Settle,
    Step,
    Token,
    TokenBody,
    ViaRuntime,
)

CANONICAL, ALIAS = "route: canonical", "route: alias"
Cell = dict[str, Any]


def seqs_text(seqs: Sequence[int]) -> str:
    """Seqs as a person reads them: `1-4` when contiguous, else listed; `none` when empty."""
    if not seqs:
        return "none"
    if list(seqs) == list(range(seqs[0], seqs[0] + len(seqs))) and len(seqs) > 2:
        return f"{seqs[0]}-{seqs[-1]}"
    return ", ".join(str(s) for s in seqs)


def _cell(phase: str, text: str, answer: Answer | None = None, bad: bool = False) -> Cell:
    """A cell shows what was expected where it says more than what happened: beside a
    wrong answer (`bad`), or where the right answer has a meaning of its own (a duplicate's
    success must change nothing)."""
    wrong = bad or (answer is not None and not answer.agrees)
    observed = answer.observed if answer else ""
    expected = answer.expected if answer and answer.expected != observed else ""
    return {"phase": phase, "text": text, "answer": observed,
            "expected": expected if wrong or observed else "", "bad": wrong}


def _sent(text: str, answer: Answer, outcome: EntryType | None) -> Cell:
    phase = {EntryType.OK: "acknowledged", EntryType.FAIL: "refused"}.get(
        outcome, "unknown") if outcome is not None else "sent"
    return _cell(phase, text, answer)


def _other(step: Step) -> str:
    """What a step outside any stream did, in a few words."""
    match step:
        case Fault(kind, count):
            return f"arm fault {kind.value} x{count}"
        case Hold(ms):
            return f"hold {ms} ms"
        case Rebuild(seed):
            return f"rebuild a fresh database (seed {seed})"
        case Policy(retired, compat):
            return f"policy: alias retired={retired}, compat enforced={compat}"
        case CrashRuntime() | CrashSpacetimeDB() | CutNetwork() | HealNetwork() | Settle():
            return {CrashRuntime.op: "kill -9 the runtime, restart it",
                    CrashSpacetimeDB.op: "kill -9 SpacetimeDB, restart it",
                    CutNetwork.op: "cut the runtime off SpacetimeDB",
                    HealNetwork.op: "reconnect the runtime",
                    Settle.op: "wait for the publisher"}[step.op]
        case ViaRuntime():
            return "from here the runtime's publisher delivers"
    return step.op


def _cells(step: Step, answer: Answer, entry: Entry | None,
           seq: int | None) -> Iterator[tuple[str, Cell]]:
    """(lane, cell) for one step; lane "" is the lane of the process that performed it."""
    outcome = entry.type if entry is not None else None
    match step:
        case Event(topic, kind, _) if entry is not None:  # the runtime journals it
            yield topic, _cell("journaled", f"append {kind}", answer)
        case Event(topic, kind, _):  # the scenario's own journal
            yield topic, _cell("journaled", f"journal seq {seq}: {kind}", answer)
        case Deliver(topic, seq_):
            yield topic, _sent(f"send seq {seq_}", answer, outcome)
        case Conflict(topic, seq_, _):
            yield topic, _sent(f"send seq {seq_} with other content", answer, outcome)
        case BadHash(topic, seq_):
            yield topic, _sent(f"send seq {seq_} with a wrong hash", answer, outcome)
        case Compact(topic, through):
            yield topic, _sent(f"compact through {through}", answer, outcome)
        case Ack(client, topic, seq_):
            yield topic, _sent(f"client {client} acks {seq_}", answer, outcome)
        case Resume(client, topic, cursor, budget):
            yield topic, _sent(f"client {client} resumes after {cursor} (budget {budget})",
                               answer, outcome)
        case Preempt(topic, seq_, _):
            yield topic, _sent(f"harness applies a forged seq {seq_}", answer, outcome)
        case Token() | TokenBody():
            case_name = step.case if isinstance(step, Token) else "generated body"
            sent = entry.value if entry is not None and isinstance(entry.value, dict) else {}
            if sent.get("canonical"):
                yield CANONICAL, _cell("sent", f"{case_name}: "
                                       f"{exchange_text(sent['canonical'])}")
            yield ALIAS, _cell("sent", f"{case_name}: {answer.observed.removeprefix('alias ')}",
                               answer)
        case _:
            yield "", _cell("other", _other(step))


def _process_lane(process: str | None) -> str:
    return process or "harness"


def _heads(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    return {row["stream_id"]: row for row in snapshot.get("stream_head", [])}


def _applied(snapshot: Snapshot, stream_id: str) -> list[int]:
    return sorted(int(row["seq"]) for row in snapshot.get("sync_event", [])
                  if row.get("stream_id") == stream_id)


def _module_cell(stream_id: str, expected: Snapshot, observed: Snapshot) -> Cell:
    """What the module holds for a stream at the end: its events and head (M3)."""
    def text(snapshot: Snapshot) -> str:
        head = _heads(snapshot).get(stream_id)
        where = (f"head {head.get('head_seq')}, oldest {head.get('oldest_seq')}" if head
                 else "no head row")
        return f"holds seqs {seqs_text(_applied(snapshot, stream_id))} ({where})"
    seen, want = text(observed), text(expected)
    return {"phase": "observed", "text": "module " + seen, "answer": "",
            "expected": want if seen != want else "", "bad": seen != want}


def _publisher_cell(stream: Mapping[str, Any], held: int | None) -> Cell:
    """How far the runtime's publisher got on a stream (B1, B3)."""
    letter = stream.get("dead_letter")
    seen = f"delivered {stream.get('delivered_head')} of {stream.get('journal_head')}"
    if letter:
        seen += f"; dead letter at seq {letter.get('seq')}: {letter.get('reason')}"
    want = (f"delivered {held - 1}; dead letter at seq {held}" if held is not None
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
            answer = step.get("error") or "accepted"
            yield f"resume after {step.get('cursor')}: {answer}"
        elif step.get("kind") == "SnapshotLoaded":
            yield f"load a snapshot at {step.get('head_seq')}"


def _client_expected(resume: Resume, outcome: Outcome, head: int) -> str:
    """What the client must do after its last resume (R2, R4), as the checker judges it."""
    if outcome.error is None:
        return (f"deliver {seqs_text(list(range(resume.cursor + 1, head + 1)))}, "
                f"end at cursor {head}")
    if outcome.error.startswith("stale_cursor"):
        return f"load a snapshot first, then deliver up to {head}, end at cursor {head}"
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


def _end_cells(scenario: Scenario, history: History, topics: Sequence[str],
               violations: Sequence[Mapping[str, Any]]) -> dict[str, list[Cell]]:
    final = history.snapshots.get("final")
    end: dict[str, list[Cell]] = {topic: [] for topic in topics}
    if final is None:
        return end
    runtime = scenario.count(ViaRuntime) > 0
    oracle = expect(scenario)
    expected, held = simulate(scenario) if runtime else (oracle.final, {})
    resumes = {(step.client, stream_of(step.topic)): (number, step)
               for number, step in enumerate(scenario.steps) if isinstance(step, Resume)}
    streams = {s.get("stream_id"): s
               for s in history.snapshots.get("runtime", {}).get("streams", [])}
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
                want = _client_expected(step, oracle.outcomes[number], head)
                flagged = f"client {name} on {stream_id}" in messages
                end[topic].extend(_client_cells(name, record, want, flagged))
    return end


def timeline(scenario: Scenario, history: History | None, answers: Mapping[int, Answer],
             violations: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """Lanes (in order of first use), one row per step, and what each lane ended with."""
    done = completions_by_step(history) if history is not None else {}
    why: dict[int, list[str]] = {}
    for violation in violations:
        number = step_of(violation, scenario, history)
        if number is not None:
            why.setdefault(number, []).append(f"[{violation['rule']}] {violation['message']}")
    seqs = {number: event.seq for number, event in zip(
        [n for n, s in enumerate(scenario.steps) if isinstance(s, Event)],
        scenario.journal(), strict=True)}
    lanes: list[str] = []
    rows: list[dict[str, Any]] = []
    for number, step in enumerate(scenario.steps):
        entry = done.get(number)
        cells: dict[str, Cell] = {}
        for lane, cell in _cells(step, answers.get(number, Answer("")), entry,
                                 seqs.get(number)):
            name = lane or _process_lane(entry.process if entry is not None else None)
            cells[name] = cell
            if name not in lanes:
                lanes.append(name)
        judged = cells[name]  # a step's last cell is the answer its checker judged
        if number in why and not judged["bad"]:  # a right answer with a wrong effect
            cells[name] = {**judged, "bad": True, "why": why[number]}
        rows.append({"step": number, "op": step.op, "cells": cells})
    topics = [lane for lane in lanes if any(
        getattr(step, "topic", None) == lane for step in scenario.steps)]
    end = _end_cells(scenario, history, topics, violations) if history is not None else {}
    return {"lanes": [{"id": lane, "stream": stream_of(lane) if lane in topics else ""}
                      for lane in lanes],
            "rows": rows, "end": {lane: cells for lane, cells in end.items() if cells}}
