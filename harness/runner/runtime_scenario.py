"""Run a scenario whose events go through the stub runtime and its publisher.

The harness journals each `event` step at the runtime (with the scenario's fixed
published_at, so the journal is byte-identical on replay) and lets the runtime's
publisher deliver; between appends it arms publisher faults, kills the runtime
container, cuts it off the network, or plays a second writer of the module's database
(a forged event applied first, the database cleared). At the end the runtime is healed
and restarted as needed and given time to deliver everything; what it reports (dead
letters, in the module's words and in the contract's, heads) and the module's snapshot go
into the history.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from typing import TypeVar

from harness.checks.expectations import preempting
from harness.contract.events import Event
from harness.drivers.runtime import RuntimeClient, RuntimeUnavailable
from harness.env.services import ServiceContainer
from harness.errors import EnvironmentFailed
from harness.history import EntryType, History
from harness.runner.environment import RunEnvironment
from harness.scenario.model import Scenario
from harness.scenario.steps import (
    ClearDatabase,
    CrashRuntime,
    CutNetwork,
    Fault,
    FaultKind,
    HealNetwork,
    Hold,
    Preempt,
    Settle,
)
from harness.scenario.steps import Event as EventStep
from harness.targets.base import Reply, ReplyStatus
from harness.targets.sides import ModuleSession

T = TypeVar("T")

SETTLE_TIMEOUT_S = 60.0


RESTARTS = 12


class PublisherDown(Exception):
    """The runtime under test stopped for good: started again, its process ends by itself.

    Its verdict (B5: delivery picks up where it was after a restart), not the harness's
    failure: a runtime that lost the tail of its journal in a kill -9 and then refuses to
    start is the defect a restart step is there to find."""

    def __init__(self, last_words: str) -> None:
        super().__init__(last_words)
        self.last_words = last_words


def _last_words(runtime: ServiceContainer) -> str:
    """The last line the runtime printed before it ended: usually why."""
    lines = [line.strip() for line in runtime.logs().splitlines() if line.strip()]
    return lines[-1][-500:] if lines else "(it printed nothing)"


def _restart(runtime: ServiceContainer) -> None:
    """Start the killed runtime again; one whose process ends by itself is PublisherDown."""
    try:
        runtime.restart()
    except EnvironmentFailed:
        if runtime.exited():
            raise PublisherDown(_last_words(runtime)) from None
        raise


def _alive(runtime: ServiceContainer, client: RuntimeClient) -> None:
    """Start the runtime again whenever a crash fault (or a kill) stopped its process.

    An armed crash fault fires again on the first delivery after a restart, often before
    a health check can see the service up, so this keeps restarting (as a supervisor
    would) until the service answers; each fault is spent once, so it converges. One that
    still will not stay up after RESTARTS starts is down for good (PublisherDown)."""
    starts = 0
    deadline = time.monotonic() + 5.0
    while starts <= RESTARTS and time.monotonic() < deadline:
        if client.healthy():
            return
        if runtime.start_if_stopped():
            starts += 1
            deadline = time.monotonic() + 5.0
        time.sleep(0.1)
    if runtime.exited() or starts > RESTARTS:
        raise PublisherDown(_last_words(runtime))
    raise EnvironmentFailed("the stub runtime does not answer though it runs",
                            runtime.logs()[-2000:])


def _append_once(runtime: ServiceContainer, client: RuntimeClient, event: Event) -> int:
    """Journal `event` exactly once, even when the runtime dies during the request.

    A request cut off by a crash may or may not have been journaled (an `info` outcome);
    re-sending blindly could journal it twice under a new seq. So after a lost answer the
    topic's journal head decides: already there, or sent again."""
    for _ in range(RESTARTS):
        _alive(runtime, client)
        try:
            return client.append(event.topic, event.kind, event.payload_json,
                                 event.published_at_ms).seq
        except RuntimeUnavailable:
            head = _retrying(runtime, client,
                             partial(client.journal, event.topic, limit=1)).head_seq
            if head >= event.seq:  # it was journaled before the answer was lost
                return event.seq
    raise EnvironmentFailed(f"could not journal {event.idempotency_key}", runtime.logs()[-2000:])


def _retrying(runtime: ServiceContainer, client: RuntimeClient, call: Callable[[], T]) -> T:
    """An idempotent runtime call (set target, arm faults, read the journal or status),
    repeated across crashes: an armed crash fault may take the runtime down mid-call."""
    for _ in range(RESTARTS):
        _alive(runtime, client)
        try:
            return call()
        except RuntimeUnavailable:
            continue
    raise EnvironmentFailed("the stub runtime does not answer", runtime.logs()[-2000:])


