"""Run a module scenario (idempotence, rebuild, stale cursor) and record what happened.

The harness plays the publisher directly (the reference module trusts the identity that
published it), so a delivery is exactly one reducer call and the history says which.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from harness.checks.expectations import forged, interleaving, wrong_hash
from harness.contract.snapshot import Snapshot
from harness.contract.streams import stream_of
from harness.history import EntryType, History
from harness.runner.environment import RunEnvironment
from harness.scenario.model import Scenario, Step
from harness.targets.base import Reply, ReplyStatus
from harness.targets.sides import ModuleSession

COMPLETION = {ReplyStatus.OK: EntryType.OK, ReplyStatus.FAIL: EntryType.FAIL,
              ReplyStatus.INFO: EntryType.INFO}


def _record(history: History, process: str, number: int, step: Step,
            call: Callable[[], Reply]) -> None:
    value = {"step": number, **{k: v for k, v in step.items() if k != "op"}}
    index = history.invoke(process, step["op"], value)
    reply = call()
    history.complete(index, COMPLETION[reply.status], error=reply.error)


def _rebuild(env: RunEnvironment, scenario: Scenario, seed: int) -> ModuleSession:
    """A fresh database fed the journal in interleaving `seed`, then the same compactions."""
    rebuilt = env.fresh_module()
    for event in interleaving(scenario.journal(), seed):
        rebuilt.apply(event.reducer_args())
    for step in scenario.steps:
        if step["op"] == "compact":
            rebuilt.compact(stream_of(step["topic"]), step["through"])
    return rebuilt


def redelivered(scenario: Scenario) -> bool:
    """Whether the scenario delivers some event more than once (or a conflict for it)."""
    seen: set[tuple[str, int]] = set()
    for step in scenario.steps:
        if step["op"] in ("deliver", "conflict"):
            key = (step["topic"], step["seq"])
            if key in seen or step["op"] == "conflict":
                return True
            seen.add(key)
    return False


def _delivered_once(env: RunEnvironment, scenario: Scenario, history: History) -> ModuleSession:
    """A fresh database given each event the scenario delivers, once, in journal order, then
    its compactions: what redelivery must leave unchanged (M1.3, B1), without any model of
    the module's folds."""
    once = env.fresh_module()
    wanted = {(step["topic"], step["seq"]) for step in scenario.steps if step["op"] == "deliver"}
    for event in scenario.journal():
        if (event.topic, event.seq) in wanted:
            once.apply(event.reducer_args())
    compacted = {entry.value["step"] for entry in history.completions()
                 if entry.op == "compact" and entry.type is EntryType.OK}
    for number, step in enumerate(scenario.steps):  # the compactions that took effect (M4)
        if number in compacted:
            once.compact(stream_of(step["topic"]), step["through"])
    return once


StepHook = Callable[[History, int, Step], None]


def run_module_scenario(scenario: Scenario, env: RunEnvironment,
                        target: ModuleSession | None = None,
                        on_step: Mapping[str, StepHook] | None = None) -> History:
    """Perform every step in order; snapshot the module at the end (and after rebuilds).

    `on_step` lets another runner perform ops this one does not know (client resumes)
    at their place in the sequence."""
    history = History()
    hooks = on_step or {}
    target = target or env.fresh_module()
    for number, step in enumerate(scenario.steps):
        op = step["op"]
        if op in hooks:
            hooks[op](history, number, step)
        elif op in ("deliver", "conflict"):
            event = scenario.event(step["topic"], step["seq"])
            if op == "conflict":
                event = forged(event, step["payload"])
            _record(history, "publisher", number, step,
                    partial(target.apply, event.reducer_args()))
        elif op == "bad_hash":
            args = wrong_hash(scenario.event(step["topic"], step["seq"]))
            _record(history, "publisher", number, step, partial(target.apply, args))
        elif op == "ack":
            _record(history, f"client:{step['client']}", number, step,
                    partial(target.ack, step["client"], stream_of(step["topic"]), step["seq"]))
        elif op == "compact":
            _record(history, "publisher", number, step,
                    partial(target.compact, stream_of(step["topic"]), step["through"]))
        elif op == "crash_stdb":
            index = history.invoke("nemesis", op, {"step": number})
            env.crash_spacetimedb()
            history.complete(index, EntryType.OK)
        elif op == "rebuild":
            index = history.invoke("rebuilder", op, {"step": number, "seed": step["seed"]})
            history.snapshots[f"rebuild:{number}"] = _rebuild(env, scenario,
                                                              step["seed"]).snapshot()
            history.complete(index, EntryType.OK)
    history.snapshots["final"] = _named_clients(target.snapshot(), target, scenario)
    if scenario.property == "idempotence" and redelivered(scenario):
        index = history.invoke("rebuilder", "deliver_once", {})
        history.snapshots["delivered_once"] = _delivered_once(env, scenario, history).snapshot()
        history.complete(index, EntryType.OK)
    return history


def _named_clients(snapshot: Snapshot, target: ModuleSession,
                   scenario: Scenario) -> Snapshot:
    """Checkpoint rows with client names in place of identities, as the oracle keys them.

    Identities are minted per run; the names are what the scenario (and its ID) holds."""
    names = {target.client_identity(step["client"]): step["client"]
             for step in scenario.steps if step["op"] == "ack"}
    rows = []
    for row in snapshot.get("stream_checkpoint", []):
        name = names.get(row["client_identity"], row["client_identity"])
        rows.append({**row, "client_identity": name,
                     "checkpoint_key": f"{name}:{row['stream_id']}"})
    return {**snapshot, "stream_checkpoint": sorted(rows, key=lambda r: r["checkpoint_key"])}
