"""Run a module scenario (idempotence, rebuild, stale cursor) and record what happened.

The harness plays the publisher directly (the reference module trusts the identity that
published it), so a delivery is exactly one reducer call and the history says which.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from harness.checks import compaction
from harness.checks.expectations import forged, interleaving, redelivered, wrong_hash
from harness.contract.events import ApplyEventArgs
from harness.contract.snapshot import Snapshot
from harness.contract.streams import stream_of
from harness.history import EntryType, History
from harness.runner.environment import RunEnvironment
from harness.scenario.model import Scenario
from harness.scenario.steps import (
    Ack,
    AckAs,
    BadHash,
    Compact,
    CompactAs,
    Conflict,
    CrashSpacetimeDB,
    Deliver,
    Intrude,
    Rebuild,
    Resume,
    Step,
    step_fields,
)
from harness.targets.base import Reply, ReplyStatus
from harness.targets.sides import ModuleSession

COMPLETION = {ReplyStatus.OK: EntryType.OK, ReplyStatus.FAIL: EntryType.FAIL,
              ReplyStatus.INFO: EntryType.INFO}


def _record(history: History, process: str, number: int, step: Step,
            call: Callable[[], Reply]) -> None:
    index = history.invoke(process, step.op, {"step": number, **step_fields(step)})
    reply = call()
    history.complete(index, COMPLETION[reply.status], error=reply.error)


def _rebuild(env: RunEnvironment, scenario: Scenario, seed: int) -> ModuleSession:
    """A fresh database fed the journal in interleaving `seed`, then the same compactions."""
    rebuilt = env.fresh_module()
    rebuilt.replay([event.reducer_args() for event in interleaving(scenario.journal(), seed)])
    for step in scenario.of(Compact):
        rebuilt.compact(stream_of(step.topic), step.through)
    return rebuilt


def _delivered_once(env: RunEnvironment, scenario: Scenario, history: History) -> ModuleSession:
    """A fresh database given the calls the target accepted, in their order, each event
    only the first time it was accepted: what redelivery must leave unchanged (M1.3, B1),
    without any model of the module's folds. The target's own answers decide what is in it,
    not the oracle's: a call it should have refused but took (a wrong hash, a caller it
    should not trust) is in it as the target took it, so that departure is judged once, by
    the step's answer, and never again here. A refused call is left out (it changed
    nothing, M2); a second accepted apply of the same (topic, seq) is what is judged."""
    once = env.fresh_module()
    applied: set[tuple[str, int]] = set()
    pending: list[ApplyEventArgs] = []  # publisher applies not yet sent, sent together

    def first(topic: str, seq: int) -> bool:
        seen = (topic, seq) in applied
        applied.add((topic, seq))
        return not seen
    for entry in history.completions():
        if entry.type is not EntryType.OK or not isinstance(entry.value, dict):
            continue
        step = scenario.steps[entry.value["step"]] if "step" in entry.value else None
        if isinstance(step, Intrude) and first(step.topic, step.seq):
            once.replay(pending)
            pending = []
            once.apply(scenario.event(step.topic, step.seq).reducer_args(), caller=step.client)
        elif isinstance(step, Deliver | Conflict | BadHash) and first(step.topic, step.seq):
            args = _publisher_apply(scenario, step)
            assert args is not None
            pending.append(args)
        elif isinstance(step, Compact | CompactAs):
            once.replay(pending)
            pending = []
            once.compact(stream_of(step.topic), step.through,
                         caller=step.client if isinstance(step, CompactAs) else None)
    once.replay(pending)
    return once


def _publisher_apply(scenario: Scenario, step: Step) -> ApplyEventArgs | None:
    """The `apply` call a publisher step makes, or None for any other step."""
    match step:
        case Deliver(topic, seq):
            return scenario.event(topic, seq).reducer_args()
        case Conflict(topic, seq, payload):
            return forged(scenario.event(topic, seq), payload).reducer_args()
        case BadHash(topic, seq):
            return wrong_hash(scenario.event(topic, seq))
    return None


def _send_applies(history: History, target: ModuleSession,
                  applies: list[tuple[int, Step, ApplyEventArgs]]) -> None:
    """Consecutive publisher applies go out together (`replay` pipelines them) and are
    recorded in their order; any other step waits until they are answered, so a crash, a
    client's call or a resume still meets exactly the deliveries before it."""
    if not applies:
        return
    replies = target.replay([args for _, _, args in applies])
    for (number, step, _), reply in zip(applies, replies, strict=True):
        index = history.invoke("publisher", step.op, {"step": number, **step_fields(step)})
        history.complete(index, COMPLETION[reply.status], error=reply.error)
    applies.clear()