def _settle(runtime: ServiceContainer, client: RuntimeClient, timeout_s: float) -> bool:
    """Wait until quiescent, restarting the runtime whenever a crash fault took it down."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _alive(runtime, client)
        try:
            if client.wait(min(10.0, max(0.5, deadline - time.monotonic()))).quiescent:
                return True
        except RuntimeUnavailable:
            time.sleep(0.2)
    return False


def _arm(client: RuntimeClient, fault: Fault) -> None:
    """Arm `fault` for the next `count` deliveries of every stream."""
    match fault.kind:
        case FaultKind.DUPLICATE:
            client.faults(duplicate_next=fault.count)
        case FaultKind.REORDER:
            client.faults(reorder_next=fault.count)
        case FaultKind.CRASH_AFTER_COMMIT:
            client.faults(crash_after_commit_next=fault.count)
        case FaultKind.CRASH_BEFORE_SEND:
            client.faults(crash_before_send_next=fault.count)


def _apply_forged(module: ModuleSession, event: Event) -> Reply:
    """Apply a forged event as a second writer would; a lost answer is asked again (the
    same event once more is a duplicate if the first landed), so the history says for
    certain whether the module took it, which decides what the publisher must meet."""
    for _ in range(RESTARTS):
        reply = module.apply(event.reducer_args())
        if reply.status is not ReplyStatus.INFO:
            return reply
        time.sleep(0.5)
    raise EnvironmentFailed(f"SpacetimeDB gave no answer to the forged {event.idempotency_key}",
                            "is the server up? (its log is in the artefacts)")


def _write_module(env: RunEnvironment, module: ModuleSession, scenario: Scenario,
                  step: Preempt | ClearDatabase, *, history: History, number: int,
                  settled: bool) -> None:
    """The harness as a second writer of the module's database, once the publisher has
    settled. A forged event is refused when the publisher could not deliver its seq - 1
    yet (a cut network, say): the history's FAIL then says nothing was pre-empted. A
    database cleared while the publisher still had events in flight leaves no known
    place for it to meet the conflict: recorded as `info`, and judged (B5)."""
    index = history.invoke("harness", step.op, {"step": number})
    if isinstance(step, Preempt):
        reply = _apply_forged(module, preempting(scenario, step))
        history.complete(index, EntryType.OK if reply.ok else EntryType.FAIL, error=reply.error)
        return
    env.clear_module(module)
    history.complete(index, EntryType.OK if settled else EntryType.INFO,
                     error=None if settled else "the publisher was not quiescent")


def _play(scenario: Scenario, env: RunEnvironment, target: ModuleSession,
          runtime: ServiceContainer, client: RuntimeClient, *, history: History) -> bool:
    """Every step of `scenario`, through the runtime; whether the network is left cut."""
    journal = iter(scenario.journal())
    cut = False
    for number, step in enumerate(scenario.steps):
        match step:
            case EventStep():
                event = next(journal)
                index = history.invoke("runtime", "append", {"step": number,
                                                             "topic": event.topic})
                seq = _append_once(runtime, client, event)
                history.complete(index, EntryType.OK, value={"step": number,
                                                             "topic": event.topic, "seq": seq})
            case Preempt() | ClearDatabase():
                # Cut off, the publisher delivers nothing more: no use waiting for it.
                settled = _settle(runtime, client, 1.0 if cut else SETTLE_TIMEOUT_S / 4)
                _write_module(env, target, scenario, step, history=history, number=number,
                              settled=settled)
            case Fault() | CrashRuntime() | CutNetwork() | HealNetwork() | Settle() | Hold():
                index = history.invoke("nemesis", step.op, {"step": number})
                match step:
                    case Fault():
                        _retrying(runtime, client, partial(_arm, client, step))
                    case CrashRuntime():
                        runtime.kill9()
                        _restart(runtime)
                    case CutNetwork() if not cut:  # the runtime can no longer reach the server
                        env.stack.cut_server()
                        cut = True
                    case HealNetwork() if cut:
                        env.stack.heal_server()
                        cut = False
                    case Settle():
                        _settle(runtime, client, SETTLE_TIMEOUT_S / 4)
                    case Hold(ms):
                        time.sleep(ms / 1000)
                history.complete(index, EntryType.OK)
    return cut


def _reported(scenario: Scenario, target: ModuleSession, runtime: ServiceContainer,
              client: RuntimeClient, history: History) -> None:
    """What the settled runtime reports of its streams, its journal and dead letters."""
    quiescent = _settle(runtime, client, SETTLE_TIMEOUT_S)
    status = _retrying(runtime, client, client.status)
    history.snapshots["runtime"] = {
        "quiescent": quiescent,
        "streams": [asdict(stream) for stream in status.streams],
    }
    # A dead letter's reason is the module's own text; the checker compares the contract's.
    history.snapshots["dead_letters"] = {
        stream.stream_id: {"seq": stream.dead_letter.seq,
                           "reason": target.contract_error(stream.dead_letter.reason)}
        for stream in status.streams if stream.dead_letter is not None
    }
    # The last refusal of a stream still retried, in the contract's words (B3 asks whether
    # the module's answer was a permanent one).
    history.snapshots["last_errors"] = {
        stream.stream_id: target.contract_error(stream.last_error)
        for stream in status.streams if stream.last_error and stream.dead_letter is None
    }
    topics = dict.fromkeys(event.topic for event in scenario.journal())
    history.snapshots["journal"] = [
        asdict(event) for topic in topics
        for event in _retrying(runtime, client, partial(client.read_topic, topic))
    ]


def run_runtime_scenario(scenario: Scenario, env: RunEnvironment) -> History:
    history = History()
    target = env.fresh_module()
    runtime = env.runtime()
    client = RuntimeClient(runtime.url)
    _alive(runtime, client)
    wiring = env.publisher_wiring()
    _retrying(runtime, client, partial(client.set_target, env.stack.stdb_url_for_containers,
                                       target.database.name, target.database.owner.token,
                                       reducer=wiring.reducer, args=wiring.args,
                                       permanent_errors=wiring.permanent_errors))
    try:
        if _play(scenario, env, target, runtime, client, history=history):
            env.stack.heal_server()
        _reported(scenario, target, runtime, client, history)
    except PublisherDown as down:
        # What the module holds is still recorded; nothing the runtime would report is.
        if scenario.count(CutNetwork):
            env.stack.heal_server()
        history.snapshots["runtime"] = {"quiescent": False, "streams": [],
                                        "down": down.last_words}
    history.snapshots["final"] = target.snapshot()
    history.snapshots["table_keys"] = dict(target.table_keys())
    client.close()
    return history
