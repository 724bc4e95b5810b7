"""A violation's run as lanes, one per stream, in the order things happened (Jepsen's
timeline, Knossos's order view): what was journaled, sent, acknowledged or refused, and
at the end what the module and its clients held, each beside what was expected.

Lanes are the scenario's topics (a stream is its topic, S3); the token routes are lanes of
their own (canonical, alias), and faults, crashes and rebuilds go in the lane of the process
that performed them. Rows are step numbers, as in the step table, so the two read together;
the last row is what each lane ended with (harness.reports.end_state).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from harness.contract.streams import stream_of
from harness.history import Entry, EntryType, History
from harness.reports.answers import Answer, completions_by_step, event_seqs, exchange_text
from harness.reports.end_state import Cell, end_cells
from harness.reports.step_table import step_of
from harness.scenario.model import Scenario
from harness.scenario.steps import (
    Ack,
    AckAs,
    BadHash,
    Compact,
    CompactAs,
    Conflict,
    CrashRuntime,
    CrashSpacetimeDB,
    CutNetwork,
    Deliver,
    Event,
    Fault,
    HealNetwork,
    Hold,
    Intrude,
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


def _cell(phase: str, text: str, answer: Answer | None = None) -> Cell:
    """A cell shows what was expected where it says more than what happened: beside a
    wrong answer, or where the right answer has a meaning of its own (a duplicate's
    success must change nothing)."""
    wrong = answer is not None and not answer.agrees
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
        case Intrude(client, topic, seq_):
            yield topic, _sent(f"client {client}, not the publisher, sends seq {seq_}", answer,
                               outcome)
        case Compact(topic, through):
            yield topic, _sent(f"compact through {through}", answer, outcome)
        case CompactAs(client, topic, through):
            yield topic, _sent(f"client {client}, not the publisher, compacts through "
                               f"{through}", answer, outcome)
        case Ack(client, topic, seq_):
            yield topic, _sent(f"client {client} acks {seq_}", answer, outcome)
        case AckAs(client, named, topic, seq_):
            yield topic, _sent(f"client {client} acks {seq_} naming client {named}", answer,
                               outcome)
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
            alias = answer.observed.removeprefix("alias ")
            yield ALIAS, {"phase": "sent", "text": f"{case_name}: {alias}", "answer": "",
                          "expected": "" if answer.agrees else answer.expected,
                          "bad": not answer.agrees}
        case _:
            yield "", _cell("other", _other(step))


def _process_lane(process: str | None) -> str:
    return process or "harness"


def timeline(scenario: Scenario, history: History | None, answers: Mapping[int, Answer],
             violations: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """Lanes (in order of first use), one row per step, and what each lane ended with."""
    done = completions_by_step(history) if history is not None else {}
    why: dict[int, list[str]] = {}
    for violation in violations:
        number = step_of(violation, scenario, history)
        if number is not None:
            rules = why.setdefault(number, [])
            rules += [str(violation["rule"])] if violation["rule"] not in rules else []
    seqs = event_seqs(scenario)
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
        if number in why:  # the rules whose violations name this step
            cells[name] = {**judged, "bad": True, "why": why[number]}
        rows.append({"step": number, "op": step.op, "cells": cells})
    topics = [lane for lane in lanes if any(
        getattr(step, "topic", None) == lane for step in scenario.steps)]
    end = end_cells(scenario, history, topics, violations) if history is not None else {}
    return {"lanes": [{"id": lane, "stream": stream_of(lane) if lane in topics else ""}
                      for lane in lanes],
            "rows": rows, "end": {lane: cells for lane, cells in end.items() if cells}}