ResumeHook = Callable[[History, int, Resume], None]


def run_module_scenario(scenario: Scenario, env: RunEnvironment,
                        target: ModuleSession | None = None,
                        on_resume: ResumeHook | None = None) -> History:
    """Perform every step in order; snapshot the module at the end (and after rebuilds).

    `on_resume` lets another runner perform the client resumes this one does not know, at
    their place in the sequence. `Event` steps only journal: the journal is the scenario's."""
    history = History()
    target = target or env.fresh_module()
    applies: list[tuple[int, Step, ApplyEventArgs]] = []
    for number, step in enumerate(scenario.steps):
        args = _publisher_apply(scenario, step)
        if args is not None:
            applies.append((number, step, args))
            continue
        _send_applies(history, target, applies)
        match step:
            case Resume() if on_resume is not None:
                on_resume(history, number, step)
            case Intrude(client, topic, seq):
                _record(history, f"client:{client}", number, step,
                        partial(target.apply, scenario.event(topic, seq).reducer_args(),
                                caller=client))
            case Ack(client, topic, seq):
                _record(history, f"client:{client}", number, step,
                        partial(target.ack, client, stream_of(topic), seq))
            case AckAs(client, named, topic, seq):
                _record(history, f"client:{client}", number, step,
                        partial(target.ack, client, stream_of(topic), seq, named=named))
            case CompactAs(client, topic, through):
                _record(history, f"client:{client}", number, step,
                        partial(target.compact, stream_of(topic), through, caller=client))
            case Compact(topic, through):
                before = target.snapshot()
                _record(history, "publisher", number, step,
                        partial(target.compact, stream_of(topic), through))
                history.snapshots[compaction.snapshot_label(number)] = {
                    "before": before, "after": target.snapshot()}
            case CrashSpacetimeDB():
                index = history.invoke("nemesis", step.op, {"step": number})
                env.crash_spacetimedb()
                history.complete(index, EntryType.OK)
            case Rebuild(seed):
                index = history.invoke("rebuilder", step.op, {"step": number, "seed": seed})
                history.snapshots[f"rebuild:{number}"] = _rebuild(env, scenario,
                                                                  seed).snapshot()
                history.complete(index, EntryType.OK)
    _send_applies(history, target, applies)
    history.snapshots["final"] = _named_clients(target.snapshot(), target, scenario)
    history.snapshots["table_keys"] = dict(target.table_keys())
    refused = any(entry.type is EntryType.FAIL for entry in history.completions())
    # what redeliveries and refused calls must leave unchanged, in every property
    if redelivered(scenario) or refused:
        index = history.invoke("rebuilder", "deliver_once", {})
        history.snapshots["delivered_once"] = _delivered_once(env, scenario, history).snapshot()
        history.complete(index, EntryType.OK)
    return history


def _named_clients(snapshot: Snapshot, target: ModuleSession,
                   scenario: Scenario) -> Snapshot:
    """Checkpoint rows with client names in place of identities, as the oracle keys them.

    Identities are minted per run; the names are what the scenario (and its ID) holds."""
    clients = {ack.client for ack in scenario.of(Ack)} | {
        name for ack in scenario.of(AckAs) for name in (ack.client, ack.named)}
    names = {target.client_identity(name): name for name in clients}
    rows = []
    for row in snapshot.get("stream_checkpoint", []):
        name = names.get(row["client_identity"], row["client_identity"])
        rows.append({**row, "client_identity": name,
                     "checkpoint_key": f"{name}:{row['stream_id']}"})
    return {**snapshot, "stream_checkpoint": sorted(rows, key=lambda r: r["checkpoint_key"])}
